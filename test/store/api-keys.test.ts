// The api_keys table and the users' admin role on real D1 (migration 0019).
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { mintApiKey } from '../../src/auth/api-keys'
import { apiKeyStore } from '../../src/store/api-keys'
import { registerUser } from '../helpers'

const store = apiKeyStore(env.DB)

async function added(createdAt = 1_000) {
  const { id, secretHash } = await mintApiKey()
  await store.add({
    id,
    name: 'ci',
    secretHash,
    scopes: 'users:read',
    createdAt,
    createdBy: 'system',
  })
  return { id, secretHash }
}

describe('apiKeyStore', () => {
  it('stores a key and finds it by id, unused and live; an unknown id is null', async () => {
    const { id, secretHash } = await added()
    expect(await store.find(id)).toEqual({
      id,
      name: 'ci',
      secretHash,
      scopes: 'users:read',
      createdAt: 1_000,
      createdBy: 'system',
      lastUsedAt: null,
      revokedAt: null,
    })
    expect(await store.find('0'.repeat(24))).toBeNull()
  })

  it('revokes a key once: the first revocation time stays', async () => {
    const { id } = await added()
    expect(await store.revoke(id, 2_000)).toBe(true)
    expect(await store.revoke(id, 3_000)).toBe(false)
    expect((await store.find(id))!.revokedAt).toBe(2_000)
    expect(await store.revoke('0'.repeat(24), 2_000)).toBe(false)
  })

  it('notes a use only when none is noted within the interval, so racing calls write once', async () => {
    const { id } = await added()
    await store.touch(id, 10_000, 60_000)
    await store.touch(id, 10_001, 60_000)
    await store.touch(id, 69_999, 60_000)
    expect((await store.find(id))!.lastUsedAt).toBe(10_000)
    await store.touch(id, 70_000, 60_000)
    expect((await store.find(id))!.lastUsedAt).toBe(70_000)
  })

  it('knows admins by role: nobody is one by default, and an unknown user is not', async () => {
    const { user } = await registerUser()
    expect(await store.isAdmin(user.id)).toBe(false)
    await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(user.id).run()
    expect(await store.isAdmin(user.id)).toBe(true)
    expect(await store.isAdmin(crypto.randomUUID())).toBe(false)
  })

  it('refuses a role other than admin (the column is checked)', async () => {
    const { user } = await registerUser()
    await expect(
      env.DB.prepare("UPDATE users SET role = 'root' WHERE id = ?").bind(user.id).run(),
    ).rejects.toThrow(/CHECK/)
  })
})
