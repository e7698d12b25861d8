// CBOR (RFC 8949), only what WebAuthn sends: the attestation object, COSE keys and authenticator
// extensions. Integers, byte and text strings, arrays, maps keyed by integers or strings, true,
// false and null, of definite length and in their shortest form; tags, floats, 64-bit arguments
// and indefinite lengths are refused, as is anything that runs past its input. (tiny-cbor, the
// general decoder @simplewebauthn/server uses, is three times the size in the bundle, reads a
// view from its buffer's start, and reads a byte string cut short by the input as a shorter one.)
import { WebAuthnError } from './errors'

/** Nesting WebAuthn never comes near (a COSE key is depth 2), and far from the stack's limit. */
const MAX_DEPTH = 16

const malformed = () => new WebAuthnError('malformed')

/** The CBOR item starting at `at` in `bytes`, and the offset just past it. */
export function decodeCborItem(bytes: Uint8Array, at: number): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = at
  const take = (length: number) => {
    if (length > bytes.length - pos) throw malformed()
    pos += length
    return pos - length
  }
  const item = (depth: number): unknown => {
    if (depth > MAX_DEPTH) throw malformed()
    const initial = bytes[take(1)]!
    const major = initial >> 5
    let argument = initial & 0x1f
    if (argument >= 24) {
      const size = [1, 2, 4][argument - 24]
      if (!size) throw malformed()
      const from = take(size)
      argument =
        size === 1 ? bytes[from]! : size === 2 ? view.getUint16(from) : view.getUint32(from)
      // The shortest form only (RFC 8949 §4.2.1, which CTAP2 requires): one spelling per value.
      if (argument < [24, 256, 65536][size >> 1]!) throw malformed()
    }
    switch (major) {
      case 0:
        return argument
      case 1:
        return -1 - argument
      case 2:
        return bytes.slice(take(argument), pos)
      case 3:
        try {
          return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
            bytes.subarray(take(argument), pos),
          )
        } catch {
          throw malformed()
        }
      case 4: {
        // Each element takes a byte at least: a count beyond the input is refused unread.
        if (argument > bytes.length - pos) throw malformed()
        const list: unknown[] = []
        for (let i = 0; i < argument; i++) list.push(item(depth + 1))
        return list
      }
      case 5: {
        if (argument > bytes.length - pos) throw malformed()
        const map = new Map<string | number, unknown>()
        for (let i = 0; i < argument; i++) {
          const key = item(depth + 1)
          if ((typeof key !== 'number' && typeof key !== 'string') || map.has(key)) {
            throw malformed()
          }
          map.set(key, item(depth + 1))
        }
        return map
      }
      case 7:
        // Simple values 20, 21, 22; floats and the rest are refused.
        if (initial >= 0xf4 && initial <= 0xf6) return [false, true, null][initial - 0xf4]
    }
    throw malformed()
  }
  const value = item(0)
  return { value, end: pos }
}

/** `bytes` as exactly one CBOR item, with nothing after it. */
export function decodeCbor(bytes: Uint8Array): unknown {
  const { value, end } = decodeCborItem(bytes, 0)
  if (end !== bytes.length) throw malformed()
  return value
}

export type CborMap = Map<string | number, unknown>

export const isCborMap = (value: unknown): value is CborMap => value instanceof Map

/** A byte string of exactly `length` bytes, or of any length when none is given. */
export const isBytes = (value: unknown, length?: number): value is Uint8Array<ArrayBuffer> =>
  value instanceof Uint8Array && (length === undefined || value.length === length)
