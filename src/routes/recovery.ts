// Getting back into an account: a forgotten-password request (answered alike for every login),
// a look at the account's other ways in that the emailed link allows without spending it, and
// the reset the link allows. The hosted /forgot-password and /reset-password pages do the same
// for people.
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { resetLink } from '../http/mail-links'
import { clientIp, rateLimit } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import {
  ForgotPasswordAnswer,
  ForgotPasswordBody,
  EmailTokenBody,
  ResetPasswordBody,
  WaysInSchema,
} from '../schemas'
import { recoveryService } from './services'

/** What every forgotten-password request is told, whether or not anything is sent. */
export const FORGOT_ANSWER = {
  message:
    'If that account has a verified email address, a link to reset its password is on its way.',
}

const forgot = createRoute({
  method: 'post',
  path: '/password/forgot',
  operationId: 'forgotPassword',
  summary:
    'Mail a password reset link to the account’s verified address (the same answer for any login)',
  tags: ['account'],
  middleware: [rateLimit('EMAIL_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(ForgotPasswordBody) },
  responses: {
    202: jsonContent(ForgotPasswordAnswer, 'Accepted; nothing said about whether it exists'),
    ...problems(BODY_ERRORS, ['rate_limited', 'email_unavailable'], CONFIG_ERRORS, STORAGE_ERRORS),
  },
})

// POST, not GET: the token is a secret and must stay out of URLs (and their logs).
const inspect = createRoute({
  method: 'post',
  path: '/password/reset/inspect',
  operationId: 'inspectReset',
  summary:
    'The account’s passkeys and two-factor state, for a reset link’s token, without spending it',
  tags: ['account'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(EmailTokenBody) },
  responses: {
    200: jsonContent(WaysInSchema, 'What a reset may remove; the token still works'),
    ...problems(
      BODY_ERRORS,
      ['invalid_email_token', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const reset = createRoute({
  method: 'post',
  path: '/password/reset',
  operationId: 'resetPassword',
  summary:
    'Set a new password with the token from a reset link, removing the passkeys and two-factor named; every session ends',
  tags: ['account'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(ResetPasswordBody) },
  responses: {
    204: {
      description:
        'The password is changed, the passkeys and two-factor named removed, every session ended, the login backoff cleared',
    },
    ...problems(
      BODY_ERRORS,
      [
        'invalid_email_token',
        'invalid_mfa_code',
        'passkey_not_found',
        'password_changed_concurrently',
        'rate_limited',
      ],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

export const recoveryRoutes = documentedRoutes()
  .openapi(forgot, async (c) => {
    await recoveryService(c).forgot(c.req.valid('json').login, resetLink(c))
    return c.json(FORGOT_ANSWER, 202, NO_STORE)
  })
  .openapi(inspect, async (c) =>
    c.json(await recoveryService(c).inspect(c.req.valid('json').token), 200, NO_STORE),
  )
  .openapi(reset, async (c) => {
    await recoveryService(c).reset(c.req.valid('json'))
    return c.body(null, 204)
  })
