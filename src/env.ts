// The worker's typed environment, and the only code that reads configuration from it.
import type { RequestIdVariables } from 'hono/request-id'

/** Bindings from `wrangler types`, plus the secrets, which may be missing and then fail closed. */
export type Bindings = Omit<
  Env,
  'ACCESS_TOKEN_SECRET' | 'REFRESH_TOKEN_SECRET' | 'JWT_PRIVATE_KEYS' | 'JWT_ISSUER' | 'JWT_ALG'
> & {
  ACCESS_TOKEN_SECRET?: string
  REFRESH_TOKEN_SECRET?: string
  /** A JWK set of private keys, newest first, for ES256 or EdDSA. */
  JWT_PRIVATE_KEYS?: string
  JWT_ISSUER?: string
  JWT_ALG?: string
}

export type SigningAlg = 'HS256' | 'ES256' | 'EdDSA'

/** A private signing key as configured: a JWK with a `kid`. */
export type PrivateJwk = JsonWebKey & { kid: string }

/** How access tokens are signed: a shared HMAC secret, or asymmetric keys (first one signs). */
export type Signing =
  { alg: 'HS256'; secret: string } | { alg: 'ES256' | 'EdDSA'; keys: PrivateJwk[]; source: string }

export type AuthUser = { id: string; username: string; sessionId: string }

export type AppEnv = {
  Bindings: Bindings
  Variables: RequestIdVariables & {
    user?: AuthUser
    /** Set on the OAuth routes, whose errors are RFC 6749 §5.2 JSON rather than problem JSON. */
    errorFormat?: 'oauth'
  }
}

export type Config = {
  accessTokenTtl: number
  /** Seconds a session may go unused: each refresh token's lifetime. */
  refreshTokenTtl: number
  /** Seconds a session may last from sign-in, however active: the absolute limit. */
  sessionMaxAge: number
  refreshReuseWindow: number
  /** Seconds of clock skew tolerated on `exp` and `nbf`. */
  jwtLeeway: number
  /** Request limits and login backoff; off only for load tests. */
  rateLimits: boolean
  /** Failed logins per username before backoff starts. */
  loginMaxFailures: number
  /** JWT_ISSUER, or else the origin the request came to. */
  issuer: string
  audience: string
  signing: Signing
  refreshTokenSecret: string
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
export const MIN_SECRET_LENGTH = 32

/** KV rejects an `expirationTtl` under 60 seconds. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60

const DEFAULTS = {
  ACCESS_TOKEN_TTL: 20,
  REFRESH_TOKEN_TTL: 14 * 24 * 3600,
  SESSION_MAX_AGE: 30 * 24 * 3600,
  REFRESH_REUSE_WINDOW: 10,
  JWT_LEEWAY: 0,
  LOGIN_MAX_FAILURES: 5,
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

const YEAR = 365 * 24 * 3600

/**
 * SESSION_MAX_AGE: never below REFRESH_TOKEN_TTL, which would make the idle limit meaningless.
 * Unset, it is 30 days, or REFRESH_TOKEN_TTL when that is longer.
 */
function sessionMaxAge(env: Bindings, refreshTokenTtl: number): number {
  if (env.SESSION_MAX_AGE === undefined || env.SESSION_MAX_AGE === '') {
    return Math.max(DEFAULTS.SESSION_MAX_AGE, refreshTokenTtl)
  }
  const value = integer(env, 'SESSION_MAX_AGE', KV_MIN_EXPIRATION_TTL_SECONDS, 2 * YEAR)
  if (value < refreshTokenTtl) {
    throw new ConfigError('SESSION_MAX_AGE', 'must not be below REFRESH_TOKEN_TTL')
  }
  return value
}

function text(env: Bindings, name: 'JWT_ISSUER' | 'JWT_AUDIENCE'): string | null {
  const value = env[name]
  return typeof value === 'string' && value.trim() !== '' ? value : null
}

function signingAlg(env: Bindings): SigningAlg {
  const value = env.JWT_ALG
  // Unset: asymmetric when keys are configured, else the seed's shared secret.
  if (value === undefined || value === '') return env.JWT_PRIVATE_KEYS ? 'ES256' : 'HS256'
  if (value === 'HS256' || value === 'ES256' || value === 'EdDSA') return value
  throw new ConfigError('JWT_ALG', 'must be HS256, ES256 or EdDSA')
}

/** The members each algorithm's private JWK must carry. */
const KEY_SHAPES = {
  ES256: { kty: 'EC', crv: 'P-256', members: ['x', 'y', 'd'] },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['x', 'd'] },
} as const

