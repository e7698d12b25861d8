import { describe, expect, it } from 'vitest'
import {
  fromBase64Url,
  isCanonicalBase64Url,
  timingSafeEqual,
  toBase64Url,
} from '../../src/auth/encoding'

describe('encoding', () => {
  it('round-trips bytes through unpadded base64url', () => {
    const bytes = new Uint8Array([0, 251, 255, 62, 63, 1])
    const text = toBase64Url(bytes)
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(fromBase64Url(text)).toEqual(bytes)
  })

  it('refuses padding, standard base64 and non-canonical spellings', () => {
    expect(fromBase64Url('AA==')).toBeNull()
    expect(fromBase64Url('+/+/')).toBeNull()
    expect(fromBase64Url('AB')).toBeNull() // stray low bits: the canonical form of that byte is "AA"
    expect(fromBase64Url('A')).toBeNull()
  })

  it('compares equal-length and unequal-length buffers', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false)
  })
})

describe('canonical base64url, checked without decoding', () => {
  it('agrees with decode-and-re-encode on every length and last character', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    for (const prefix of ['', 'AAAA', 'QUJD', 'AB', 'ABC']) {
      for (const last of [...alphabet, '+', '/', '=', '.']) {
        const text = prefix + last
        const bytes =
          /^[\w-]*$/.test(text) && text.length % 4 !== 1
            ? Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
                c.charCodeAt(0),
              )
            : null
        const canonical = bytes !== null && toBase64Url(bytes) === text
        expect(isCanonicalBase64Url(text), text).toBe(canonical)
        expect(fromBase64Url(text) !== null, text).toBe(canonical)
      }
    }
  })
})
