// Strict Ed25519 (RFC 8032 §5.1, as "Taming the many EdDSAs", Chalkias et al. 2020, and
// libsodium's blocklist define strict): what Web Crypto leaves to the caller. workerd verifies
// cofactorless and refuses S >= L, but imports small-order and non-canonical keys, and with a
// small-order key the forgery R = identity, S = 0 verifies without any private key (for every
// message with the identity as key, for one in two, four or eight with the others); see
// test/auth/webauthn/ed25519.test.ts. Keys are checked wherever one is imported: at
// registration, and again at each sign-in, so a key stored before this check (or written into
// D1 by other means) cannot be used either.

/** The field prime, 2^255 - 19. */
const P = 2n ** 255n - 19n
/** The order of the prime subgroup; a signature's S must be below it. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n
/** The y of the four points of order 8 (two y values, each with either sign of x). */
const Y_ORDER_8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n

/**
 * Every y a point of order 1, 2, 4 or 8 has: 1 (the identity), p - 1 (order 2), 0 (order 4) and
 * the two of order 8. Whatever the sign bit, a key with one of these y is small order, or spells
 * x = 0 as negative (non-canonical); either way it is refused.
 */
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y_ORDER_8, P - Y_ORDER_8])

const ED25519_BYTES = 32
const SIGNATURE_BYTES = 64

/** `bytes` as an unsigned little-endian integer. */
function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!)
  return value
}

/**
 * Whether a 32-byte public key is one strict verification accepts: y canonical (below p) and
 * not the y of a small-order point. Whether the point is on the curve at all is Web Crypto's
 * import to judge. Keys of mixed order (a small-order part added to a proper key) pass, as in
 * libsodium: forging for one still needs the discrete log of its prime-order part.
 */
export function isStrictEd25519PublicKey(key: Uint8Array): boolean {
  if (key.length !== ED25519_BYTES) return false
  const y = littleEndian(key) & ((1n << 255n) - 1n)
  return y < P && !SMALL_ORDER_Y.has(y)
}

/** Whether a signature is R‖S of 64 bytes with S canonical (S < L, RFC 8032 §5.1.7). */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  return signature.length === SIGNATURE_BYTES && littleEndian(signature.subarray(32)) < L
}
