// Compact JWS parsing and signature checks for RFC 9068 access tokens: strict base64url, the
// header rules (typ at+jwt, ES256 or EdDSA only, a kid, no crit) and Web Crypto verification.

/** A token longer than this is refused before any parsing (RFC 9068 tokens are ~1 KiB). */
export const MAX_TOKEN_LENGTH = 8192

/** The only algorithms accepted: never `none`, never HMAC (the public key is not a secret). */
export const ALGORITHMS = ['ES256', 'EdDSA'] as const
export type Algorithm = (typeof ALGORITHMS)[number]

/** RFC 9068 §4: `typ` is `at+jwt` or `application/at+jwt`, compared case-insensitively. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt'])

/** Why a token was refused: for the caller's logs only, never for the response. */
export type Refusal =
  | 'malformed'
  | 'too_long'
  | 'wrong_type'
  | 'unsupported_alg'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'missing_claim'
  | 'first_party_token'

/** Thrown inside the verifier and turned into a result at its edge. */
export class TokenRefused extends Error {
  constructor(readonly reason: Refusal) {
    super(reason)
  }
}

export type ParsedJws = {
  header: { alg: Algorithm; kid: string } & Record<string, unknown>
  payload: Record<string, unknown>
  signingInput: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Decodes base64url without padding, refusing every non-canonical spelling (padding, stray
 * characters, non-zero trailing bits): one token has exactly one accepted byte string.
 */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new TokenRefused('malformed')
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
  if (encodeBase64url(bytes) !== text) throw new TokenRefused('malformed')
  return bytes
}

export function encodeBase64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function decodeJsonObject(part: string): Record<string, unknown> {
  let value: unknown
  try {
    // fatal: invalid UTF-8 is refused; ignoreBOM keeps a BOM, so JSON.parse refuses it too.
    value = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(decodeBase64url(part)),
    )
  } catch (error) {
    if (error instanceof TokenRefused) throw error
    throw new TokenRefused('malformed')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenRefused('malformed')
  }
  return value as Record<string, unknown>
}

/** Splits and decodes a compact JWS and checks its header; the signature is not checked yet. */
export function parseAccessTokenJws(token: string): ParsedJws {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenRefused('too_long')
  const parts = token.split('.')
  if (parts.length !== 3) throw new TokenRefused('malformed')
  const [head, body, sig] = parts as [string, string, string]
  const header = decodeJsonObject(head)
  const typ = header.typ
  if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
    throw new TokenRefused('wrong_type')
  }
  if (!ALGORITHMS.includes(header.alg as Algorithm)) throw new TokenRefused('unsupported_alg')
  // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand; we know none.
  if ('crit' in header) throw new TokenRefused('malformed')
  if (typeof header.kid !== 'string' || header.kid === '') throw new TokenRefused('unknown_key')
  const payload = decodeJsonObject(body)
  const signature = decodeBase64url(sig)
  return {
    header: header as ParsedJws['header'],
    payload,
    signingInput: new TextEncoder().encode(`${head}.${body}`) as Uint8Array<ArrayBuffer>,
    signature,
  }
}

/** Web Crypto parameters for verifying `alg`. */
export function verifyParams(alg: Algorithm): Parameters<typeof crypto.subtle.verify>[0] {
  return alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }
}

/**
 * Verifies the signature. An ES256 signature is r‖s, 32 bytes each; r or s of zero is refused
 * here as well as by Web Crypto (CVE-2022-21449, "psychic signatures").
 */
export async function verifySignature(jws: ParsedJws, key: CryptoKey): Promise<void> {
  const { signature } = jws
  if (signature.length !== 64) throw new TokenRefused('bad_signature')
  if (
    jws.header.alg === 'ES256' &&
    (isZero(signature.subarray(0, 32)) || isZero(signature.subarray(32)))
  ) {
    throw new TokenRefused('bad_signature')
  }
  let valid = false
  try {
    valid = await crypto.subtle.verify(
      verifyParams(jws.header.alg),
      key,
      signature,
      jws.signingInput,
    )
  } catch {
    valid = false
  }
  if (!valid) throw new TokenRefused('bad_signature')
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0)
}
