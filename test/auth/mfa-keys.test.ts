import { describe, expect, it } from 'vitest'
import { fromBase64Url, toBase64Url, utf8 } from '../../src/auth/encoding'
import { macOf, mfaKeys, seal, unseal } from '../../src/auth/mfa-keys'

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
