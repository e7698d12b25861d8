// Cookie mode: the refresh token in an HttpOnly `__Host-` cookie instead of a JSON body, so page
// script (and any XSS in it) can never read it. Only the routes that take a refresh token use it.
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import type { TokenPair } from '../schemas'
import { log } from '../log'
import { checkCookieOrigin } from './csrf'

/** `__Host-` pins it to this host, Secure and Path=/, with no Domain: no subdomain can set it. */
const NAME = 'refresh_token'
const OPTIONS = {
  prefix: 'host',
  path: '/',
  secure: true,
  httpOnly: true,
  // Lax: never sent on a cross-site subrequest, so a page on another site cannot spend it;
  // the Origin check (csrf.ts) covers the same-site origins that are not allowed.
  sameSite: 'Lax',
} as const

/** The refresh cookie the request carries, if any (unchecked: see presentedRefreshToken). */
export const refreshCookieOf = (c: Context<AppEnv>): string | undefined =>
  getCookie(c, NAME, 'host')

/**
 * A cookie sign-in replaces the browser's cookie, so the session it held ends rather than run on
 * with nothing left to end it (the previous user of a shared browser, say). Called after the new
 * session has started, and best effort: a failure here must not undo a sign-in that succeeded.
 */
export async function endReplacedSession(
  c: Context<AppEnv>,
  logout: (token: string) => Promise<void>,
): Promise<void> {
  const replaced = refreshCookieOf(c)
  if (!replaced) return
  try {
    await logout(replaced)
  } catch (err) {
    log.warn('replaced_session_not_ended', {
      requestId: c.get('requestId'),
      errorName: err instanceof Error ? err.name : typeof err,
    })
  }
}

/** Answers `tokens` in cookie mode: the refresh token goes in the cookie, not the body. */
export function cookieTokens(c: Context<AppEnv>, tokens: TokenPair, maxAgeSeconds: number) {
  setCookie(c, NAME, tokens.refreshToken, { ...OPTIONS, maxAge: maxAgeSeconds })
  const { refreshToken: _, ...rest } = tokens
  return rest
}

export function clearRefreshCookie(c: Context<AppEnv>): void {
  deleteCookie(c, NAME, OPTIONS)
}

/**
 * The refresh token a request presents: the body's when it sends one (mobile and server
 * clients, exactly as before), else the cookie's, which a browser attaches by itself and so is
 * honoured only from an allowed origin; or none at all.
 */
export function presentedRefreshToken(
  c: Context<AppEnv>,
  bodyToken: string | undefined,
): { token: string; via: 'body' | 'cookie' } | { token: null; via: 'none' } {
  if (bodyToken) return { token: bodyToken, via: 'body' }
  const cookie = refreshCookieOf(c)
  if (!cookie) return { token: null, via: 'none' }
  checkCookieOrigin(c)
  return { token: cookie, via: 'cookie' }
}

/** /token with neither a body token nor the cookie: 401, as the seed answered a null token. */
export const noRefreshToken = () =>
  new ApiError(
    'invalid_refresh_token',
    'No refresh token was sent: put it in the body as token, or sign in with mode cookie',
  )

/**
 * The code after which the cookie's token is certainly dead, so the browser should forget it.
 * Not invalid_refresh_token: a token can be unknown for a moment in a location KV has not yet
 * reached, and clearing the cookie then would end a live session for good.
 */
const DEAD = new Set(['refresh_token_reused'])

/** Runs `action` on a cookie's token, clearing the cookie if the token turns out dead. */
export async function withCookieToken<T>(
  c: Context<AppEnv>,
  via: 'body' | 'cookie',
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action()
  } catch (err) {
    if (via === 'cookie' && err instanceof ApiError && DEAD.has(err.code)) clearRefreshCookie(c)
    throw err
  }
}
