// The identity providers people may sign in with: AUTH_PROVIDERS (a JSON var keyed by provider
// id) and each provider's secrets, parsed into typed settings. src/env.ts's Settings calls this
// once per isolate; each provider parses on its own, so a broken one fails only itself.
import { log } from '../log'
import { checkOutboundUrl, isLoopbackHost, OutboundError } from '../outbound/fetch'

export type ProviderType = 'oidc' | 'google' | 'github' | 'apple' | 'microsoft'

type Common = {
  /** The key in AUTH_PROVIDERS: lowercase letters, digits, hyphens; in paths (/signin/{id}). */
  id: string
  type: ProviderType
  /** What the sign-in button says ("Continue with {name}"). */
  name: string
  clientId: string
  /**
   * Every audience an ID token may carry: clientId first, then the extra ones (`clientIds`) of
   * native apps signing in with the platform's own SDK (iOS, Android) and posting its ID token.
   */
  audiences: string[]
  /** Scopes asked for; `openid` first for OIDC providers. */
  scopes: string[]
  /**
   * Whether an address this provider calls verified may link to an existing account with the
   * same verified address, or be a new account's (`trustEmail`). By default true for Google,
   * Apple and github.com, false for a generic provider and GitHub Enterprise Server, and never
   * for Microsoft, whose tokens carry no `email_verified`.
   */
  emailTrusted: boolean
  /** The provider lives on a loopback host (development, tests): outbound fetches may go there. */
  allowLoopback: boolean
}

/** How the client authenticates at the token endpoint. */
export type ClientAuth =
  | { method: 'client_secret'; secret: string }
  /** Apple: an ES256 JWT signed with this PKCS #8 key, minted by the worker and renewed. */
  | { method: 'apple_jwt'; teamId: string; keyId: string; privateKeyPem: string }

/** An OpenID Connect provider: endpoints from discovery, ID tokens checked against its JWKS. */
export type OidcProvider = Common & {
  protocol: 'oidc'
  type: 'oidc' | 'google' | 'apple' | 'microsoft'
  /**
   * The issuer discovery must announce and ID tokens must carry, exactly. With `tenantIssuer`,
   * Microsoft's multi-tenant template `https://login.microsoftonline.com/{tenantid}/v2.0`.
   */
  issuer: string
  /** `{issuer}/.well-known/openid-configuration`, OIDC Discovery 1.0 §4. */
  discoveryUrl: string
  /** `issuer` holds `{tenantid}`, which the token's `tid` fills in (Microsoft common/organizations). */
  tenantIssuer: boolean
  /** Other spellings of the issuer a token may carry (Google's `accounts.google.com`). */
  alternateIssuers: string[]
  /** Apple posts the callback (`form_post`); the others redirect with a query. */
  responseMode: 'query' | 'form_post'
  clientAuth: ClientAuth
  /** Google Workspace domain the account must belong to (the token's `hd`), when configured. */
  hostedDomain: string | null
}

/** An OAuth 2 provider without OpenID Connect (GitHub): fixed endpoints, profile from its API. */
export type OAuth2Provider = Common & {
  protocol: 'oauth2'
  type: 'github'
  authorizationEndpoint: string
  tokenEndpoint: string
  /** The profile (`id`, `login`, `name`, `email` which is null when private). */
  userEndpoint: string
  /** Every address with `primary` and `verified`: where the primary verified address comes from. */
  emailsEndpoint: string
  clientAuth: ClientAuth
}

export type Provider = OidcProvider | OAuth2Provider

/** One provider's unusable setting. Names the setting, never its value. */
export class ProviderSettingError extends Error {
  constructor(
    readonly provider: string,
    /** `AUTH_PROVIDERS.acme.issuer` or `PROVIDER_ACME_CLIENT_SECRET`. */
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`${variable} ${reason}`)
    this.name = 'ProviderSettingError'
  }
}

/** Every configured provider id, each with its settings or the error that disables it. */
export type ProviderTable = ReadonlyMap<string, Provider | ProviderSettingError>

/** The providers with usable settings, in configuration order: those people may sign in with. */
export const usableProviders = (table: ProviderTable): Provider[] =>
  [...table.values()].filter((p): p is Provider => !(p instanceof ProviderSettingError))

/** The result of reading AUTH_PROVIDERS: the table, or why the variable as a whole is unusable. */
export type ProvidersRead = { providers: ProviderTable } | { invalid: string }

/** 1 to 32 characters, no hyphen at either end: it becomes a path segment and a secret's name. */
export const PROVIDER_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/

