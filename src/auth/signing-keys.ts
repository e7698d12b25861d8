// Signing keys, the one module that reads their formats: JWT_PRIVATE_KEYS (access tokens, and ID
// tokens unless RS256) and OIDC_RSA_KEYS (RS256 ID tokens). Each set is parsed, checked and
// imported once per isolate; the first key signs, all verify, and only their public halves are
// ever published.
import { ConfigError, type Signing, type SigningAlg } from '../env'
import { fromBase64Url } from './encoding'
import { hmacKeyCache } from './hmac-keys'

const IMPORT_PARAMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  EdDSA: { name: 'Ed25519' },
} as const

type AsymmetricSigning = Exclude<Signing, { alg: 'HS256' }>

/** A private signing key as configured: a JWK with a `kid`. */
export type PrivateJwk = JsonWebKey & { kid: string }

/** The members each algorithm's private JWK must carry. */
const KEY_SHAPES = {
  ES256: { kty: 'EC', crv: 'P-256', members: ['x', 'y', 'd'] },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['x', 'd'] },
} as const

/** The keys of a JWK set given as JSON: at least one, or the ConfigError `fail` makes. */
function jwkSetKeys(source: string, fail: (reason: string) => ConfigError): unknown[] {
  let set: unknown
  try {
    set = JSON.parse(source)
  } catch {
    throw fail('is not valid JSON')
  }
  const keys = (set as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) {
    throw fail('must be a JWK set with at least one key')
  }
  return keys
}

/**
 * JWT_PRIVATE_KEYS: a JWK set of `alg` private keys, newest first, each with a unique kid.
 * Throws ConfigError naming what is wrong, never a key's value.
 */
export function parsePrivateKeys({ alg, source }: AsymmetricSigning): PrivateJwk[] {
  const fail = (reason: string) => new ConfigError('JWT_PRIVATE_KEYS', reason)
  const keys = jwkSetKeys(source, fail)
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

/** The members of a public JWK; anything else (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) stays private. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid'] as const

/** A published key: EC or OKP (`crv`, `x`, `y`) for the access-token keys, RSA (`n`, `e`) for RS256. */
export type PublicJwk = {
  kid: string
  kty: 'EC' | 'OKP' | 'RSA'
  crv?: 'P-256' | 'Ed25519'
  x?: string
  y?: string
  n?: string
  e?: string
  alg: AsymmetricSigning['alg'] | 'RS256'
  use: 'sig'
}

/**
 * A signing key as hono/jwt's `sign` wants it to write `kid` into the header: a key object
 * carrying `alg` and `kid`. Passing the imported CryptoKey itself (rather than the JWK) keeps
 * the import out of the request path.
 */
export type SigningKey = CryptoKey & { alg: SigningAlg; kid?: string }

export type KeyRing = {
  alg: SigningAlg
  signer: SigningKey
  /** Verification keys by `kid`; the HS256 secret is filed under the empty kid. */
  verifiers: Map<string, CryptoKey>
  /** What /.well-known/jwks.json publishes: nothing at all for HS256. */
  publicKeys: PublicJwk[]
}

export const publicJwk = (key: PrivateJwk, alg: PublicJwk['alg']): PublicJwk => {
  const jwk: Record<string, unknown> = { alg, use: 'sig' }
  for (const member of PUBLIC_MEMBERS) if (key[member] !== undefined) jwk[member] = key[member]
  return jwk as unknown as PublicJwk
}

/** Only the key material is handed to importKey: `alg`, `use` or `key_ops` in a JWK must not veto it. */
const importJwk = (jwk: JsonWebKey, alg: AsymmetricSigning['alg'], usage: 'sign' | 'verify') => {
  const { kty, crv, x, y, d } = jwk
  const material = usage === 'sign' ? { kty, crv, x, y, d } : { kty, crv, x, y }
  return crypto.subtle.importKey('jwk', material, IMPORT_PARAMS[alg], false, [usage])
}

async function importRing(signing: AsymmetricSigning): Promise<KeyRing> {
  const { alg } = signing
  const keys = parsePrivateKeys(signing)
  const publicKeys = keys.map((key) => publicJwk(key, alg))
  try {
    const newest = keys[0]!
    const signer = Object.assign(await importJwk(newest, alg, 'sign'), { alg, kid: newest.kid })
    const verifiers = new Map<string, CryptoKey>()
    for (const jwk of publicKeys) verifiers.set(jwk.kid, await importJwk(jwk, alg, 'verify'))
    return { alg, signer, verifiers, publicKeys }
  } catch {
    // A key of the right shape whose numbers are not a valid key; the message could echo them.
    throw new ConfigError('JWT_PRIVATE_KEYS', `holds a key that is not a valid ${alg} private key`)
  }
}

const hmacKey = hmacKeyCache(['sign', 'verify'])
let cached: { source: string; ring: Promise<KeyRing> } | undefined

/** The key ring for the configured signing, imported once per isolate and configuration. */
export function keyRing(signing: Signing): Promise<KeyRing> {
  const source = signing.alg === 'HS256' ? `HS256:${signing.secret}` : signing.source
  if (cached?.source !== source) {
    const ring =
      signing.alg === 'HS256'
        ? hmacKey(signing.secret).then((key) => ({
            alg: 'HS256' as const,
            signer: Object.assign(key, { alg: 'HS256' as const }) as SigningKey,
            verifiers: new Map([['', key]]),
            publicKeys: [],
          }))
        : importRing(signing)
    // A failed import must not be cached: the next request tries again and reports again.
    ring.catch(() => {
      if (cached?.ring === ring) cached = undefined
    })
    cached = { source, ring }
  }
  return cached.ring
}

// ---- OIDC_RSA_KEYS: RS256, for ID tokens only (OpenID Connect's default algorithm).

/** NIST SP 800-131A: RSA under 2048 bits is not acceptable for signatures. */
export const RSA_MIN_MODULUS_BITS = 2048
/**
 * Above this a signature costs far more CPU (RSA-8192 is ~30x RSA-2048) for no gain a relying
 * party can use; refused so a pasted key cannot quietly make every sign-in slow.
 */
export const RSA_MAX_MODULUS_BITS = 4096

/** Web Crypto imports an RSA private JWK only with the CRT members too. */
const RSA_PRIVATE_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const

const RSA_PARAMS = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

/** The modulus' length in bits, from its base64url big-endian bytes (leading zeros ignored). */
function modulusBits(n: string): number {
  const bytes = fromBase64Url(n)
  if (!bytes) return 0
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  if (i === bytes.length) return 0
  return (bytes.length - i) * 8 - Math.clz32(bytes[i]!) + 24
}

/**
 * OIDC_RSA_KEYS: a JWK set of RSA private keys (2048 to 4096 bits), newest first, each with a
 * unique kid. Throws ConfigError naming what is wrong, never a key's value.
 */
export function parseRsaKeys(source: string): PrivateJwk[] {
  const fail = (reason: string) => new ConfigError('OIDC_RSA_KEYS', reason)
  const keys = jwkSetKeys(source, fail)
  const kids = new Set<string>()
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || Array.isArray(key))
      throw fail('must hold RS256 private keys (kty RSA)')
    const jwk = key as Record<string, unknown>
    const kid = jwk.kid
    if (typeof kid !== 'string' || kid === '' || kids.has(kid))
      throw fail('needs a unique kid on every key')
    kids.add(kid)
    const wellFormed =
      jwk.kty === 'RSA' &&
      (jwk.alg === undefined || jwk.alg === 'RS256') &&
      (jwk.use === undefined || jwk.use === 'sig') &&
      RSA_PRIVATE_MEMBERS.every((member) => typeof jwk[member] === 'string')
    if (!wellFormed) throw fail('must hold RS256 private keys (kty RSA)')
    const bits = modulusBits(jwk.n as string)
    if (bits < RSA_MIN_MODULUS_BITS || bits > RSA_MAX_MODULUS_BITS) {
      throw fail(`must hold RSA keys of ${RSA_MIN_MODULUS_BITS} to ${RSA_MAX_MODULUS_BITS} bits`)
    }
  }
  return keys as PrivateJwk[]
}

