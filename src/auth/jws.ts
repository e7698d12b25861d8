// Compact JWS over the configured signing keys, for the tokens hono/jwt cannot write or read as
// they must be: resource access tokens (`typ: at+jwt`, RFC 9068) and ID tokens. Each kind is
// signed with its own `typ` and read back only as that kind, so one cannot stand in for another.
import { fromBase64Url, toBase64Url, utf8 } from './encoding'
import type { KeyRing } from './signing-keys'

const SIGN_PARAMS = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
} as const

export type AsymmetricRing = KeyRing & { alg: keyof typeof SIGN_PARAMS }

const SIGNATURE_LENGTH = 64

/** Far longer than any token this service signs: anything longer is refused unread. */
const JWS_MAX_LENGTH = 8192

const part = (value: unknown) => toBase64Url(utf8(JSON.stringify(value)))

/** Signs `claims` with the newest key, naming it (`kid`) and the token's kind (`typ`). */
export async function signJws(ring: AsymmetricRing, typ: string, claims: object): Promise<string> {
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
  ring: AsymmetricRing,
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
  // Both algorithms sign in 64 bytes (P-256's r‖s, Ed25519's R‖S); workerd throws on another
  // length for Ed25519, which must be a refusal, not a 500.
  if (!key || signature.byteLength !== SIGNATURE_LENGTH) return null
  try {
    const input = utf8(`${rawHeader}.${rawClaims}`)
    const valid = await crypto.subtle.verify(SIGN_PARAMS[ring.alg], key, signature, input)
    return valid ? json(fromBase64Url(rawClaims)) : null
  } catch {
    return null
  }
}
