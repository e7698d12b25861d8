import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type SessionEntry, sessionIndex } from '../../src/store/session-index'
import { registerUser } from '../helpers'

const index = sessionIndex(env.DB)

const entry = (userId: string, overrides: Partial<SessionEntry> = {}): SessionEntry => {
  const at = Date.now()
  return {
    id: crypto.randomUUID(),
    userId,
    createdAt: at,
    lastUsedAt: at,
    expiresAt: at + 60_000,
    endsAt: at + 120_000,
    userAgent: 'test',
    country: null,
    ...overrides,
  }
}

describe('session index (D1)', () => {
  it('lists unexpired sessions, most recently used first', async () => {
    const { user } = await registerUser()
    const at = Date.now()
    const older = entry(user.id, { lastUsedAt: at - 5_000 })
    const newer = entry(user.id, { lastUsedAt: at })
    const expired = entry(user.id, { expiresAt: at - 1 })
    for (const e of [older, newer, expired]) await index.add(e)
    expect((await index.list(user.id, at)).map((e) => e.id)).toEqual([newer.id, older.id])
  })

  it('touches one row: last use and expiry', async () => {
    const { user } = await registerUser()
    const e = entry(user.id)
    await index.add(e)
    await index.touch(e.id, e.lastUsedAt + 1_000, e.expiresAt + 1_000)
    expect(await index.list(user.id, Date.now())).toEqual([
      { ...e, lastUsedAt: e.lastUsedAt + 1_000, expiresAt: e.expiresAt + 1_000 },
    ])
  })

  it('never moves last use or expiry backwards, and cannot bring back a removed row', async () => {
    const { user } = await registerUser()
    const e = entry(user.id)
    await index.add(e)
    await index.touch(e.id, e.lastUsedAt + 2_000, e.expiresAt + 2_000)
    // A late touch from a slower request carries older times.
    await index.touch(e.id, e.lastUsedAt + 1_000, e.expiresAt + 1_000)
    expect((await index.list(user.id, Date.now()))[0]).toMatchObject({
      lastUsedAt: e.lastUsedAt + 2_000,
      expiresAt: e.expiresAt + 2_000,
    })
    await index.remove(user.id, e.id)
    await index.touch(e.id, e.lastUsedAt + 3_000, e.expiresAt + 3_000)
    expect(await index.list(user.id, Date.now())).toEqual([])
    expect(await index.has(user.id, e.id)).toBe(false)
  })

  it('says whether a session is listed, for its own user only', async () => {
    const { user: alice } = await registerUser()
    const { user: bob } = await registerUser()
    const e = entry(alice.id)
    await index.add(e)
    expect(await index.has(alice.id, e.id)).toBe(true)
    expect(await index.has(bob.id, e.id)).toBe(false)
  })

  it("removes only the user's own session, and says whether it did", async () => {
    const { user: alice } = await registerUser()
    const { user: bob } = await registerUser()
    const e = entry(bob.id)
    await index.add(e)
    expect(await index.remove(alice.id, e.id)).toBe(false)
    expect(await index.remove(bob.id, e.id)).toBe(true)
    expect(await index.remove(bob.id, e.id)).toBe(false)
  })

  it("removes all of a user's sessions but the one kept, and no one else's", async () => {
    const { user: alice } = await registerUser()
    const { user: bob } = await registerUser()
    const [a1, a2, a3, b1] = [entry(alice.id), entry(alice.id), entry(alice.id), entry(bob.id)]
    for (const e of [a1, a2, a3, b1]) await index.add(e)
    await index.removeAll(alice.id, a2.id)
    expect((await index.list(alice.id, Date.now())).map((e) => e.id)).toEqual([a2.id])
    await index.removeAll(alice.id)
    expect(await index.list(alice.id, Date.now())).toEqual([])
    expect(await index.list(bob.id, Date.now())).toHaveLength(1)
  })

  it('goes with its user: deleting the user deletes the rows', async () => {
    const { user } = await registerUser()
    await index.add(entry(user.id))
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(user.id).run()
    expect(await index.list(user.id, Date.now())).toEqual([])
  })
})
