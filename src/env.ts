// The worker's typed environment, and the only code that reads configuration from it: one
// validated settings object per environment object (settings(env)), which workerd keeps for the
// isolate's life, each part checked once.
import type { RequestIdVariables } from 'hono/request-id'
import { type ProviderTable, readProviders } from './federation/providers'
import { isLoopbackHost } from './outbound/fetch'
import { type Brand, BrandSettingError, readBrand } from './brand'
import type { Level } from './log'

/** Bindings from `wrangler types`, plus the secrets, which may be missing and then fail closed. */
export type Bindings = Omit<
  Env,
  | 'ACCESS_TOKEN_SECRET'
  | 'REFRESH_TOKEN_SECRET'
  | 'JWT_PRIVATE_KEYS'
  | 'JWT_ISSUER'
  | 'JWT_ALG'
  | 'OIDC_RSA_KEYS'
  | 'MFA_ENCRYPTION_KEY'
  | 'RP_ID'
  | 'EMAIL'
  | 'MAIL_FROM'
> & {
  ACCESS_TOKEN_SECRET?: string
  REFRESH_TOKEN_SECRET?: string
  /** A JWK set of private keys, newest first, for ES256 or EdDSA. */
  JWT_PRIVATE_KEYS?: string
  JWT_ISSUER?: string
  JWT_ALG?: string
  /** A JWK set of RSA private keys, newest first, for RS256 ID tokens (OpenID Connect's default). */
  OIDC_RSA_KEYS?: string
  /** 64 hex characters: seals TOTP secrets and ceremony tokens, keys recovery-code hashes. */
  MFA_ENCRYPTION_KEY?: string
  /** The WebAuthn relying party id; unset, the host each request came to. */
  RP_ID?: string
  /** Cloudflare Email Service; without it (or MAIL_FROM) the email routes answer 503. */
  EMAIL?: SendEmail
  MAIL_FROM?: string
  /** The sender's display name in account emails (mail/sender.ts checks it). */
  MAIL_FROM_NAME?: string
  /** One address replies go to (mail/sender.ts checks it). */
  MAIL_REPLY_TO?: string
  /** JSON: the app's own pages mailed links open, instead of the hosted ones (appLinks). */
  APP_LINKS?: string
  /** "on": webhooks may target loopback hosts, for local development and tests only. */
  WEBHOOKS_ALLOW_LOOPBACK?: string
}

export type SigningAlg = 'HS256' | 'ES256' | 'EdDSA'

/**
 * How access tokens are signed: a shared HMAC secret, or asymmetric keys (the first one signs),
 * given as JWT_PRIVATE_KEYS' JSON, which auth/signing-keys.ts parses, checks and imports.
 */
export type Signing = { alg: 'HS256'; secret: string } | { alg: 'ES256' | 'EdDSA'; source: string }

/**
 * RFC 8176 authentication methods: `pwd` (password), `otp` (a TOTP or recovery code), `hwk` or
 * `swk` (a passkey bound to one device, or synced between devices); and two it does not
 * register: `fed`, a sign-in at another provider (Microsoft's value for it), which `idp` then
 * names, and `email`, a one-time code mailed to the account's address (Okta's value for it).
 */
export type AuthMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'fed' | 'email'

export type AuthUser = {
  id: string
  username: string
  sessionId: string
  /** How the session was signed in; on every access token as `amr`. */
  amr: AuthMethod[]
  /** With `fed`: the provider (AUTH_PROVIDERS key) it was signed in at; the token's `idp`. */
  idp?: string
}

/** The scopes an API key may hold; an admin user holds them all. */
export const ADMIN_SCOPES = ['users:read', 'users:write', 'audit:read', 'webhooks:manage'] as const
export type AdminScope = (typeof ADMIN_SCOPES)[number]

/** Who calls an /admin route: a server's API key, or a user with the admin role. */
export type AdminCaller = { type: 'api_key' | 'admin'; id: string; scopes: AdminScope[] }

