// DER ECDSA signatures to r‖s: every pair of scalars round-trips, and every encoding that is not
// strict DER of two positive P-256 scalars is refused.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { derToP256Signature } from '../../../src/auth/webauthn/der'
import { derSignature } from '../../doubles/authenticator'

const hex = (text: string) =>
  new Uint8Array((text.match(/[0-9a-f]{2}/g) ?? []).map((byte) => parseInt(byte, 16)))

const scalar = (first: string) => first + '11'.repeat(32 - first.length / 2)
/** A DER signature from hex INTEGER contents, lengths filled in. */
const der = (...integers: string[]) => {
  const body = integers.map((i) => `02${(i.length / 2).toString(16).padStart(2, '0')}${i}`).join('')
  return hex(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`)
}

describe('derToP256Signature', () => {
  it('reads back any r and s, whatever their leading zeros and top bits', () => {
    const component = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      // Small values: many leading zero bytes, which DER drops.
      fc.uint8Array({ minLength: 1, maxLength: 31 }).map((tail) => {
        const padded = new Uint8Array(32)
        padded.set(tail, 32 - tail.length)
        return padded
      }),
    )
    const nonZero = component.filter((c) => c.some((b) => b !== 0))
    fc.assert(
      fc.property(nonZero, nonZero, (r, s) => {
        const raw = new Uint8Array([...r, ...s])
        expect(derToP256Signature(derSignature(raw))).toEqual(raw)
      }),
      { numRuns: 500 },
    )
  })

  it('takes a sign byte before a set top bit, and left-pads short scalars', () => {
    const r = '80' + '00'.repeat(31)
    expect(derToP256Signature(der('00' + r, '01'))).toEqual(hex(r + '00'.repeat(31) + '01'))
  })

  it.each([
    ['empty', ''],
    ['a bare SEQUENCE header', '3000'],
    ['another tag than SEQUENCE', '3106020101020101'],
    ['a long-form length', '308106020101020101'],
    ['a SEQUENCE longer than its bytes', '3007020101020101'],
    ['a SEQUENCE shorter than its bytes', '3005020101020101'],
    ['a byte after the SEQUENCE', '300602010102010100'],
    ['one INTEGER only', '3003020101'],
    ['three INTEGERs', '3009020101020101020101'],
    ['another tag than INTEGER', '3006030101020101'],
    ['an empty INTEGER', '30050200020101'],
    ['an INTEGER running past the end', '3006020501020101'],
    ['zeros, r = s = 0 (CVE-2022-21449)', '3006020100020100'],
    ['r = 0', '3006020100020101'],
  ])('refuses %s', (_, text) => {
    expect(derToP256Signature(hex(text))).toBeNull()
  })

  it.each([
    ['a negative r (top bit set, no sign byte)', der(scalar('80'), scalar('01'))],
    [
      'a non-minimal r (a zero byte before a clear top bit)',
      der('00' + scalar('7f'), scalar('01')),
    ],
    ['a non-minimal r (two zero bytes)', der('0000' + scalar('80'), scalar('01'))],
    ['an r of 33 bytes', der('01' + scalar('80'), scalar('01'))],
    ['a negative s', der(scalar('01'), scalar('ff'))],
  ])('refuses %s', (_, signature) => {
    expect(derToP256Signature(signature)).toBeNull()
  })
})
