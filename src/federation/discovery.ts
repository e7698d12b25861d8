// OpenID Connect discovery and key sets for the configured OIDC providers, fetched through
// outbound/fetch.ts and cached per isolate: the metadata for an hour (a failure for 30 seconds),
// the keys for 10 minutes, refetched early only for an unknown `kid` and at most once a minute.
import { now } from '../clock'
import { log } from '../log'
import { checkOutboundUrl, fetchJson, OutboundError } from '../outbound/fetch'
import type { OidcProvider } from './providers'

/** What a sign-in needs from a provider's discovery document, checked. */
export type ProviderMetadata = {
  /** Exactly the configured issuer (OIDC Discovery 1.0 §4.3). */
  issuer: string
  authorizationEndpoint: string
  tokenEndpoint: string
  jwksUri: string
  userinfoEndpoint: string | null
  /** RFC 9207: the provider adds `iss` to its authorization responses, so we require it. */
  issParameterSupported: boolean
  /** Empty when the document does not say. */
  codeChallengeMethods: string[]
  /** How clients may authenticate at the token endpoint; empty when the document does not say. */
  tokenAuthMethods: string[]
}

/** Why a provider's answer is refused, after the fetch itself succeeded. */
export type ProviderFailure =
  /** Discovery announced another issuer than the one configured (a mix-up or a misconfiguration). */
  | 'issuer_mismatch'
  /** The discovery document lacks an endpoint, or names one we would not fetch. */
  | 'invalid_metadata'
  /** The key set is not a JWK set. */
  | 'invalid_jwks'
  /** No key in the (fresh) key set matches the token's `kid` and `alg`. */
  | 'unknown_key'
  /** The token endpoint refused our client credentials: a misconfigured id or secret. */
  | 'client_refused'
  /** The token endpoint's answer lacks the tokens a sign-in needs. */
  | 'invalid_token_response'

/** A provider answered something unusable. Callers answer 502; it names the provider only. */
export class ProviderError extends Error {
  readonly status = 502
  constructor(
    readonly provider: string,
    readonly reason: ProviderFailure,
  ) {
    super(`provider ${provider}: ${reason}`)
    this.name = 'ProviderError'
  }
}

/** Provider metadata changes with a provider's releases, not by the minute. */
export const DISCOVERY_TTL_MS = 60 * 60 * 1000
/** A provider that failed is not asked again for this long: each sign-in meanwhile fails fast. */
export const DISCOVERY_FAILURE_TTL_MS = 30 * 1000
/** Keys are replaced at rotation; a retired key stops verifying within this long. */
export const JWKS_TTL_MS = 10 * 60 * 1000
/**
 * An unknown `kid` refetches the keys (the provider rotated), but not more often than this, so
 * tokens with made-up `kid`s cannot make us hammer the provider (oauth4webapi does the same).
 */
export const JWKS_REFETCH_MIN_INTERVAL_MS = 60 * 1000
/** More keys than any provider publishes (Google and Microsoft publish 2-6). */
const MAX_KEYS = 50

type Cached<T> = { value: T; expiresAt: number } | { error: Error; expiresAt: number }

// Per isolate. Only settled answers are kept, never a pending promise: a promise started by one
// request must not be awaited by another, which workerd may cancel with the first.
const metadataCache = new Map<string, Cached<ProviderMetadata>>()
const keyCache = new Map<string, { keys: JsonWebKey[]; fetchedAt: number; expiresAt: number }>()
const keyFailures = new Map<string, { error: Error; expiresAt: number }>()

const cacheKey = (provider: OidcProvider) =>
  `${provider.discoveryUrl} ${provider.issuer} ${provider.allowLoopback}`

function endpoint(provider: OidcProvider, value: unknown, required: true): string
function endpoint(provider: OidcProvider, value: unknown, required: false): string | null
function endpoint(provider: OidcProvider, value: unknown, required: boolean): string | null {
  if (value === undefined && !required) return null
  if (typeof value !== 'string') throw new ProviderError(provider.id, 'invalid_metadata')
  try {
    // The same rules as any fetch: https, no userinfo, no IP address, loopback only in development.
    return checkOutboundUrl(value, provider.allowLoopback).href
  } catch (err) {
    if (err instanceof OutboundError) throw new ProviderError(provider.id, 'invalid_metadata')
    throw err
  }
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []

/** Checks a discovery document against the provider's settings. */
function parseMetadata(provider: OidcProvider, json: unknown): ProviderMetadata {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ProviderError(provider.id, 'invalid_metadata')
  }
  const doc = json as Record<string, unknown>
  // Exact string equality, no normalising of a trailing slash: the same string must then be the
  // `iss` of every ID token, and OIDC Discovery §4.3 requires them identical.
  if (doc.issuer !== provider.issuer) throw new ProviderError(provider.id, 'issuer_mismatch')
  return {
    issuer: provider.issuer,
    authorizationEndpoint: endpoint(provider, doc.authorization_endpoint, true),
    tokenEndpoint: endpoint(provider, doc.token_endpoint, true),
    jwksUri: endpoint(provider, doc.jwks_uri, true),
    userinfoEndpoint: endpoint(provider, doc.userinfo_endpoint, false),
    issParameterSupported: doc.authorization_response_iss_parameter_supported === true,
    codeChallengeMethods: strings(doc.code_challenge_methods_supported),
    tokenAuthMethods: strings(doc.token_endpoint_auth_methods_supported),
  }
}