export type AppEnv = {
  Bindings: Bindings
  Variables: RequestIdVariables & {
    user?: AuthUser
    /** On /admin routes: the API key or admin user calling (routes/admin-auth.ts). */
    admin?: AdminCaller
    /** Set on the OAuth routes, whose errors are RFC 6749 §5.2 JSON rather than problem JSON. */
    errorFormat?: 'oauth'
    /**
     * Where this page's forms may also go (CSP form-action): the consent page's decision
     * redirects to the client's redirect URI, which Chromium checks against form-action.
     */
    formActions?: string[]
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
  /** Failed logins per username from one network before that network's backoff starts. */
  loginMaxFailures: number
  /** JWT_ISSUER, or else the origin the request came to. */
  issuer: string
  /** JWT_ISSUER is unset, so the issuer and what is built from it vary with the Host. */
  issuerFromHost: boolean
  audience: string
  signing: Signing
  /**
   * OIDC_RSA_KEYS' JSON (auth/signing-keys.ts parses, checks and imports it), or null: then no
   * ID token is signed RS256.
   */
  idTokenRsaKeys: string | null
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
  AUDIT_RETENTION_DAYS: 90,
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

function signing(env: Bindings): Signing {
  const alg = signingAlg(env)
  if (alg !== 'HS256') {
    if (!env.JWT_PRIVATE_KEYS) {
      throw new ConfigError('JWT_PRIVATE_KEYS', `is not set (JWT_ALG=${alg} needs it)`)
    }
    return { alg, source: env.JWT_PRIVATE_KEYS }
  }
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

/** RATE_LIMITS: "on" (the default) or "off". */
function rateLimitsEnabled(env: Bindings): boolean {
  const value = env.RATE_LIMITS
  if (value === undefined || value === '' || value === 'on') return true
  if (value === 'off') return false
  throw new ConfigError('RATE_LIMITS', 'must be "on" or "off"')
}

/** LOG_LEVEL: "info" (the default), "warn" or "error": the least level of line written. */
function logLevel(env: Bindings): Level {
  const value = env.LOG_LEVEL
  if (value === undefined || value === '') return 'info'
  if (value === 'info' || value === 'warn' || value === 'error') return value
  throw new ConfigError('LOG_LEVEL', 'must be "info", "warn" or "error"')
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i

/**
 * ALLOWED_ORIGINS: comma-separated exact origins (`https://app.example.com`) that browsers may
 * call the API from. Empty means no CORS at all. Wildcards are refused: tokens travel in
 * responses, so every origin that may read them is named.
 */
function allowedOrigins(env: Bindings): string[] {
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

const HEX_256 = /^[0-9a-f]{64}$/i

/** MFA_ENCRYPTION_KEY: 256 bits as 64 hex characters, as `npm run dev` and the deploy write it. */
function mfaKey(env: Bindings): string {
  const value = env.MFA_ENCRYPTION_KEY
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError('MFA_ENCRYPTION_KEY', 'is not set')
  }
  if (!HEX_256.test(value)) throw new ConfigError('MFA_ENCRYPTION_KEY', 'must be 64 hex characters')
  return value
}

const RP_ID = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i

/** RP_ID: a host name (no scheme, port or path), or null for "the request's host". */
function rpId(env: Bindings): string | null {
  const value = env.RP_ID
  if (typeof value !== 'string' || value.trim() === '') return null
  if (!RP_ID.test(value)) throw new ConfigError('RP_ID', 'must be a host name such as example.com')
  return value.toLowerCase()
}

/**
 * AUTH_PROVIDERS and the providers' secrets (PROVIDER_<ID>_CLIENT_SECRET, _PRIVATE_KEY), read
 * by name: federation/providers.ts parses each provider on its own, and only a variable that is
 * not a JSON object as a whole is a ConfigError.
 */
function providers(env: Bindings): ProviderTable {
  const read = readProviders(env.AUTH_PROVIDERS, (name) => (env as Record<string, unknown>)[name])
  if ('invalid' in read) throw new ConfigError('AUTH_PROVIDERS', read.invalid)
  return read.providers
}

/** A resource server this service issues access tokens for (PROTECTED_RESOURCES). */
export type ProtectedResource = {
  /** Its identifier (RFC 8707): an https URL without a fragment, the tokens' exact `aud`. */
  resource: string
  /** What the consent page calls it. */
  name: string
  /** The scopes it defines; a request may ask for any of them. */
  scopes: string[]
  /** Seconds its access tokens live. */
  accessTokenTtl: number
}

/** Five minutes: a resource checks tokens offline, so a revoked grant's last one runs this long. */
const RESOURCE_TOKEN_TTL_DEFAULT = 300
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/
const MAX_RESOURCES = 50
/**
 * OpenID Connect's scopes (OIDC Core §5.4 and §11; services/oauth-server/openid.ts): what an
 * OpenID request may add to a resource's own, so no resource may define them.
 */
export const OPENID_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const

const isLoopbackUrl = (url: URL) => url.protocol === 'http:' && isLoopbackHost(url.hostname)

function webhooksAllowLoopback(env: Bindings): boolean {
  const value = env.WEBHOOKS_ALLOW_LOOPBACK
  if (value === undefined || value === '' || value === 'off') return false
  if (value !== 'on') throw new ConfigError('WEBHOOKS_ALLOW_LOOPBACK', 'must be "on" or "off"')
  const issuer = text(env, 'JWT_ISSUER')
  const local = issuer !== null && URL.canParse(issuer) && isLoopbackHost(new URL(issuer).hostname)
  if (issuer !== null && !local) {
    throw new ConfigError(
      'WEBHOOKS_ALLOW_LOOPBACK',
      'is for local development: JWT_ISSUER is public',
    )
  }
  return true
}

/**
 * PROTECTED_RESOURCES: a JSON array of `{resource, name, scopes, accessTokenTtl?}`. Each
 * `resource` is an https URL (http only on a loopback host, for local development) with no
 * fragment, query or userinfo, listed once; scopes are RFC 6749 scope tokens.
 */
function protectedResources(env: Bindings): ProtectedResource[] {
  const raw = (env as Record<string, unknown>).PROTECTED_RESOURCES
  if (raw === undefined || raw === '' || (typeof raw === 'string' && raw.trim() === '')) return []
  const fail = (reason: string) => new ConfigError('PROTECTED_RESOURCES', reason)
  let list: unknown
  try {
    list = typeof raw === 'string' ? JSON.parse(raw) : raw
  } catch {
    throw fail('is not valid JSON')
  }
  if (!Array.isArray(list) || list.length > MAX_RESOURCES) {
    throw fail(`must be a JSON array of at most ${MAX_RESOURCES} resources`)
  }
  const seen = new Set<string>()
  return list.map((entry: unknown, i) => {
    const at = `entry ${i}`
    const { resource, name, scopes, accessTokenTtl } = (entry ?? {}) as Record<string, unknown>
    if (typeof resource !== 'string' || !URL.canParse(resource)) {
      throw fail(`${at}: resource must be a URL`)
    }
    const url = new URL(resource)
    if (
      (url.protocol !== 'https:' && !isLoopbackUrl(url)) ||
      url.hash !== '' ||
      resource.includes('#') ||
      url.search !== '' ||
      url.username !== '' ||
      url.password !== ''
    ) {
      throw fail(`${at}: resource must be an https URL without query, fragment or userinfo`)
    }
    if (seen.has(resource)) throw fail(`${at}: resource is listed twice`)
    seen.add(resource)
    if (name !== undefined && (typeof name !== 'string' || name.length > 100)) {
      throw fail(`${at}: name must be text of at most 100 characters`)
    }
    if (
      !Array.isArray(scopes) ||
      scopes.length === 0 ||
      scopes.length > 50 ||
      !scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))
    ) {
      throw fail(`${at}: scopes must be an array of 1 to 50 scope tokens`)
    }
    // These name what OpenID Connect releases; a resource's own scope of the same name would
    // be read as OpenID's, so neither would mean what it says.
    const reserved = (scopes as string[]).find((s) =>
      (OPENID_SCOPES as readonly string[]).includes(s),
    )
    if (reserved !== undefined) {
      throw fail(
        `${at}: scope ${reserved} is OpenID Connect's; name the resource's scope otherwise`,
      )
    }
    const ttl = accessTokenTtl ?? RESOURCE_TOKEN_TTL_DEFAULT
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 3600) {
      throw fail(`${at}: accessTokenTtl must be a whole number of seconds from 60 to 3600`)
    }
    return {
      resource,
      name: typeof name === 'string' && name !== '' ? name : url.host,
      scopes: [...new Set(scopes as string[])],
      accessTokenTtl: ttl,
    }
  })
}

/** The mailed links an app may take over from the hosted pages (APP_LINKS' keys). */
export type AppLinkKind = 'verifyEmail' | 'resetPassword'

/** Each a URL template with one `{token}`; a kind left out stays on the hosted page. */
export type AppLinks = Partial<Record<AppLinkKind, string>>

const APP_LINK_KINDS: readonly AppLinkKind[] = ['verifyEmail', 'resetPassword']
const TOKEN_PLACEHOLDER = '{token}'
const MAX_APP_LINK_LENGTH = 2048

/**
 * APP_LINKS: JSON `{"verifyEmail": "...", "resetPassword": "..."}`, each an https URL (http on a
 * loopback host) with exactly one `{token}` in its query or fragment, on an ALLOWED_ORIGINS
 * origin: the token then reaches only an origin the service already trusts with tokens, and the
 * operator, never a request, picks it (no link poisoning, no open redirect). Kept as the URL
 * parser spells it (`\` is `/`, a path's braces are escaped), so the host mail clients see is
 * the one checked. Unset or blank: null, the hosted pages.
 */
function appLinks(env: Bindings): AppLinks | null {
  const raw = (env as Record<string, unknown>).APP_LINKS
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null
  const fail = (reason: string) => new ConfigError('APP_LINKS', reason)
  let table: unknown
  try {
    table = typeof raw === 'string' ? JSON.parse(raw) : raw
  } catch {
    throw fail('is not valid JSON')
  }
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw fail(
      'must be a JSON object such as {"verifyEmail":"https://app.example.com/verify?token={token}"}',
    )
  }
  const origins = allowedOrigins(env)
  const links: AppLinks = {}
  for (const [kind, template] of Object.entries(table)) {
    if (!(APP_LINK_KINDS as readonly string[]).includes(kind)) {
      throw fail('has an unknown key: the keys are verifyEmail and resetPassword')
    }
    links[kind as AppLinkKind] = appLink(kind, template, origins, fail)
  }
  return links
}

