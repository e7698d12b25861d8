import { generateHOTP } from '@oslojs/otp'
import { decodeBase32 } from '@oslojs/encoding'
import { describe, expect, it } from 'vitest'
import {
  isTotpShaped,
  matchTotp,
  newTotpSecret,
  totpSecretText,
  totpStep,
  totpUri,
} from '../../src/auth/totp'
import { utf8 } from '../../src/auth/encoding'

// RFC 6238 Appendix B, SHA-1: the seed is the ASCII string "12345678901234567890".
const RFC_SEED = utf8('12345678901234567890')
const RFC_VECTORS: [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
]

describe('TOTP (RFC 6238)', () => {
  it.each(RFC_VECTORS)('matches the RFC vector at T=%i', (seconds, code) => {
    const step = totpStep(seconds * 1000)
    expect(step).toBe(Math.floor(seconds / 30))
    expect(generateHOTP(RFC_SEED, BigInt(step), 8)).toBe(code)
    // Six digits are the last six of eight (the same number, mod 10^6).
    expect(matchTotp(RFC_SEED, code.slice(2), seconds * 1000)).toBe(step)
  })

  it('accepts one step either side of now, and no further', () => {
    const at = 1111111111 * 1000
    const now = totpStep(at)
    const code = (step: number) => generateHOTP(RFC_SEED, BigInt(step), 6)
    expect(matchTotp(RFC_SEED, code(now - 1), at)).toBe(now - 1)
    expect(matchTotp(RFC_SEED, code(now + 1), at)).toBe(now + 1)
    expect(matchTotp(RFC_SEED, code(now - 2), at)).toBeNull()
    expect(matchTotp(RFC_SEED, code(now + 2), at)).toBeNull()
  })

  it('tolerates spaces but nothing else', () => {
    const at = 59_000
    expect(matchTotp(RFC_SEED, '287 082', at)).toBe(1)
    expect(matchTotp(RFC_SEED, '287082 ', at)).toBe(1)
    for (const bad of ['28708', '2870820', '28708a', '', '２８７０８２']) {
      expect(matchTotp(RFC_SEED, bad, at)).toBeNull()
    }
    expect(isTotpShaped('123456')).toBe(true)
    expect(isTotpShaped('abcde-fghjk')).toBe(false)
  })

  it('makes 160-bit secrets, shown as base32, in a URI the apps read', () => {
    const secret = newTotpSecret()
    expect(secret.byteLength).toBe(20)
    expect(newTotpSecret()).not.toEqual(secret)
    const text = totpSecretText(secret)
    expect(text).toMatch(/^[A-Z2-7]{32}$/)
    expect(decodeBase32(text)).toEqual(secret)
    const uri = new URL(totpUri('auth.example', 'alice', secret))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/auth.example:alice')
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'auth.example',
      algorithm: 'SHA1',
      secret: text,
      period: '30',
      digits: '6',
    })
  })
})
