// Compact JWS over the configured signing keys, for the tokens hono/jwt cannot write or read as
// they must be: resource access tokens (`typ: at+jwt`, RFC 9068) and ID tokens. Each kind is
// signed with its own `typ` and read back only as that kind, so one cannot stand in for another.
// Never throws on what a token holds: anything unreadable is null.
import { fromBase64Url, toBase64Url, utf8 } from './encoding'
import type { KeyRing, RsaKeyRing } from './signing-keys'

const SIGN_PARAMS = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
  // The hash (SHA-256) is the key's, fixed when it was imported.
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
} as const

export type JwsAlg = keyof typeof SIGN_PARAMS

/** The access-token ring's keys (ES256 or EdDSA): what resource tokens are signed with. */
export type AsymmetricRing = KeyRing & { alg: 'ES256' | 'EdDSA' }

/** Any ring a JWS here is signed or verified with: the access-token ring, or the RS256 one. */
export type JwsRing = AsymmetricRing | RsaKeyRing

/**
 * The signature's length in bytes: 64 for ES256 (P-256's r‖s) and EdDSA (Ed25519's R‖S), the
 * modulus' for RS256. workerd throws on another length for Ed25519, which must be a refusal.
 */
function signatureLength(alg: JwsAlg, key: CryptoKey): number {
  if (alg !== 'RS256') return 64
  return (key.algorithm as CryptoKeyRsaKeyAlgorithm).modulusLength / 8
}

/** Far longer than any token this service signs: anything longer is refused unread. */
const JWS_MAX_LENGTH = 8192

const part = (value: unknown) => toBase64Url(utf8(JSON.stringify(value)))

/** Signs `claims` with the newest key, naming it (`kid`) and the token's kind (`typ`). */
export async function signJws(ring: JwsRing, typ: string, claims: object): Promise<string> {
  const header = { alg: ring.alg, typ, kid: ring.signer.kid }
  const input = `${part(header)}.${part(claims)}`
  const signature = await crypto.subtle.sign(SIGN_PARAMS[ring.alg], ring.signer, utf8(input))
  return `${input}.${toBase64Url(signature)}`
}

const json = (bytes: Uint8Array | null): Record<string, unknown> | null => {
  if (!bytes) return null
  try {
    const value: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes),
    )
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

/**
 * The claims of a token one of the ring's keys signed as `typ`, with the ring's algorithm; null
 * for anything else. Only the signature and the header are checked: the caller checks claims.
 */
export async function verifyJws(
  ring: JwsRing,
  typ: string,
  token: string,
): Promise<Record<string, unknown> | null> {
  if (token.length > JWS_MAX_LENGTH) return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const [rawHeader, rawClaims, rawSignature] = parts as [string, string, string]
  const header = json(fromBase64Url(rawHeader))
  const signature = fromBase64Url(rawSignature)
  if (!header || !signature || header.alg !== ring.alg || header.typ !== typ) return null
  if (typeof header.kid !== 'string' || 'crit' in header) return null
  const key = ring.verifiers.get(header.kid)
  if (!key || signature.byteLength !== signatureLength(ring.alg, key)) return null
  try {
    const input = utf8(`${rawHeader}.${rawClaims}`)
    const valid = await crypto.subtle.verify(SIGN_PARAMS[ring.alg], key, signature, input)
    return valid ? json(fromBase64Url(rawClaims)) : null
  } catch {
    return null
  }
}

/** The `alg` a compact JWS's header names, unverified (to pick the ring); null if unreadable. */
export function jwsAlg(token: string): unknown {
  if (token.length > JWS_MAX_LENGTH) return null
  const dot = token.indexOf('.')
  if (dot < 0) return null
  return json(fromBase64Url(token.slice(0, dot)))?.alg ?? null
}