function logFailure(event: string, provider: OidcProvider, err: Error): void {
  log.warn(event, {
    provider: provider.id,
    reason: err instanceof OutboundError || err instanceof ProviderError ? err.reason : 'error',
    status: err instanceof OutboundError ? err.upstreamStatus : undefined,
  })
}

/**
 * The provider's checked discovery document, from the cache when fresh. Throws OutboundError
 * (fetch failed) or ProviderError (answer refused); either is remembered for 30 seconds.
 */
export async function discover(
  provider: OidcProvider,
  fetcher?: typeof fetch,
): Promise<ProviderMetadata> {
  const key = cacheKey(provider)
  const cached = metadataCache.get(key)
  if (cached && cached.expiresAt > now()) {
    if ('error' in cached) throw cached.error
    return cached.value
  }
  try {
    const { json } = await fetchJson(provider.discoveryUrl, {
      allowLoopback: provider.allowLoopback,
      fetcher,
    })
    const value = parseMetadata(provider, json)
    metadataCache.set(key, { value, expiresAt: now() + DISCOVERY_TTL_MS })
    return value
  } catch (err) {
    if (!(err instanceof OutboundError || err instanceof ProviderError)) throw err
    metadataCache.set(key, { error: err, expiresAt: now() + DISCOVERY_FAILURE_TTL_MS })
    logFailure('provider_discovery_failed', provider, err)
    throw err
  }
}

/** The key set's public signing keys; anything else in it is left out. */
function parseKeys(provider: OidcProvider, json: unknown): JsonWebKey[] {
  const keys = (json as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) {
    throw new ProviderError(provider.id, 'invalid_jwks')
  }
  return keys.filter(
    (key): key is JsonWebKey =>
      typeof key === 'object' &&
      key !== null &&
      typeof (key as JsonWebKey).kty === 'string' &&
      // A key with private members is a provider's mistake; never use it.
      !('d' in key) &&
      ((key as JsonWebKey).use === undefined || (key as JsonWebKey).use === 'sig'),
  )
}

async function fetchKeys(
  provider: OidcProvider,
  jwksUri: string,
  fetcher?: typeof fetch,
): Promise<JsonWebKey[]> {
  const failed = keyFailures.get(jwksUri)
  if (failed && failed.expiresAt > now()) throw failed.error
  try {
    const { json } = await fetchJson(jwksUri, { allowLoopback: provider.allowLoopback, fetcher })
    const keys = parseKeys(provider, json)
    keyCache.set(jwksUri, { keys, fetchedAt: now(), expiresAt: now() + JWKS_TTL_MS })
    keyFailures.delete(jwksUri)
    return keys
  } catch (err) {
    if (!(err instanceof OutboundError || err instanceof ProviderError)) throw err
    keyFailures.set(jwksUri, { error: err, expiresAt: now() + DISCOVERY_FAILURE_TTL_MS })
    logFailure('provider_jwks_failed', provider, err)
    throw err
  }
}

/** The JWK `kty` (and curve) each accepted ID-token algorithm needs. */
const KEY_TYPES: Record<string, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
}

function selectKey(keys: JsonWebKey[], kid: string | undefined, alg: string): JsonWebKey | null {
  const type = KEY_TYPES[alg]
  if (!type) return null
  const candidates = keys.filter(
    (key) =>
      key.kty === type.kty &&
      (type.crv === undefined || key.crv === type.crv) &&
      (key.alg === undefined || key.alg === alg) &&
      (kid === undefined || (key as { kid?: unknown }).kid === kid),
  )
  // Without a `kid`, only an unambiguous set will do.
  return candidates.length === 1 ? candidates[0]! : null
}

/**
 * The provider's public key for a token signed with `alg` (RS256, ES256 or EdDSA) under `kid`.
 * An unknown `kid` refetches the key set once, if the cached one is a minute old or more;
 * otherwise, or when the fresh set lacks it too, ProviderError('unknown_key').
 */
export async function providerKey(
  provider: OidcProvider,
  header: { kid?: string; alg: string },
  fetcher?: typeof fetch,
): Promise<JsonWebKey> {
  const { jwksUri } = await discover(provider, fetcher)
  let cached = keyCache.get(jwksUri)
  if (!cached || cached.expiresAt <= now()) {
    await fetchKeys(provider, jwksUri, fetcher)
    cached = keyCache.get(jwksUri)!
  }
  const found = selectKey(cached.keys, header.kid, header.alg)
  if (found) return found
  if (now() - cached.fetchedAt < JWKS_REFETCH_MIN_INTERVAL_MS) {
    throw new ProviderError(provider.id, 'unknown_key')
  }
  log.info('provider_jwks_refetch', { provider: provider.id, reason: 'unknown_kid' })
  const again = selectKey(await fetchKeys(provider, jwksUri, fetcher), header.kid, header.alg)
  if (!again) throw new ProviderError(provider.id, 'unknown_key')
  return again
}

/**
 * The origins a browser may be sent to to sign in at `provider`, without fetching anything: the
 * issuer's, and the discovered authorization endpoint's once discovery has run in this isolate.
 * The hosted pages' CSP lets their forms redirect there (a form whose redirect leaves the allowed
 * `form-action` targets is blocked by the browser).
 */
export function authorizationOrigins(provider: OidcProvider): string[] {
  const origins = new Set([new URL(provider.issuer.replace('{tenantid}', 'common')).origin])
  const cached = metadataCache.get(cacheKey(provider))
  if (cached && 'value' in cached) origins.add(new URL(cached.value.authorizationEndpoint).origin)
  return [...origins]
}
