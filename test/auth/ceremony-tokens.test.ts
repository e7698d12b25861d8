import { describe, expect, it } from 'vitest'
import { issueCeremony, openCeremony } from '../../src/auth/ceremony-tokens'
import { mfaKeys } from '../../src/auth/mfa-keys'

const KEY = 'c'.repeat(16) + '0123456789abcdef'.repeat(3)

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
