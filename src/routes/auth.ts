// The seed's auth routes, plus /register and the second step of a sign-in: validate, call the
// service, shape the response.
import type { RouteHandler } from '@hono/zod-openapi'
import { type AppEnv, requestConfig } from '../env'
import { NO_STORE } from '../http/headers'
import { checkCookieOrigin } from '../http/csrf'
import { verificationLink } from '../http/mail-links'
import {
  clearRefreshCookie,
  cookieTokens,
  noRefreshToken,
  presentedRefreshToken,
  withCookieToken,
} from '../http/refresh-cookie'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { requestLanguage } from '../http/language'
import { checkLoginLimit, checkRateLimit, clientIp, rateLimit } from '../http/rate-limit'
import {
  LoginBody,
  LogoutQuery,
  MfaLoginBody,
  PublicUserSchema,
  RefreshTokenBody,
  RegisterBody,
} from '../schemas'
import { authService, clientOf } from './services'
import { signedIn, tokensOrCookie } from './sign-in'
import { jsonOnly, jsonOrEmpty } from '../http/validate'

const register = createRoute({
  method: 'post',
  path: '/register',
  operationId: 'register',
  summary: 'Create an account',
  tags: ['auth'],
  middleware: [rateLimit('REGISTER_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(RegisterBody) },
  responses: {
    201: jsonContent(
      PublicUserSchema,
      'The new account (with an email, a link to confirm it is sent)',
    ),
    ...problems(
      BODY_ERRORS,
      ['username_taken', 'rate_limited', 'email_unavailable'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const login = createRoute({
  method: 'post',
  path: '/login',
  operationId: 'login',
  summary: 'Sign in: a short-lived access token and a refresh token',
  tags: ['auth'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(LoginBody) },
  responses: {
    200: tokensOrCookie('Signed in'),
    ...problems(
      BODY_ERRORS,
      ['invalid_credentials', 'mfa_required', 'csrf_rejected', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const loginMfa = createRoute({
  method: 'post',
  path: '/login/mfa',
  operationId: 'loginMfa',
  summary: 'Finish a sign-in that answered mfa_required: its mfaToken and a TOTP or recovery code',
  tags: ['auth'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(MfaLoginBody) },
  responses: {
    200: tokensOrCookie('Signed in; the access token carries amr ["pwd","otp"]'),
    ...problems(
      BODY_ERRORS,
      ['invalid_mfa_code', 'invalid_mfa_token', 'csrf_rejected', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const refresh = createRoute({
  method: 'post',
  path: '/token',
  operationId: 'refreshToken',
  summary: "Exchange a refresh token for a new pair (the seed's shape)",
  tags: ['auth'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp), jsonOrEmpty] as const,
  request: { body: jsonRequest(RefreshTokenBody, false) },
  responses: {
    200: tokensOrCookie('A new access token and the rotated refresh token (or cookie)'),
    ...problems(
      BODY_ERRORS,
      ['invalid_refresh_token', 'refresh_token_reused', 'csrf_rejected', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const logout = (method: 'delete' | 'post') =>
  createRoute({
    method,
    path: '/logout',
    operationId: method === 'delete' ? 'logout' : 'logoutPost',
    summary:
      "End the session of a refresh token, or all of its user's (idempotent; says nothing of whether it existed)",
    tags: ['auth'],
    // Each presented token costs KV reads, as on /token; a budget of its own, so a client's
    // refreshes (a busy NAT's) never leave it unable to sign out.
    middleware: [rateLimit('TOKEN_LIMITER', (c) => `${clientIp(c)}:logout`), jsonOrEmpty] as const,
    request: { query: LogoutQuery, body: jsonRequest(RefreshTokenBody, false) },
    responses: {
      204: { description: 'Signed out (in cookie mode the cookie is cleared too)' },
      ...problems(BODY_ERRORS, ['csrf_rejected', 'rate_limited'], CONFIG_ERRORS, STORAGE_ERRORS),
    },
  })

/** DELETE /logout is the seed's; POST /logout is the same for clients that cannot send DELETE. */
const endSession: RouteHandler<ReturnType<typeof logout>, AppEnv> = async (c) => {
  const { token, via } = presentedRefreshToken(c, c.req.valid('json').token)
  const scope = c.req.valid('query').scope
  // Nothing presented: nothing to end, as for any unknown token; a stale cookie is cleared.
  if (token !== null) await authService(c).logout(token, scope)
  // `others` keeps this session, and so its cookie.
  if (via !== 'body' && scope !== 'others') clearRefreshCookie(c)
  return c.body(null, 204)
}

export const authRoutes = documentedRoutes()
  .openapi(register, async (c) => {
    const registration = c.req.valid('json')
    // The link needs the token settings; an account without an address must not (fail closed
    // only where a secret is used).
    const link = registration.email ? verificationLink(c) : undefined
    // An API client says its language by Accept-Language only (no cookie or query here).
    const language = requestLanguage(c)
    const user = await authService(c).register(registration, link, language)
    return c.json(user, 201)
  })
  .openapi(login, async (c) => {
    const { mode, ...credentials } = c.req.valid('json')
    // Setting the cookie is as much a cookie request as spending it (login CSRF).
    if (mode === 'cookie') checkCookieOrigin(c)
    await checkLoginLimit(c, credentials.username)
    const tokens = await authService(c).login(credentials, clientOf(c))
    return signedIn(c, mode, tokens)
  })
  .openapi(loginMfa, async (c) => {
    const { mode, ...step } = c.req.valid('json')
    if (mode === 'cookie') checkCookieOrigin(c)
    // The username is sealed in the token; the per-account backoff applies inside.
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:mfa`)
    const tokens = await authService(c).completeMfa(step, clientOf(c))
    return signedIn(c, mode, tokens)
  })
  .openapi(refresh, async (c) => {
    const { token, via } = presentedRefreshToken(c, c.req.valid('json').token)
    if (token === null) throw noRefreshToken()
    const tokens = await withCookieToken(c, via, () => authService(c).refresh(token))
    if (via === 'body') return c.json(tokens, 200, NO_STORE)
    return c.json(cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl), 200, NO_STORE)
  })
  .openapi(logout('delete'), endSession)
  .openapi(logout('post'), endSession)