function appLink(
  kind: string,
  template: unknown,
  origins: string[],
  fail: (reason: string) => ConfigError,
): string {
  if (
    typeof template !== 'string' ||
    template.length > MAX_APP_LINK_LENGTH ||
    !URL.canParse(template)
  ) {
    throw fail(`${kind} must be a URL of at most ${MAX_APP_LINK_LENGTH} characters`)
  }
  const url = new URL(template)
  if (
    (url.protocol !== 'https:' && !isLoopbackUrl(url)) ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw fail(`${kind} must be an https URL (http only on a loopback host) without userinfo`)
  }
  const href = url.href
  const count = href.split(TOKEN_PLACEHOLDER).length - 1
  const inQueryOrFragment =
    url.search.includes(TOKEN_PLACEHOLDER) || url.hash.includes(TOKEN_PLACEHOLDER)
  if (count !== 1 || !inQueryOrFragment) {
    throw fail(`${kind} must hold exactly one ${TOKEN_PLACEHOLDER}, in its query or fragment`)
  }
  // By origin, so `https://App.example.com:443` in ALLOWED_ORIGINS still names it.
  if (!origins.some((origin) => URL.canParse(origin) && new URL(origin).origin === url.origin)) {
    throw fail(`${kind} must be on an origin listed in ALLOWED_ORIGINS`)
  }
  return href
}

