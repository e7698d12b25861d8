// Request limits through the Workers Rate Limiting binding: 429 rate_limited past each limit.
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { type AppEnv, settings } from '../env'
import { ApiError } from '../errors'
import { log } from '../log'

/** Every limiter in wrangler.toml uses `period = 60`; the binding does not say how much is left. */
export const RATE_LIMIT_PERIOD_SECONDS = 60

type Limiter = 'LOGIN_LIMITER' | 'REGISTER_LIMITER' | 'TOKEN_LIMITER' | 'EMAIL_LIMITER'

/** Cloudflare sets CF-Connecting-IP and clients cannot; X-Forwarded-For is theirs to forge. */
export const clientIp = (c: Context<AppEnv>): string =>
  c.req.header('cf-connecting-ip') ?? 'unknown'

/** Counts one request against `limiter` under `key`; throws 429 rate_limited past the limit. */
export async function checkRateLimit(c: Context<AppEnv>, limiter: Limiter, key: string) {
  if (!settings(c.env).rateLimits) return
  let allowed: boolean
  try {
    allowed = (await c.env[limiter].limit({ key })).success
  } catch (err) {
    // Fail open: an outage of the limiter must not lock everyone out, and login is still
    // guarded by the per-account backoff.
    log.error('rate_limiter_unavailable', {
      requestId: c.get('requestId'),
      limiter,
      errorName: err instanceof Error ? err.name : typeof err,
    })
    allowed = true
  }
  if (!allowed) {
    log.warn('rate_limited', { requestId: c.get('requestId'), limiter })
    throw new ApiError('rate_limited', 'Too many requests; retry later', {
      retryAfter: RATE_LIMIT_PERIOD_SECONDS,
    })
  }
}

/**
 * The limit on password checks (login, password change, account deletion), per client and
 * username, so one address cannot spray many accounts fast.
 */
export const checkLoginLimit = (c: Context<AppEnv>, username: string) =>
  checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:${username.toLowerCase()}`)

/** The same as middleware, for limits keyed on the client alone. */
export const rateLimit = (limiter: Limiter, key: (c: Context<AppEnv>) => string) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await checkRateLimit(c, limiter, key(c))
    await next()
  })
