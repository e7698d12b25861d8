import { describe, expect, it } from 'vitest'
import { mfaKeys } from '../../src/auth/mfa-keys'
import {
  RECOVERY_CODE_COUNT,
  newRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeHash,
} from '../../src/auth/recovery-codes'

const KEY = 'c'.repeat(16) + '0123456789abcdef'.repeat(3)

describe('recovery codes', () => {
  it('are ten distinct codes of about 50 bits, without look-alike characters', () => {
    const codes = newRecoveryCodes()
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT)
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT)
    for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}$/)
  })

  it('are read in any case, with or without dashes and spaces', () => {
    expect(normalizeRecoveryCode('ABCDE-FGHJK')).toBe('abcdefghjk')
    expect(normalizeRecoveryCode(' abcde fghjk ')).toBe('abcdefghjk')
    for (const bad of ['abcde-fghj', 'abcde-fghjkm', 'abcde-fghj0', '123456', '']) {
      expect(normalizeRecoveryCode(bad)).toBeNull()
    }
  })

  it('are stored as per-user keyed hashes', async () => {
    const keys = await mfaKeys(KEY)
    const a = await recoveryCodeHash(keys, 'u1', 'abcdefghjk')
    expect(a).not.toContain('abcde')
    expect(await recoveryCodeHash(keys, 'u2', 'abcdefghjk')).not.toBe(a)
  })
})
