// The worker's typed environment, and the only code that reads configuration from it.
import type { RequestIdVariables } from 'hono/request-id'

/** Bindings from `wrangler types`, plus the secrets, which may be missing and then fail closed. */
export type Bindings = Omit<Env, 'ACCESS_TOKEN_SECRET' | 'REFRESH_TOKEN_SECRET'> & {
  ACCESS_TOKEN_SECRET?: string
  REFRESH_TOKEN_SECRET?: string
}

export type AuthUser = { id: string; username: string; sessionId: string }

export type AppEnv = {
  Bindings: Bindings
  Variables: RequestIdVariables & { user?: AuthUser }
}

export type Config = {
  accessTokenTtl: number
  refreshTokenTtl: number
  refreshReuseWindow: number
  /** Seconds of clock skew tolerated on `exp` and `nbf`. */
  jwtLeeway: number
  /** Request limits and login backoff; off only for load tests. */
  rateLimits: boolean
  /** Failed logins per username before backoff starts. */
  loginMaxFailures: number
  issuer: string
  audience: string
  accessTokenSecret: string
  refreshTokenSecret: string
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
export const MIN_SECRET_LENGTH = 32

/** KV rejects an `expirationTtl` under 60 seconds. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60

const DEFAULTS = {
  ACCESS_TOKEN_TTL: 20,
  REFRESH_TOKEN_TTL: 14 * 24 * 3600,
  REFRESH_REUSE_WINDOW: 10,
  JWT_LEEWAY: 0,
  LOGIN_MAX_FAILURES: 5,
  JWT_ISSUER: 'edge-auth',
  JWT_AUDIENCE: 'edge-auth',
}

/** A setting that is missing or unusable. Carries the variable's name, never its value. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable} ${reason}`)
    this.name = 'ConfigError'
  }
}

function integer(env: Bindings, name: keyof typeof DEFAULTS, min: number, max: number): number {
  const raw: unknown = env[name]
  if (raw === undefined || raw === '') return DEFAULTS[name] as number
  const value = typeof raw === 'number' ? raw : Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`)
  }
  return value
}

function text(env: Bindings, name: 'JWT_ISSUER' | 'JWT_AUDIENCE'): string {
  const value = env[name]
  return typeof value === 'string' && value.trim() !== '' ? value : DEFAULTS[name]
}

function secret(env: Bindings, name: 'ACCESS_TOKEN_SECRET' | 'REFRESH_TOKEN_SECRET'): string {
  const value = env[name]
  if (typeof value !== 'string' || value === '') throw new ConfigError(name, 'is not set')
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(name, `is shorter than ${MIN_SECRET_LENGTH} characters`)
  }
  return value
}

/**
 * RATE_LIMITS: "on" (the default) or "off". Read on its own as well as in loadConfig, because the
 * request limiters run before routes that need no secret.
 */
export function rateLimitsEnabled(env: Bindings): boolean {
  const value = env.RATE_LIMITS
  if (value === undefined || value === '' || value === 'on') return true
  if (value === 'off') return false
  throw new ConfigError('RATE_LIMITS', 'must be "on" or "off"')
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i

/**
 * ALLOWED_ORIGINS: comma-separated exact origins (`https://app.example.com`) that browsers may
 * call the API from. Empty means no CORS at all. Wildcards are refused: tokens travel in
 * responses, so every origin that may read them is named.
 */
export function allowedOrigins(env: Bindings): string[] {
  const value = env.ALLOWED_ORIGINS
  if (typeof value !== 'string' || value.trim() === '') return []
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  if (!origins.every((origin) => ORIGIN.test(origin))) {
    throw new ConfigError('ALLOWED_ORIGINS', 'must list origins such as https://app.example.com')
  }
  return origins
}

function parse(env: Bindings): Config {
  const accessTokenSecret = secret(env, 'ACCESS_TOKEN_SECRET')
  const refreshTokenSecret = secret(env, 'REFRESH_TOKEN_SECRET')
  if (accessTokenSecret === refreshTokenSecret) {
    throw new ConfigError('REFRESH_TOKEN_SECRET', 'must differ from ACCESS_TOKEN_SECRET')
  }
  return {
    accessTokenTtl: integer(env, 'ACCESS_TOKEN_TTL', 1, 3600),
    refreshTokenTtl: integer(
      env,
      'REFRESH_TOKEN_TTL',
      KV_MIN_EXPIRATION_TTL_SECONDS,
      365 * 24 * 3600,
    ),
    refreshReuseWindow: integer(env, 'REFRESH_REUSE_WINDOW', 0, 60),
    jwtLeeway: integer(env, 'JWT_LEEWAY', 0, 30),
    rateLimits: rateLimitsEnabled(env),
    loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 1, 100),
    issuer: text(env, 'JWT_ISSUER'),
    audience: text(env, 'JWT_AUDIENCE'),
    accessTokenSecret,
    refreshTokenSecret,
  }
}

// The env object lives as long as the isolate, so each one is parsed once, not per request.
const parsed = new WeakMap<Bindings, Config | ConfigError>()

/** The validated configuration. Throws ConfigError, failing closed, when a setting is unusable. */
export function loadConfig(env: Bindings): Config {
  let result = parsed.get(env)
  if (!result) {
    try {
      result = parse(env)
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      result = err
    }
    parsed.set(env, result)
  }
  if (result instanceof ConfigError) throw result
  return result
}