/** More providers than any sign-in page shows; a guard against a pasted blob, not a product limit. */
export const MAX_PROVIDERS = 20

/** `PROVIDER_<ID>_<what>`: the id upper-cased, `-` as `_`. */
export const providerSecretName = (id: string, what: 'CLIENT_SECRET' | 'PRIVATE_KEY'): string =>
  `PROVIDER_${id.toUpperCase().replaceAll('-', '_')}_${what}`

const GOOGLE_ISSUER = 'https://accounts.google.com'
const APPLE_ISSUER = 'https://appleid.apple.com'
const MICROSOFT_HOST = 'https://login.microsoftonline.com'
/** Microsoft's personal-accounts tenant, whose discovery announces it rather than `consumers`. */
const MICROSOFT_CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const GITHUB = {
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  userEndpoint: 'https://api.github.com/user',
  emailsEndpoint: 'https://api.github.com/user/emails',
}

/** GitHub Enterprise Server at `base`: the same OAuth app flow, its REST API under /api/v3. */
const githubEnterprise = (base: URL) => {
  const root = base.href.replace(/\/$/, '')
  return {
    authorizationEndpoint: `${root}/login/oauth/authorize`,
    tokenEndpoint: `${root}/login/oauth/access_token`,
    userEndpoint: `${root}/api/v3/user`,
    emailsEndpoint: `${root}/api/v3/user/emails`,
  }
}

const enterpriseReason =
  'must be the https URL of a GitHub Enterprise Server (http only on a loopback host)'

/** Settings each type accepts; anything else is refused, so a typo is never silently ignored. */
const KEYS: Record<ProviderType, readonly string[]> = {
  oidc: ['type', 'name', 'issuer', 'clientId', 'clientIds', 'scopes', 'trustEmail'],
  google: ['type', 'name', 'clientId', 'clientIds', 'scopes', 'hd', 'trustEmail'],
  github: ['type', 'name', 'clientId', 'scopes', 'enterpriseUrl', 'trustEmail'],
  apple: ['type', 'name', 'clientId', 'clientIds', 'scopes', 'teamId', 'keyId', 'trustEmail'],
  microsoft: ['type', 'name', 'clientId', 'clientIds', 'scopes', 'tenant'],
}

const DEFAULT_NAMES: Record<Exclude<ProviderType, 'oidc'>, string> = {
  google: 'Google',
  github: 'GitHub',
  apple: 'Apple',
  microsoft: 'Microsoft',
}

const DEFAULT_SCOPES: Record<ProviderType, string[]> = {
  oidc: ['openid', 'email', 'profile'],
  google: ['openid', 'email', 'profile'],
  // GitHub: the profile, and the address list where private addresses are.
  github: ['read:user', 'user:email'],
  // Apple sends the name (in the first callback only) and the address.
  apple: ['openid', 'name', 'email'],
  microsoft: ['openid', 'email', 'profile'],
}

/** A client id or a scope: printable, no spaces or controls. */
const TOKEN_TEXT = /^[\x21-\x7e]{1,256}$/
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/ // RFC 6749 §3.3 scope-token
const NAME_MAX = 40
/** Apple team and key ids: 10 upper-case letters or digits. */
const APPLE_ID = /^[A-Z0-9]{10}$/
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i
const PKCS8_PEM = /^-----BEGIN PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----\s*$/

type Secrets = (name: string) => unknown

