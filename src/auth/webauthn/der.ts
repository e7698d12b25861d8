// ES256 signatures arrive as ASN.1 DER, ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
// (WebAuthn §6.5.5); Web Crypto verifies r‖s, each 32 bytes on P-256. Only strict DER is read:
// short-form lengths (a P-256 signature is at most 72 bytes), minimal positive integers, nothing
// after the sequence. OpenSSL and Go refuse any other encoding, so authenticators emit no other.

const P256_SCALAR_BYTES = 32
/** SEQUENCE header plus two INTEGERs of 33 bytes (a 32-byte scalar with its sign byte). */
const P256_DER_MAX_BYTES = 2 + 2 * (2 + P256_SCALAR_BYTES + 1)

/** r‖s of a DER-encoded P-256 ECDSA signature; null when it is not exactly one. */
export function derToP256Signature(der: Uint8Array): Uint8Array<ArrayBuffer> | null {
  if (der.length > P256_DER_MAX_BYTES || der[0] !== 0x30 || der[1] !== der.length - 2) return null
  const raw = new Uint8Array(2 * P256_SCALAR_BYTES)
  let at = 2
  for (const offset of [0, P256_SCALAR_BYTES]) {
    const length = der[at + 1] ?? 0
    const start = at + 2
    const end = start + length
    if (der[at] !== 0x02 || length === 0 || end > der.length) return null
    const first = der[start]!
    // A set top bit is a negative number; a zero first byte must be the sign byte of one whose
    // next byte has its top bit set, else the encoding is not minimal (or the value is 0, which
    // is never a valid r or s: CVE-2022-21449 accepted r = s = 0).
    if (first & 0x80) return null
    if (first === 0 && (length === 1 || !(der[start + 1]! & 0x80))) return null
    const scalar = der.subarray(first === 0 ? start + 1 : start, end)
    if (scalar.length > P256_SCALAR_BYTES) return null
    raw.set(scalar, offset + P256_SCALAR_BYTES - scalar.length)
    at = end
  }
  return at === der.length ? raw : null
}