/** The RS256 keys: the newest signs (with its kid), all verify. */
export type RsaKeyRing = {
  alg: 'RS256'
  signer: CryptoKey & { kid: string }
  verifiers: Map<string, CryptoKey>
  publicKeys: PublicJwk[]
}

async function importRsaRing(source: string): Promise<RsaKeyRing> {
  const keys = parseRsaKeys(source)
  const publicKeys = keys.map((key) => publicJwk(key, 'RS256'))
  try {
    const newest = keys[0]!
    // Only the key material: `alg`, `use` or `key_ops` in a JWK must not veto the import.
    const { kty, n, e, d, p, q, dp, dq, qi } = newest
    const material = { kty, n, e, d, p, q, dp, dq, qi }
    const signer = Object.assign(
      await crypto.subtle.importKey('jwk', material, RSA_PARAMS, false, ['sign']),
      { kid: newest.kid },
    )
    const verifiers = new Map<string, CryptoKey>()
    for (const jwk of publicKeys) {
      const key = { kty: jwk.kty, n: jwk.n, e: jwk.e }
      verifiers.set(
        jwk.kid,
        await crypto.subtle.importKey('jwk', key, RSA_PARAMS, false, ['verify']),
      )
    }
    // Web Crypto imports a private key whose members do not belong together (it signs with the
    // CRT members, unchecked against n): one signature, checked once per isolate, proves they do.
    const probe = new TextEncoder().encode('OIDC_RSA_KEYS self-check')
    const signature = await crypto.subtle.sign(RSA_PARAMS, signer, probe)
    if (!(await crypto.subtle.verify(RSA_PARAMS, verifiers.get(newest.kid)!, signature, probe))) {
      throw new Error('mismatched key')
    }
    return { alg: 'RS256', signer, verifiers, publicKeys }
  } catch {
    // A key of the right shape whose numbers are not a valid key; the message could echo them.
    throw new ConfigError('OIDC_RSA_KEYS', 'holds a key that is not a valid RSA private key')
  }
}

let cachedRsa: { source: string; ring: Promise<RsaKeyRing> } | undefined

/** The RS256 key ring for OIDC_RSA_KEYS' value, imported once per isolate and value. */
export function rsaKeyRing(source: string): Promise<RsaKeyRing> {
  if (cachedRsa?.source !== source) {
    const ring = importRsaRing(source)
    // A failed import must not be cached: the next request tries again and reports again.
    ring.catch(() => {
      if (cachedRsa?.ring === ring) cachedRsa = undefined
    })
    cachedRsa = { source, ring }
  }
  return cachedRsa.ring
}
