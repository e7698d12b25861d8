import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import { CREDENTIAL_ID_MAX_LENGTH } from '../../src/auth/webauthn/credential-id'
import { type PasskeyRecord, passkeyStore } from '../../src/store/passkeys'
import { registerUser } from '../helpers'

const passkeys = passkeyStore(env.DB)

const passkey = (userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
  id: crypto.randomUUID(),
  userId,
  publicKey: 'cose',
  counter: 3,
  transports: ['internal', 'hybrid'],
  deviceType: 'multiDevice',
  backedUp: true,
  name: 'Phone',
  createdAt: Date.now(),
  lastUsedAt: null,
  ...overrides,
})

describe('passkey store (D1)', () => {
  it('stores, finds and lists passkeys, newest first; an id is unique across accounts', async () => {
    const { user } = await registerUser()
    const { user: other } = await registerUser()
    const older = passkey(user.id, { createdAt: 1 })
    const newer = passkey(user.id, { createdAt: 2 })
    expect(await passkeys.create(older)).toBe('created')
    expect(await passkeys.create(newer)).toBe('created')
    expect(await passkeys.create({ ...older, userId: other.id })).toBe('exists')
    expect(await passkeys.find(older.id)).toEqual(older)
    expect(await passkeys.list(user.id)).toEqual([newer, older])
    expect(await passkeys.list(other.id)).toEqual([])
  })

  it('moves the counter only forward', async () => {
    const { user } = await registerUser()
    const p = passkey(user.id)
    await passkeys.create(p)
    await passkeys.recordUse(p.id, 9, 100)
    await passkeys.recordUse(p.id, 5, 200) // a slower, older sign-in landing late
    expect(await passkeys.find(p.id)).toMatchObject({ counter: 9, lastUsedAt: 200 })
  })

  it("renames and removes only the owner's", async () => {
    const { user } = await registerUser()
    const { user: other } = await registerUser()
    const p = passkey(user.id)
    await passkeys.create(p)
    expect(await passkeys.rename(other.id, p.id, 'x')).toBeNull()
    expect(await passkeys.remove(other.id, p.id)).toBe('not_found')
    expect(await passkeys.rename(user.id, p.id, 'Laptop')).toEqual({ ...p, name: 'Laptop' })
    expect(await passkeys.remove(user.id, p.id)).toBe('removed')
    expect(await passkeys.find(p.id)).toBeNull()
  })

  it('holds ids of up to 1364 base64url characters (1023 bytes), and no longer', async () => {
    const { user } = await registerUser()
    const longest = passkey(user.id, { id: 'A'.repeat(CREDENTIAL_ID_MAX_LENGTH) })
    expect(CREDENTIAL_ID_MAX_LENGTH).toBe(1364)
    expect(await passkeys.create(longest)).toBe('created')
    expect(await passkeys.find(longest.id)).toEqual(longest)
    const over = passkey(user.id, { id: 'A'.repeat(CREDENTIAL_ID_MAX_LENGTH + 2) })
    await expect(passkeys.create(over)).rejects.toThrow(RangeError)
    expect(await passkeys.list(user.id)).toEqual([longest])
    // A longer id names no credential: not found, without a query.
    const prepare = vi.spyOn(env.DB, 'prepare')
    expect(await passkeys.find(over.id)).toBeNull()
    expect(prepare).not.toHaveBeenCalled()
    prepare.mockRestore()
  })

  it('keeps the last passkey of an account without a password', async () => {
    const { user } = await registerUser()
    await env.DB.prepare("UPDATE users SET password_hash = '' WHERE id = ?").bind(user.id).run()
    const [a, b] = [passkey(user.id), passkey(user.id)]
    await passkeys.create(a)
    await passkeys.create(b)
    expect(await passkeys.remove(user.id, a.id)).toBe('removed')
    expect(await passkeys.remove(user.id, b.id)).toBe('last')
    expect(await passkeys.list(user.id)).toEqual([b])
  })
})
