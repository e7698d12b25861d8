import { describe, expect, it } from 'vitest'
import { issueCeremony, openCeremony } from '../../src/auth/ceremony-tokens'
import { fromBase64Url, toBase64Url, utf8 } from '../../src/auth/encoding'
import { macOf, mfaKeys, seal, unseal } from '../../src/auth/mfa-keys'
import {
  RECOVERY_CODE_COUNT,
  newRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeHash,
} from '../../src/auth/recovery-codes'

const KEY = 'c'.repeat(16) + '0123456789abcdef'.repeat(3)
const OTHER_KEY = 'd'.repeat(64)

describe('sealing under MFA_ENCRYPTION_KEY', () => {
  it('opens only under the same key and purpose, and never when altered', async () => {
    const keys = await mfaKeys(KEY)
    const sealed = await seal(keys, 'totp-secret:u1', utf8('secret'))
    expect(new TextDecoder().decode((await unseal(keys, 'totp-secret:u1', sealed))!)).toBe('secret')
    // Another user's purpose: a row copied between users does not open.
    expect(await unseal(keys, 'totp-secret:u2', sealed)).toBeNull()
    expect(await unseal(await mfaKeys(OTHER_KEY), 'totp-secret:u1', sealed)).toBeNull()
    const bytes = fromBase64Url(sealed)!
    bytes[bytes.length - 1]! ^= 1
    expect(await unseal(await mfaKeys(KEY), 'totp-secret:u1', toBase64Url(bytes))).toBeNull()
    for (const junk of ['', 'x', 'not base64!', toBase64Url(new Uint8Array(20))]) {
      expect(await unseal(keys, 'totp-secret:u1', junk)).toBeNull()
    }
  })

  it('uses a fresh IV each time, so equal secrets never look equal', async () => {
    const keys = await mfaKeys(KEY)
    expect(await seal(keys, 'p', utf8('same'))).not.toBe(await seal(keys, 'p', utf8('same')))
  })

  it('keys hashes per purpose and key', async () => {
    const keys = await mfaKeys(KEY)
    const hash = await macOf(keys, 'recovery:u1', 'abcde')
    expect(await macOf(keys, 'recovery:u1', 'abcde')).toBe(hash)
    expect(await macOf(keys, 'recovery:u2', 'abcde')).not.toBe(hash)
    expect(await macOf(await mfaKeys(OTHER_KEY), 'recovery:u1', 'abcde')).not.toBe(hash)
  })
})

describe('ceremony tokens', () => {
  it('carry their user, expiry and binding, opaque to the holder', async () => {
    const keys = await mfaKeys(KEY)
    const { token, ceremony } = await issueCeremony(keys, {
      kind: 'mfa',
      userId: 'user-1',
      expiresAt: 1234,
      bind: 'pw',
    })
    expect(token).not.toContain('user-1')
    expect(atob(token.replace(/-/g, '+').replace(/_/g, '/'))).not.toContain('user-1')
    expect(await openCeremony(keys, 'mfa', token)).toEqual(ceremony)
    expect(ceremony.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  it('open only as the kind they were issued for', async () => {
    const keys = await mfaKeys(KEY)
    const { token } = await issueCeremony(keys, {
      kind: 'passkey_signin',
      userId: null,
      expiresAt: 1,
    })
    expect(await openCeremony(keys, 'passkey_signin', token)).not.toBeNull()
    expect(await openCeremony(keys, 'passkey_register', token)).toBeNull()
    expect(await openCeremony(keys, 'mfa', token)).toBeNull()
    expect(await openCeremony(keys, 'mfa', 'x'.repeat(5000))).toBeNull()
  })
})

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