function brandSettings(env: Bindings): Brand {
  try {
    return readBrand(env as unknown as Record<string, unknown>)
  } catch (err) {
    if (err instanceof BrandSettingError) throw new ConfigError(err.variable, err.reason)
    throw err
  }
}

/** Token settings before the request is known: the issuer may still be "the request's origin". */
type TokenSettings = Omit<Config, 'issuer' | 'issuerFromHost'> & { issuer: string | null }

function tokenSettings(env: Bindings): TokenSettings {
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
    idTokenRsaKeys: env.OIDC_RSA_KEYS ? env.OIDC_RSA_KEYS : null,
    refreshTokenSecret,
  }
}

/**
 * The validated settings of one environment. Each part is parsed on first use and remembered,
 * failure included, so a bad value fails only what reads it: a missing secret breaks token
 * routes, not /health or /register; a bad ALLOWED_ORIGINS breaks browser requests only.
 */
export class Settings {
  private readonly parts = new Map<string, unknown>()

  constructor(private readonly env: Bindings) {}

  private part<T>(name: string, parse: (env: Bindings) => T): T | ConfigError {
    if (!this.parts.has(name)) {
      try {
        this.parts.set(name, parse(this.env))
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        this.parts.set(name, err)
      }
    }
    return this.parts.get(name) as T | ConfigError
  }

