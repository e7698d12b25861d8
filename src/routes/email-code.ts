// Signing in with a code mailed to the account's verified address: ask for one (the same 202
// for any address, as a forgotten password), then sign in with it. The hosted /email-code page
// does the same for people.
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { checkCookieOrigin } from '../http/csrf'
import { mailService } from '../http/mail-links'
import {
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { checkRateLimit, clientIp, rateLimit } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import { EmailCodeRequestBody, EmailCodeSignInBody, ForgotPasswordAnswer } from '../schemas'
import { EMAIL_CODE_ANSWER } from '../services/email-codes'
import { clientOf, emailCodeService } from './services'
import { signedIn, tokensOrCookie } from './sign-in'

const request = createRoute({
  method: 'post',
  path: '/login/email-code',
  operationId: 'requestEmailCode',
  summary:
    "Mail a 6-digit sign-in code to the account's verified address (the same answer for any address)",
  tags: ['auth'],
  middleware: [rateLimit('EMAIL_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(EmailCodeRequestBody) },
  responses: {
    202: jsonContent(ForgotPasswordAnswer, 'Accepted; nothing said about whether it exists'),
    ...problems(BODY_ERRORS, ['rate_limited', 'email_unavailable'], CONFIG_ERRORS, STORAGE_ERRORS),
  },
})

const verify = createRoute({
  method: 'post',
  path: '/login/email-code/verify',
  operationId: 'loginWithEmailCode',
  summary: 'Sign in with the mailed code: the same answer as /login; amr email',
  tags: ['auth'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(EmailCodeSignInBody) },
  responses: {
    200: tokensOrCookie('Signed in'),
    ...problems(
      BODY_ERRORS,
      ['invalid_email_code', 'mfa_required', 'csrf_rejected', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

export const emailCodeRoutes = documentedRoutes()
  .openapi(request, async (c) => {
    await emailCodeService(c).request(c.req.valid('json').email, mailService(c))
    return c.json(EMAIL_CODE_ANSWER, 202, NO_STORE)
  })
  .openapi(verify, async (c) => {
    const { mode, ...attempt } = c.req.valid('json')
    if (mode === 'cookie') checkCookieOrigin(c)
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:email-code`)
    const tokens = await emailCodeService(c).verify(attempt, clientOf(c))
    return signedIn(c, mode, tokens)
  })