function privateKeys(env: Bindings, alg: 'ES256' | 'EdDSA'): PrivateJwk[] {
  const fail = (reason: string) => new ConfigError('JWT_PRIVATE_KEYS', reason)
  const raw = env.JWT_PRIVATE_KEYS
  if (!raw) throw fail(`is not set (JWT_ALG=${alg} needs it)`)
  let set: unknown
  try {
    set = JSON.parse(raw)
  } catch {
    throw fail('is not valid JSON')
  }
  const keys = (set as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0)
    throw fail('must be a JWK set with at least one key')
  const shape = KEY_SHAPES[alg]
  const kids = new Set<string>()
  for (const key of keys as Record<string, unknown>[]) {
    const kid = key?.kid
    if (typeof kid !== 'string' || kid === '' || kids.has(kid))
      throw fail('needs a unique kid on every key')
    kids.add(kid)
    const wellFormed =
      key.kty === shape.kty &&
      key.crv === shape.crv &&
      (key.alg === undefined || key.alg === alg) &&
      shape.members.every((member) => typeof key[member] === 'string')
    if (!wellFormed)
      throw fail(`must hold ${alg} private keys (kty ${shape.kty}, crv ${shape.crv})`)
  }
  return keys as PrivateJwk[]
}

function signing(env: Bindings): Signing {
  const alg = signingAlg(env)
  if (alg !== 'HS256') return { alg, keys: privateKeys(env, alg), source: env.JWT_PRIVATE_KEYS! }
  return { alg, secret: secret(env, 'ACCESS_TOKEN_SECRET') }
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

/** loadConfig for a request, whose origin stands in for an unset JWT_ISSUER. */
export const requestConfig = (c: { env: Bindings; req: { url: string } }): Config =>
  loadConfig(c.env, new URL(c.req.url).origin)

/** Config before the request is known: the issuer may still be "the request's origin". */
type ParsedConfig = Omit<Config, 'issuer'> & { issuer: string | null }

function parse(env: Bindings): ParsedConfig {
  const keys = signing(env)
  const refreshTokenSecret = secret(env, 'REFRESH_TOKEN_SECRET')
  if (keys.alg === 'HS256' && keys.secret === refreshTokenSecret) {
    throw new ConfigError('REFRESH_TOKEN_SECRET', 'must differ from ACCESS_TOKEN_SECRET')
  }
  const refreshTokenTtl = integer(env, 'REFRESH_TOKEN_TTL', KV_MIN_EXPIRATION_TTL_SECONDS, YEAR)
  return {
    accessTokenTtl: integer(env, 'ACCESS_TOKEN_TTL', 1, 3600),
    refreshTokenTtl,
    sessionMaxAge: sessionMaxAge(env, refreshTokenTtl),
    refreshReuseWindow: integer(env, 'REFRESH_REUSE_WINDOW', 0, 60),
    jwtLeeway: integer(env, 'JWT_LEEWAY', 0, 30),
    rateLimits: rateLimitsEnabled(env),
    loginMaxFailures: integer(env, 'LOGIN_MAX_FAILURES', 1, 100),
    issuer: text(env, 'JWT_ISSUER'),
    audience: text(env, 'JWT_AUDIENCE') ?? DEFAULTS.JWT_AUDIENCE,
    signing: keys,
    refreshTokenSecret,
  }
}

// The env object lives as long as the isolate, so each one is parsed once, not per request.
const parsed = new WeakMap<Bindings, ParsedConfig | ConfigError>()

/**
 * The validated configuration for a request to `origin`. Throws ConfigError, failing closed,
 * when a setting is unusable. Without JWT_ISSUER the issuer is the origin, so `iss`, the
 * metadata and the discovery URL agree wherever the worker is reached.
 */
export function loadConfig(env: Bindings, origin: string): Config {
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
  return result.issuer === null ? { ...result, issuer: origin } : (result as Config)
}
