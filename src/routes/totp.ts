// TOTP two-factor for the signed-in user: enrol, confirm (turns it on, returns recovery codes),
// disable.
import { requireAuth } from '../auth/require-auth'
import { requestOrigin } from '../env'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BEARER_ERRORS,
  BODY_ERRORS,
  bearerSecurity,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { checkLoginLimit } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import {
  DisableTotpBody,
  PasswordConfirmation,
  RecoveryCodesSchema,
  TotpCodeBody,
  TotpEnrolmentSchema,
} from '../schemas'
import { accountService } from './services'

const enrol = createRoute({
  method: 'post',
  path: '/users/me/totp',
  operationId: 'enrolTotp',
  summary: 'Start turning on TOTP two-factor: a new secret, pending until a code confirms it',
  tags: ['two-factor'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(PasswordConfirmation) },
  responses: {
    200: jsonContent(TotpEnrolmentSchema, 'The secret, for an authenticator app'),
    ...problems(BEARER_ERRORS, BODY_ERRORS, [
      'invalid_credentials',
      'totp_enabled',
      'rate_limited',
    ]),
  },
})

const confirm = createRoute({
  method: 'post',
  path: '/users/me/totp/verify',
  operationId: 'confirmTotp',
  summary: 'Confirm the enrolment with a code: two-factor is on; ten recovery codes, shown once',
  tags: ['two-factor'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(TotpCodeBody) },
  responses: {
    200: jsonContent(RecoveryCodesSchema, 'Two-factor is on'),
    ...problems(BEARER_ERRORS, BODY_ERRORS, [
      'invalid_mfa_code',
      'totp_enabled',
      'totp_not_enrolled',
      'rate_limited',
    ]),
  },
})

const disable = createRoute({
  method: 'delete',
  path: '/users/me/totp',
  operationId: 'disableTotp',
  summary: 'Turn TOTP two-factor off (and drop the recovery codes), with a code or the password',
  tags: ['two-factor'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(DisableTotpBody) },
  responses: {
    204: { description: 'Two-factor is off' },
    ...problems(BEARER_ERRORS, BODY_ERRORS, [
      'invalid_credentials',
      'invalid_mfa_code',
      'totp_not_enrolled',
      'rate_limited',
    ]),
  },
})

export const totpRoutes = documentedRoutes()
  .openapi(enrol, async (c) => {
    const caller = c.get('user')!
    // A password check: the same budget as a login.
    await checkLoginLimit(c, caller.username)
    const issuer = new URL(requestOrigin(c)).host
    const enrolment = await accountService(c).enrolTotp(
      caller,
      c.req.valid('json').password,
      issuer,
    )
    return c.json(enrolment, 200, NO_STORE)
  })
  .openapi(confirm, async (c) => {
    const caller = c.get('user')!
    await checkLoginLimit(c, caller.username)
    const codes = await accountService(c).confirmTotp(caller, c.req.valid('json').code)
    return c.json(codes, 200, NO_STORE)
  })
  .openapi(disable, async (c) => {
    const caller = c.get('user')!
    await checkLoginLimit(c, caller.username)
    await accountService(c).disableTotp(caller, c.req.valid('json'))
    return c.body(null, 204)
  })