  private valid<T>(value: T | ConfigError): T {
    if (value instanceof ConfigError) throw value
    return value
  }

  /** Request limits and login backoff on; throws ConfigError when RATE_LIMITS is invalid. */
  get rateLimits(): boolean {
    return this.valid(this.part('rateLimits', rateLimitsEnabled))
  }

  /** RATE_LIMITS is validly "off" (never throws: for the request log). */
  get rateLimitsOff(): boolean {
    return this.part('rateLimits', rateLimitsEnabled) === false
  }

  /**
   * The least level of log line written. Never throws: an invalid LOG_LEVEL logs everything
   * (more, never less), and every request line says so (logLevelInvalid).
   */
  get logLevel(): Level {
    const level = this.part('logLevel', logLevel)
    return level instanceof ConfigError ? 'info' : level
  }

  /** LOG_LEVEL is set to something else than "info", "warn" or "error". */
  get logLevelInvalid(): boolean {
    return this.part('logLevel', logLevel) instanceof ConfigError
  }

  /** The browser origins CORS allows; throws ConfigError when ALLOWED_ORIGINS is invalid. */
  get allowedOrigins(): string[] {
    return this.valid(this.part('allowedOrigins', allowedOrigins))
  }

  /** ALLOWED_ORIGINS is set, validly or not (never throws: for the Vary header). */
  get corsConfigured(): boolean {
    const origins = this.part('allowedOrigins', allowedOrigins)
    return origins instanceof ConfigError || origins.length > 0
  }

  /**
   * The Email binding and MAIL_FROM are both set, so the routes that mail can try (they still
   * answer 503 when the links' public URL is missing). For pages that offer to mail.
   */
  get mailConfigured(): boolean {
    const binding = this.env.EMAIL as { send?: unknown } | undefined
    return typeof binding?.send === 'function' && Boolean(this.env.MAIL_FROM)
  }

  /**
   * APP_LINKS: the app's pages mailed links open, or null for the hosted pages; throws
   * ConfigError when it (or the ALLOWED_ORIGINS it is checked against) is invalid.
   */
  get appLinks(): AppLinks | null {
    return this.valid(this.part('appLinks', appLinks))
  }

  /**
   * SERVICE_NAME, BRAND_LOGO, BRAND_COLOR(_DARK) and BRAND_STYLESHEET; throws ConfigError when
   * one is unusable (the pages and emails then fail closed, naming it).
   */
  get brand(): Brand {
    return this.valid(this.part('brand', brandSettings))
  }

  /** The key for second factors and passkeys; throws ConfigError when it is missing or malformed. */
  get mfaKey(): string {
    return this.valid(this.part('mfaKey', mfaKey))
  }

  /**
   * The identity providers by id, each its settings or the ProviderSettingError that disables it
   * alone; throws ConfigError when AUTH_PROVIDERS as a whole is malformed (federation only).
   */
  get providers(): ProviderTable {
    return this.valid(this.part('providers', providers))
  }

  /** The resources access tokens may be issued for; throws ConfigError when the list is malformed. */
  get protectedResources(): ProtectedResource[] {
    return this.valid(this.part('protectedResources', protectedResources))
  }

  /** Days the audit log keeps an event; throws ConfigError when AUDIT_RETENTION_DAYS is unusable. */
  get auditRetentionDays(): number {
    return this.valid(
      this.part('auditRetentionDays', (env) => integer(env, 'AUDIT_RETENTION_DAYS', 1, 3650)),
    )
  }

  /**
   * WEBHOOKS_ALLOW_LOOPBACK is "on": webhook endpoints may be on a loopback host (local
   * development, tests). Throws ConfigError for any other value but "off" or unset, and for "on"
   * beside a JWT_ISSUER that is not a loopback URL: a deployment with a public address never
   * delivers to loopback.
   */
  get webhooksAllowLoopback(): boolean {
    return this.valid(this.part('webhooksAllowLoopback', webhooksAllowLoopback))
  }

