// POST /session/resume: a browser's first question, "am I signed in?", in cookie mode. It answers
// 200 either way, so a signed-out visitor's first load makes no failing request; with a live
// cookie it is exactly a cookie-mode POST /token (same rotation, same CSRF check, same budget).
import { requestConfig } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import { CONFIG_ERRORS, STORAGE_ERRORS, problems } from '../http/openapi'
import { clientIp, rateLimit } from '../http/rate-limit'
import { cookieTokens, refreshCookieOf, withCookieToken } from '../http/refresh-cookie'
import { SessionResumeSchema } from '../schemas'
import { authService } from './services'

/** The refusals that mean "no session here", which this route answers as signed out. */
const SIGNED_OUT = new Set(['invalid_refresh_token', 'refresh_token_reused'])

const resume = createRoute({
  method: 'post',
  path: '/session/resume',
  operationId: 'resumeSession',
  summary:
    'Cookie mode: the session the refresh cookie holds, rotated as /token does, or signedIn false (never 401)',
  tags: ['auth'],
  // The same key as /token: resuming is a refresh, and must not double a client's budget.
  middleware: [rateLimit('TOKEN_LIMITER', clientIp)] as const,
  responses: {
    200: {
      description:
        'signedIn true: a new access token, and the rotated refresh token in its cookie. signedIn false: no cookie, or one whose session is over (a reused one is cleared)',
      headers: {
        'Set-Cookie': {
          description: 'The rotated `__Host-refresh_token`, or its removal when it was reused',
          schema: { type: 'string' as const },
        },
      },
      content: { 'application/json': { schema: SessionResumeSchema } },
    },
    ...problems(['csrf_rejected', 'rate_limited'], CONFIG_ERRORS, STORAGE_ERRORS),
  },
})

export const sessionRoutes = documentedRoutes().openapi(resume, async (c) => {
  // Checked with or without a cookie: a page of an origin that is not allowed learns nothing,
  // not even that this browser has no session.
  checkCookieOrigin(c)
  const token = refreshCookieOf(c)
  if (!token) return c.json({ signedIn: false as const }, 200, NO_STORE)
  try {
    // withCookieToken clears the cookie of a reused token, as /token does; a token merely
    // unknown keeps its cookie, since a lagging KV location may not have seen it yet.
    const tokens = await withCookieToken(c, 'cookie', () => authService(c).refresh(token))
    const access = cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl)
    return c.json({ signedIn: true as const, ...access }, 200, NO_STORE)
  } catch (err) {
    if (err instanceof ApiError && SIGNED_OUT.has(err.code)) {
      return c.json({ signedIn: false as const }, 200, NO_STORE)
    }
    throw err
  }
})
