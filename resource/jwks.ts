// The issuer's public keys: fetched from its JWKS, cached per its Cache-Control within caps,
// refetched at most once a minute for an unknown kid, imported into Web Crypto once per key.
import { type Algorithm, TokenRefused } from './jws'

/** Without a max-age the key set is kept this long. */
export const DEFAULT_JWKS_TTL_SECONDS = 600
/** A max-age below this (or no-store) still caches this long, so traffic never drives fetches. */
export const MIN_JWKS_TTL_SECONDS = 60
/** A max-age above this is cut to it, so a key the issuer withdraws stops working within an hour. */
export const MAX_JWKS_TTL_SECONDS = 3600
/** An unknown kid refetches the key set at most this often (a rotated-in key shows up fast). */
export const UNKNOWN_KID_REFETCH_SECONDS = 60
/** After a failed fetch, requests fail fast for this long instead of each retrying the issuer. */
export const FAILED_FETCH_BACKOFF_SECONDS = 5
/** A key set larger than this is refused (a real one is a few hundred bytes per key). */
export const MAX_JWKS_BYTES = 64 * 1024
/** A fetch of the key set that takes longer than this fails. */
export const JWKS_FETCH_TIMEOUT_MS = 5000

/** The key set could not be fetched or read: the resource answers 503, not 401. */
export class JwksUnavailable extends Error {
  constructor() {
    super('The issuer key set is unavailable')
  }
}

type Jwk = { kty?: unknown; crv?: unknown; x?: unknown; y?: unknown; kid?: unknown } & Record<
  string,
  unknown
>

type CachedSet = {
  /** kid → JWK; `null` marks a kid that appears twice, which no token may use. */
  keys: Map<string, Jwk | null>
  imported: Map<string, Promise<CryptoKey | null>>
  expiresAt: number
}

export type KeySetOptions = {
  jwksUri: string
  fetch: typeof fetch
}

export function createKeySet({ jwksUri, fetch: fetchImpl }: KeySetOptions) {
  let cached: CachedSet | undefined
  let lastFetchAt = -Infinity
  let failedAt = -Infinity
  let inFlight: Promise<CachedSet> | undefined

  async function load(): Promise<CachedSet> {
    const now = Date.now()
    if (now - failedAt < FAILED_FETCH_BACKOFF_SECONDS * 1000) throw new JwksUnavailable()
    lastFetchAt = now
    try {
      const fresh = await fetchKeySet(jwksUri, fetchImpl)
      cached = fresh
      return fresh
    } catch {
      failedAt = Date.now()
      throw new JwksUnavailable()
    }
  }

  /** One fetch at a time: concurrent requests share it. */
  function refresh(): Promise<CachedSet> {
    inFlight ??= load().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }

  /** The key for `kid` usable with `alg`, or TokenRefused('unknown_key'). */
  async function keyFor(kid: string, alg: Algorithm): Promise<CryptoKey> {
    let set = cached && Date.now() < cached.expiresAt ? cached : await refresh()
    if (!set.keys.has(kid) && Date.now() - lastFetchAt >= UNKNOWN_KID_REFETCH_SECONDS * 1000) {
      set = await refresh()
    }
    const jwk = set.keys.get(kid)
    if (!jwk) throw new TokenRefused('unknown_key')
    const cacheKey = `${alg}:${kid}`
    let imported = set.imported.get(cacheKey)
    if (!imported) {
      imported = importPublicKey(jwk, alg)
      set.imported.set(cacheKey, imported)
    }
    const key = await imported
    if (!key) throw new TokenRefused('unknown_key')
    return key
  }

  return { keyFor }
}

async function fetchKeySet(jwksUri: string, fetchImpl: typeof fetch): Promise<CachedSet> {
  const response = await fetchImpl(jwksUri, {
    headers: { Accept: 'application/jwk-set+json, application/json' },
    // The issuer serves its keys itself: a redirect is a misconfiguration or an attack.
    redirect: 'manual',
    signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
  })
  if (response.status !== 200) throw new Error('unexpected status')
  const declared = Number(response.headers.get('Content-Length') ?? '0')
  if (declared > MAX_JWKS_BYTES) throw new Error('too large')
  const text = await response.text()
  if (text.length > MAX_JWKS_BYTES) throw new Error('too large')
  const body: unknown = JSON.parse(text)
  const list = (body as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) throw new Error('no keys')
  const keys = new Map<string, Jwk | null>()
  for (const jwk of list as Jwk[]) {
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kid !== 'string') continue
    if (jwk.use !== undefined && jwk.use !== 'sig') continue
    keys.set(jwk.kid, keys.has(jwk.kid) ? null : jwk)
  }
  return {
    keys,
    imported: new Map(),
    expiresAt: Date.now() + ttlSeconds(response.headers.get('Cache-Control')) * 1000,
  }
}

/** How long to keep the key set: its max-age, clamped to [MIN, MAX]. */
export function ttlSeconds(cacheControl: string | null): number {
  if (!cacheControl) return DEFAULT_JWKS_TTL_SECONDS
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim())
  if (directives.includes('no-store') || directives.includes('no-cache')) {
    return MIN_JWKS_TTL_SECONDS
  }
  const maxAge = directives.find((d) => d.startsWith('max-age='))?.slice('max-age='.length)
  if (maxAge === undefined || !/^\d+$/.test(maxAge)) return DEFAULT_JWKS_TTL_SECONDS
  return Math.min(MAX_JWKS_TTL_SECONDS, Math.max(MIN_JWKS_TTL_SECONDS, Number(maxAge)))
}

/**
 * Imports the public members only, and only when the key fits `alg` (its kty and crv, and its
 * own `alg` and `key_ops` when present): a token cannot pick how a key is used.
 */
async function importPublicKey(jwk: Jwk, alg: Algorithm): Promise<CryptoKey | null> {
  if (jwk.alg !== undefined && jwk.alg !== alg) return null
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes('verify')) return null
  }
  try {
    if (alg === 'ES256') {
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return null
      const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as JsonWebKey
      return await crypto.subtle.importKey(
        'jwk',
        publicJwk,
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['verify'],
      )
    }
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') return null
    const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x } as JsonWebKey
    return await crypto.subtle.importKey('jwk', publicJwk, { name: 'Ed25519' }, false, ['verify'])
  } catch {
    return null
  }
}