  /** RP_ID, or null for the request's host; throws ConfigError when it is malformed. */
  get rpId(): string | null {
    return this.valid(this.part('rpId', rpId))
  }

  /**
   * The token settings for a request to `origin`; throws ConfigError, failing closed, when one
   * is unusable. Without JWT_ISSUER the issuer is the origin, so `iss`, the metadata and the
   * discovery URL agree wherever the worker is reached.
   */
  tokens(origin: string): Config {
    const parsed = this.valid(this.part('tokens', tokenSettings))
    return parsed.issuer === null
      ? { ...parsed, issuer: origin, issuerFromHost: true }
      : { ...parsed, issuer: parsed.issuer, issuerFromHost: false }
  }
}

// The env object lives as long as the isolate, so each one is parsed once, not per request.
const cache = new WeakMap<Bindings, Settings>()

/** The one settings object for `env`. */
export function settings(env: Bindings): Settings {
  let found = cache.get(env)
  if (!found) {
    found = new Settings(env)
    cache.set(env, found)
  }
  return found
}

/** The origin a request came to: this service's own, as the client named it. */
export const requestOrigin = (c: { req: { url: string } }): string => new URL(c.req.url).origin

/** The token settings for a request, whose origin stands in for an unset JWT_ISSUER. */
export const requestConfig = (c: { env: Bindings; req: { url: string } }): Config =>
  settings(c.env).tokens(requestOrigin(c))

/** The WebAuthn relying party: its id (a host), its name, and the origins responses may come from. */
export type RelyingParty = { id: string; name: string; origins: string[] }

/** RP_ID or the request's host; this service's origin and the ALLOWED_ORIGINS may answer. */
export function relyingParty(c: { env: Bindings; req: { url: string } }): RelyingParty {
  const origin = requestOrigin(c)
  const id = settings(c.env).rpId ?? new URL(origin).hostname
  return { id, name: id, origins: [origin, ...settings(c.env).allowedOrigins] }
}

/**
 * Where this service's public URLs start: JWT_ISSUER when it is set to a URL (the deployment's
 * public address), else the origin the request came to. Links mailed to people are built on it,
 * so no request can choose the host they point at (reset-link poisoning).
 */
export function publicBase(c: { env: Bindings; req: { url: string } }): {
  base: string
  /** Taken from the request's Host, so anything built on it varies with the Host. */
  fromHost: boolean
} {
  const cfg = requestConfig(c)
  if (!cfg.issuerFromHost && /^https?:\/\//i.test(cfg.issuer) && URL.canParse(cfg.issuer)) {
    return { base: cfg.issuer.replace(/\/+$/, ''), fromHost: false }
  }
  return { base: requestOrigin(c), fromHost: true }
}

/**
 * The name people know the service by, on every page and email: SERVICE_NAME, else the host of
 * its public URL (JWT_ISSUER, or the origin the request came to).
 */
export const serviceName = (c: { env: Bindings; req: { url: string } }): string =>
  settings(c.env).brand.name ?? new URL(publicBase(c).base).host

/** An origin browsers may act from: this service's own, or one in ALLOWED_ORIGINS. */
export const isTrustedOrigin = (c: { env: Bindings; req: { url: string } }, origin: string) =>
  origin === requestOrigin(c) || settings(c.env).allowedOrigins.includes(origin)

/**
 * The authorization server's issuer: JWT_ISSUER when it is an https URL (http on a loopback host),
 * or, with JWT_ISSUER unset, a loopback origin (`npm run dev`). Null otherwise: an issuer taken
 * from the Host would change with it, and with it what clients registered and tokens name, so the
 * authorization server is off until JWT_ISSUER names it.
 */
export function authorizationServerIssuer(c: {
  env: Bindings
  req: { url: string }
}): string | null {
  const cfg = requestConfig(c)
  if (!URL.canParse(cfg.issuer)) return null
  const url = new URL(cfg.issuer)
  const usable =
    (url.protocol === 'https:' || isLoopbackUrl(url)) &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '' &&
    !cfg.issuer.endsWith('/')
  if (!usable) return null
  return cfg.issuerFromHost && !isLoopbackUrl(url) ? null : cfg.issuer
}
