// Signing keys for access tokens, the one module that reads JWT_PRIVATE_KEYS' format: parsed,
// checked and imported once per isolate; the first key signs, all verify, and only their public
// halves are ever published.
import { ConfigError, type Signing, type SigningAlg } from '../env'
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

/**
 * JWT_PRIVATE_KEYS: a JWK set of `alg` private keys, newest first, each with a unique kid.
 * Throws ConfigError naming what is wrong, never a key's value.
 */
export function parsePrivateKeys({ alg, source }: AsymmetricSigning): PrivateJwk[] {
  const fail = (reason: string) => new ConfigError('JWT_PRIVATE_KEYS', reason)
  let set: unknown
  try {
    set = JSON.parse(source)
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

/** The members of a public JWK; anything else (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) stays private. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid'] as const

export type PublicJwk = {
  kid: string
  kty: 'EC' | 'OKP'
  crv: 'P-256' | 'Ed25519'
  x: string
  y?: string
  alg: AsymmetricSigning['alg']
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

export const publicJwk = (key: PrivateJwk, alg: AsymmetricSigning['alg']): PublicJwk => {
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
