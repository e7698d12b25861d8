// The CBOR decoder: it reads back what @simplewebauthn/server's encoder (tiny-cbor) writes, agrees
// with tiny-cbor's decoder wherever it decodes at all, and refuses as 'malformed' what WebAuthn
// never sends or what runs past its input.
import { isoCBOR } from '@simplewebauthn/server/helpers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCbor, decodeCborItem } from '../../../src/auth/webauthn/cbor'
import { WebAuthnError } from '../../../src/auth/webauthn/errors'
import { concat } from '../../doubles/authenticator'

const ITEM = isoCBOR.encode(new Map<number, unknown>([[-2, new Uint8Array(32).fill(9)]]) as never)

const reasonOf = (work: () => unknown) => {
  try {
    work()
    return 'decoded'
  } catch (err) {
    return err instanceof WebAuthnError ? err.reason : err
  }
}

/** What WebAuthn's CBOR holds: 32-bit integers, strings, bytes, and arrays and maps of them. */
const { value: cborValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    fc.integer({ min: -(2 ** 32), max: 2 ** 32 - 1 }),
    fc.string(),
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .uniqueArray(
        fc.tuple(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string()), tie('value')),
        {
          selector: ([key]) => key,
          maxLength: 4,
        },
      )
      .map((entries) => new Map(entries)),
  ),
}))

const encode = (value: unknown) => isoCBOR.encode(value as never)

describe('decodeCborItem', () => {
  it('reads back whatever the library encodes, at any offset, and says where it ends', () => {
    fc.assert(
      fc.property(cborValue, fc.uint8Array({ maxLength: 3 }), (value, before) => {
        const bytes = concat(before, encode(value), new Uint8Array([0xff]))
        const { value: decoded, end } = decodeCborItem(bytes, before.length)
        expect(decoded).toEqual(value)
        expect(end).toBe(bytes.length - 1)
      }),
      { numRuns: 300 },
    )
  })

  it("agrees with tiny-cbor wherever both decode, and refuses only with 'malformed'", () => {
    const bent = fc
      .tuple(cborValue, fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([value, at, xor]) => {
        const bytes = encode(value)
        bytes[at % bytes.length]! ^= xor
        return bytes
      })
    fc.assert(
      fc.property(fc.oneof(bent, fc.uint8Array({ minLength: 1, maxLength: 40 })), (bytes) => {
        let ours: unknown
        try {
          ours = decodeCborItem(bytes, 0).value
        } catch (err) {
          expect(err).toBeInstanceOf(WebAuthnError)
          return
        }
        expect(isoCBOR.decodeFirst(bytes as Uint8Array<ArrayBuffer>)).toEqual(ours)
      }),
      { numRuns: 2000 },
    )
  })

  it('reads a view into a larger buffer as the bytes it shows', () => {
    // Lengths and integers of two and four bytes, read through the view's own offset.
    const value = new Map<number, unknown>([[70_000, new Uint8Array(300).fill(9)]])
    const item = encode(value)
    const view = concat(new Uint8Array([0x19, 0xff, 0xff]), item).subarray(3)
    expect(decodeCborItem(view, 0)).toEqual({ value, end: item.length })
  })

  it.each([
    ['no bytes at all', new Uint8Array(0)],
    // tiny-cbor reads this one as 31 bytes and counts 32.
    ['a byte string running past the end', ITEM.slice(0, -1)],
    ['a count of elements beyond the input', new Uint8Array([0x9a, 0xff, 0xff, 0xff, 0xff])],
    ['an indefinite-length map', new Uint8Array([0xbf, 0x01, 0x02, 0xff])],
    ['a 64-bit integer', new Uint8Array([0x1b, 0, 0, 0, 1, 0, 0, 0, 0])],
    ['an integer not in its shortest form', new Uint8Array([0x19, 0x00, 0xff])],
    ['a length not in its shortest form', new Uint8Array([0x58, 0x01, 0x00])],
    ['a float', new Uint8Array([0xf9, 0x3c, 0x00])],
    ['undefined', new Uint8Array([0xf7])],
    ['a tag', new Uint8Array([0xc0, 0x60])],
    ['a text string that is not UTF-8', new Uint8Array([0x61, 0xff])],
    ['a duplicate map key', new Uint8Array([0xa2, 0x01, 0x01, 0x01, 0x02])],
    ['a map keyed by bytes', new Uint8Array([0xa1, 0x41, 0x00, 0x01])],
    ['a map cut after a key', new Uint8Array([0xa1, 0x01])],
    ['nesting 17 deep', new Uint8Array([...new Array(17).fill(0x81), 0x01])],
  ])('refuses %s as malformed', (_, bytes) => {
    expect(reasonOf(() => decodeCborItem(bytes, 0))).toBe('malformed')
  })

  it('reads nesting 16 deep', () => {
    expect(
      reasonOf(() => decodeCborItem(new Uint8Array([...new Array(16).fill(0x81), 1]), 0)),
    ).toBe('decoded')
  })
})

describe('decodeCbor', () => {
  it('wants exactly one item', () => {
    expect(reasonOf(() => decodeCbor(ITEM))).toBe('decoded')
    expect(reasonOf(() => decodeCbor(concat(ITEM, new Uint8Array([0]))))).toBe('malformed')
  })
})
