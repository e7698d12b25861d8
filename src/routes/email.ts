// The account's email address: ask to use one (a link is mailed to it), read it, and confirm it
// with the link's token (the hosted /verify-email page does the same for people).
import { requireAuth } from '../auth/require-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BEARER_ERRORS,
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  bearerSecurity,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { verificationLink } from '../http/mail-links'
import { checkLoginLimit, rateLimit, clientIp } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import { EmailChangeBody, EmailPendingSchema, EmailSchema, EmailTokenBody } from '../schemas'
import { accountService, emailService } from './services'

const setEmail = createRoute({
  method: 'put',
  path: '/users/me/email',
  operationId: 'setEmail',
  summary: 'Ask to use an email address (with the password): a single-use link is mailed to it',
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(EmailChangeBody) },
  responses: {
    202: jsonContent(EmailPendingSchema, 'Link sent; the address is the account’s once opened'),
    ...problems(BEARER_ERRORS, BODY_ERRORS, [
      'invalid_credentials',
      'rate_limited',
      'email_unavailable',
    ]),
  },
})

const getEmail = createRoute({
  method: 'get',
  path: '/users/me/email',
  operationId: 'getEmail',
  summary: "The caller's verified email address",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(EmailSchema, 'The address, or null'), ...problems(BEARER_ERRORS) },
})

const verifyEmail = createRoute({
  method: 'post',
  path: '/email/verify',
  operationId: 'verifyEmail',
  summary: "Confirm an address with the token from its email's link",
  tags: ['account'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(EmailTokenBody) },
  responses: {
    200: jsonContent(EmailSchema, 'The account’s verified address'),
    ...problems(
      BODY_ERRORS,
      ['invalid_email_token', 'email_taken', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

export const emailRoutes = documentedRoutes()
  .openapi(setEmail, async (c) => {
    const caller = c.get('user')!
    await checkLoginLimit(c, caller.username)
    const sent = await accountService(c).requestEmail(
      caller,
      c.req.valid('json'),
      verificationLink(c),
    )
    return c.json(sent, 202, NO_STORE)
  })
  .openapi(getEmail, async (c) =>
    c.json(await emailService(c).current(c.get('user')!), 200, NO_STORE),
  )
  .openapi(verifyEmail, async (c) =>
    c.json(await emailService(c).verify(c.req.valid('json').token), 200, NO_STORE),
  )