/** Parses one provider's settings; throws ProviderSettingError naming the first bad setting. */
function parseProvider(id: string, raw: unknown, secretOf: Secrets): Provider {
  const at = (key: string) => `AUTH_PROVIDERS.${id}${key ? `.${key}` : ''}`
  const fail = (key: string, reason: string) => new ProviderSettingError(id, at(key), reason)
  if (!PROVIDER_ID.test(id)) {
    throw fail('', 'is not a provider id (1-32 lowercase letters, digits and inner hyphens)')
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw fail('', 'must be an object')
  }
  const entry = raw as Record<string, unknown>
  const type = entry.type
  if (typeof type !== 'string' || !Object.hasOwn(KEYS, type)) {
    throw fail('type', 'must be "oidc", "google", "github", "apple" or "microsoft"')
  }
  const kind = type as ProviderType
  for (const key of Object.keys(entry)) {
    if (!KEYS[kind].includes(key)) throw fail(key, `is not a setting of a ${kind} provider`)
  }

  const text = (key: string, pattern: RegExp, reason: string): string | undefined => {
    const value = entry[key]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !pattern.test(value)) throw fail(key, reason)
    return value
  }
  const list = (key: string, pattern: RegExp, max: number, reason: string): string[] => {
    const value = entry[key]
    if (value === undefined) return []
    if (
      !Array.isArray(value) ||
      value.length > max ||
      !value.every((item) => typeof item === 'string' && pattern.test(item))
    ) {
      throw fail(key, reason)
    }
    return [...new Set(value as string[])]
  }

  const clientId = text('clientId', TOKEN_TEXT, 'must be the client id the provider issued')
  if (clientId === undefined) throw fail('clientId', 'is required')
  const extraIds = list('clientIds', TOKEN_TEXT, 10, 'must be a list of up to 10 client ids')
  const name = entry.name ?? (kind === 'oidc' ? undefined : DEFAULT_NAMES[kind])
  if (
    typeof name !== 'string' ||
    name.trim() === '' ||
    name.length > NAME_MAX ||
    /[\p{Cc}\p{Cf}]/u.test(name)
  ) {
    throw fail('name', `must be a label of 1-${NAME_MAX} printable characters`)
  }
  const configuredScopes = list('scopes', SCOPE, 20, 'must be a list of up to 20 scope tokens')
  const scopes = configuredScopes.length > 0 ? configuredScopes : DEFAULT_SCOPES[kind]
  // Whose "verified" may join accounts: Google's, Apple's and github.com's by default (they
  // verify addresses themselves); a generic provider's or a GitHub Enterprise Server's only when
  // the operator says so (their users or admins may set the claim); Microsoft's never.
  const trust = entry.trustEmail
  if (trust !== undefined && typeof trust !== 'boolean') {
    throw fail('trustEmail', 'must be true or false')
  }
  const trustedByDefault =
    kind === 'google' || kind === 'apple' || (kind === 'github' && !entry.enterpriseUrl)
  const common = {
    id,
    name,
    clientId,
    audiences: [...new Set([clientId, ...extraIds])],
    emailTrusted: trust ?? trustedByDefault,
    allowLoopback: false,
  }

  if (kind === 'github') {
    const enterprise = entry.enterpriseUrl
    if (enterprise !== undefined && typeof enterprise !== 'string') {
      throw fail('enterpriseUrl', enterpriseReason)
    }
    // An empty string is a mistake to name, not github.com.
    const base =
      enterprise === undefined
        ? undefined
        : issuerUrl(enterprise, () => fail('enterpriseUrl', enterpriseReason))
    return {
      ...common,
      type: 'github',
      protocol: 'oauth2',
      scopes,
      ...(base ? githubEnterprise(base) : GITHUB),
      allowLoopback: base ? isLoopbackHost(base.hostname) : false,
      clientAuth: clientSecret(id, secretOf),
    }
  }

  // OpenID Connect: `openid` is what makes the answer carry an ID token.
  const oidcScopes = ['openid', ...scopes.filter((scope) => scope !== 'openid')]
  const oidc = {
    ...common,
    protocol: 'oidc' as const,
    scopes: oidcScopes,
    tenantIssuer: false,
    alternateIssuers: [] as string[],
    responseMode: 'query' as const,
    hostedDomain: null,
  }
  switch (kind) {
    case 'oidc': {
      const issuer = entry.issuer
      if (typeof issuer !== 'string') throw fail('issuer', 'is required')
      const url = issuerUrl(issuer, () => fail('issuer', issuerReason))
      return {
        ...oidc,
        type: 'oidc',
        issuer,
        discoveryUrl: discoveryUrl(issuer),
        allowLoopback: isLoopbackHost(url.hostname),
        clientAuth: clientSecret(id, secretOf),
      }
    }
    case 'google': {
      const hd = text('hd', HOST_NAME, 'must be a domain name such as example.com')
      return {
        ...oidc,
        type: 'google',
        issuer: GOOGLE_ISSUER,
        discoveryUrl: discoveryUrl(GOOGLE_ISSUER),
        // Google documents both spellings of `iss` in its ID tokens.
        alternateIssuers: ['accounts.google.com'],
        hostedDomain: hd?.toLowerCase() ?? null,
        clientAuth: clientSecret(id, secretOf),
      }
    }
    case 'apple': {
      const teamId = text('teamId', APPLE_ID, 'must be the 10-character Apple team id')
      const keyId = text(
        'keyId',
        APPLE_ID,
        'must be the 10-character id of the Sign in with Apple key',
      )
      if (teamId === undefined) throw fail('teamId', 'is required')
      if (keyId === undefined) throw fail('keyId', 'is required')
      const keyName = providerSecretName(id, 'PRIVATE_KEY')
      const pem = secretOf(keyName)
      if (typeof pem !== 'string' || pem === '')
        throw new ProviderSettingError(id, keyName, 'is not set')
      if (!PKCS8_PEM.test(pem.trim())) {
        throw new ProviderSettingError(
          id,
          keyName,
          'must be the .p8 key file Apple issued (PKCS #8 PEM)',
        )
      }
      return {
        ...oidc,
        type: 'apple',
        issuer: APPLE_ISSUER,
        discoveryUrl: discoveryUrl(APPLE_ISSUER),
        // The name and email scopes need form_post; Apple then posts the callback cross-site.
        responseMode: 'form_post',
        clientAuth: { method: 'apple_jwt', teamId, keyId, privateKeyPem: pem.trim() },
      }
    }
    case 'microsoft': {
      const tenant = entry.tenant ?? 'common'
      const multi = tenant === 'common' || tenant === 'organizations'
      if (typeof tenant !== 'string' || !(multi || tenant === 'consumers' || GUID.test(tenant))) {
        throw fail('tenant', 'must be "common", "organizations", "consumers" or a tenant id (GUID)')
      }
      // Multi-tenant discovery announces a template that the token's `tid` fills in; a single
      // tenant's announces its own id (for `consumers`, the personal-accounts tenant).
      const announced = multi
        ? '{tenantid}'
        : tenant === 'consumers'
          ? MICROSOFT_CONSUMERS_TENANT
          : tenant.toLowerCase()
      return {
        ...oidc,
        type: 'microsoft',
        issuer: `${MICROSOFT_HOST}/${announced}/v2.0`,
        discoveryUrl: discoveryUrl(`${MICROSOFT_HOST}/${tenant.toLowerCase()}/v2.0`),
        tenantIssuer: multi,
        clientAuth: clientSecret(id, secretOf),
      }
    }
  }
}

