// Edwards25519 arithmetic in BigInt, for the tests only: derives the small-order points from the
// curve equation (so the verifier's blocklist is checked against mathematics, not against a list
// copied from elsewhere), and builds the encodings an attacker would try: every small-order point,
// every non-canonical spelling of one (y >= p, x = 0 with the sign bit set), and forged signatures.
import { isoCBOR } from '@simplewebauthn/server/helpers'

export const P = 2n ** 255n - 19n
/** The order of the prime subgroup (RFC 8032 §5.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n

const mod = (a: bigint) => ((a % P) + P) % P
const pow = (base: bigint, exp: bigint) => {
  let result = 1n
  let b = mod(base)
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P
    b = (b * b) % P
  }
  return result
}
const inv = (a: bigint) => pow(a, P - 2n)
const D = mod(-121665n * inv(121666n))
const SQRT_M1 = pow(2n, (P - 1n) / 4n)

/** A square root mod p (p ≡ 5 mod 8), or null when `a` is not a square. */
function sqrt(a: bigint): bigint | null {
  const root = pow(a, (P + 3n) / 8n)
  if (mod(root * root - a) === 0n) return root
  const other = mod(root * SQRT_M1)
  return mod(other * other - a) === 0n ? other : null
}

type Point = { x: bigint; y: bigint }
const IDENTITY: Point = { x: 0n, y: 1n }

/** Twisted Edwards addition, a = -1 (complete: works for doubling and the identity too). */
function add(a: Point, b: Point): Point {
  const t = mod(D * a.x * b.x * a.y * b.y)
  return {
    x: mod((a.x * b.y + a.y * b.x) * inv(1n + t)),
    y: mod((a.y * b.y + a.x * b.x) * inv(1n - t)),
  }
}

export function multiply(point: Point, scalar: bigint): Point {
  let result = IDENTITY
  let addend = point
  for (let k = scalar; k > 0n; k >>= 1n) {
    if (k & 1n) result = add(result, addend)
    addend = add(addend, addend)
  }
  return result
}

const isIdentity = (p: Point) => p.x === 0n && p.y === 1n
const onCurve = ({ x, y }: Point) => mod(-x * x + y * y - 1n - D * x * x * y * y) === 0n

/** The point with this y and x's parity, or null when none is on the curve. */
function withY(y: bigint, odd: boolean): Point | null {
  const x2 = mod((y * y - 1n) * inv(D * y * y + 1n))
  const x = sqrt(x2)
  if (x === null) return null
  const point = { x: (x & 1n) === (odd ? 1n : 0n) ? x : mod(-x), y }
  return onCurve(point) ? point : null
}

/** RFC 8032 §5.1.2: y little-endian, x's parity in the top bit. `y` may be >= p on purpose. */
export function encode(y: bigint, signBit: boolean): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(32)
  let rest = y
  for (let i = 0; i < 32; i++, rest >>= 8n) bytes[i] = Number(rest & 0xffn)
  if (signBit) bytes[31]! |= 0x80
  return bytes
}

const encodePoint = (p: Point) => encode(p.y, (p.x & 1n) === 1n)

/**
 * The eight points of order dividing 8, from the curve: the identity, (0, -1), (±√-1, 0), and
 * the four whose double is (±√-1, 0), whose y satisfies d·y⁴ + 2y² − 1 = 0.
 */
function torsion(): Point[] {
  const points: Point[] = [IDENTITY, { x: 0n, y: P - 1n }, withY(0n, false)!, withY(0n, true)!]
  const disc = sqrt(mod(1n + D))!
  for (const root of [disc, mod(-disc)]) {
    const y = sqrt(mod((root - 1n) * inv(D)))
    if (y === null) continue
    for (const yy of [y, mod(-y)]) for (const odd of [false, true]) points.push(withY(yy, odd)!)
  }
  return points
}

export const SMALL_ORDER_POINTS = torsion()

/** Each of the eight as an authenticator would encode it: canonical, and each of order ≤ 8. */
export const SMALL_ORDER_ENCODINGS = SMALL_ORDER_POINTS.map(encodePoint)

/** Spellings of small-order points no canonical encoder emits: the sign bit on x = 0, y >= p. */
export const NON_CANONICAL_SMALL_ORDER_ENCODINGS = [
  encode(1n, true), // the identity with "negative" x = 0
  encode(P - 1n, true), // (0, -1), likewise
  encode(P, false), // y = p ≡ 0: (√-1, 0)
  encode(P, true),
  encode(P + 1n, false), // y = p + 1 ≡ 1: the identity
  encode(P + 1n, true),
]

/** y >= p is non-canonical for every point (p .. 2^255 - 1), small order or not. */
export const NON_CANONICAL_ENCODINGS = Array.from({ length: 19 }, (_, i) =>
  encode(P + BigInt(i), false),
)

/** Checks the derivation itself: eight distinct points, each on the curve and of order ≤ 8. */
export const selfCheck = () =>
  SMALL_ORDER_POINTS.every((p) => onCurve(p) && isIdentity(multiply(p, 8n))) &&
  new Set(SMALL_ORDER_POINTS.map((p) => `${p.x},${p.y}`)).size === 8

/** A little-endian scalar of 32 bytes, as the S half of a signature. */
export const scalarBytes = (s: bigint) => encode(s, false)

/** The forgery against a small-order key: R = the identity's encoding, S = 0. */
export const FORGED_SIGNATURE = new Uint8Array([...encode(1n, false), ...new Uint8Array(32)])

/** An Ed25519 COSE_Key (OKP, crv 6, alg EdDSA) with `x` as its public key. */
export const okpCoseKey = (x: Uint8Array): Uint8Array<ArrayBuffer> =>
  isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 1],
      [3, -8],
      [-1, 6],
      [-2, x],
    ]) as never,
  ) as Uint8Array<ArrayBuffer>