const issuerReason =
  'must be an https URL without query, fragment or credentials (http only on a loopback host)'

/** The issuer as a URL we may fetch: https (or a loopback host), no query, fragment or userinfo. */
function issuerUrl(issuer: string, fail: () => ProviderSettingError): URL {
  let url: URL
  try {
    url = checkOutboundUrl(issuer, true)
  } catch (err) {
    if (err instanceof OutboundError) throw fail()
    throw err
  }
  // OIDC Core §2: an issuer has no query or fragment.
  if (url.search !== '' || issuer.includes('?')) throw fail()
  return url
}

/** OIDC Discovery §4: a terminating `/` is removed before the well-known suffix is appended. */
export const discoveryUrl = (issuer: string): string =>
  `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`

function clientSecret(id: string, secretOf: Secrets): ClientAuth {
  const name = providerSecretName(id, 'CLIENT_SECRET')
  const secret = secretOf(name)
  if (typeof secret !== 'string' || secret === '') {
    throw new ProviderSettingError(id, name, 'is not set')
  }
  return { method: 'client_secret', secret }
}

/**
 * Reads AUTH_PROVIDERS (unset or empty: no providers) and each provider's secrets through
 * `secretOf`. A provider that does not parse becomes its ProviderSettingError and is logged once,
 * naming the setting; the others work. Only a variable that is not a JSON object as a whole
 * comes back `invalid`.
 */
export function readProviders(raw: unknown, secretOf: Secrets): ProvidersRead {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    return { providers: new Map() }
  }
  let parsed: unknown = raw
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw)
    } catch {
      // The parser's message quotes the text; the variable's name is enough.
      return { invalid: 'is not valid JSON' }
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { invalid: 'must be a JSON object keyed by provider id' }
  }
  const entries = Object.entries(parsed)
  if (entries.length > MAX_PROVIDERS) {
    return { invalid: `lists more than ${MAX_PROVIDERS} providers` }
  }
  const providers = new Map<string, Provider | ProviderSettingError>()
  for (const [id, settings] of entries) {
    try {
      providers.set(id, parseProvider(id, settings, secretOf))
    } catch (err) {
      if (!(err instanceof ProviderSettingError)) throw err
      providers.set(id, err)
      log.error('provider_config_invalid', {
        provider: id.slice(0, 64),
        variable: err.variable.slice(0, 128),
        reason: err.reason,
      })
    }
  }
  return { providers }
}
