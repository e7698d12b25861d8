import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  LAST_USE_PER_STATEMENT,
  type SessionEntry,
  sessionIndex,
} from '../../src/store/session-index'
import { registerUser } from '../helpers'
import { sessionEntry } from './session-entries'

const index = sessionIndex(env.DB)

const entry = (userId: string, overrides: Partial<SessionEntry> = {}) =>
  sessionEntry(userId, { userAgent: 'test', ...overrides })

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

  it("stores each session's city and country, and lists them back", async () => {
    const { user } = await registerUser()
    const placed = entry(user.id, { country: 'PT', city: 'São Paulo' })
    const unplaced = entry(user.id, { lastUsedAt: placed.lastUsedAt - 1 })
    await index.add(placed)
    await index.add(unplaced)
    expect(await index.list(user.id, Date.now())).toEqual([placed, unplaced])
    expect(unplaced.city).toBeNull()
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

  it("revokes all of a user's sessions but the one kept, and no one else's", async () => {
    const { user: alice } = await registerUser()
    const { user: bob } = await registerUser()
    const at = Date.now()
    const earlier = { createdAt: at - 10 }
    const [a1, a2, a3, b1] = [
      entry(alice.id, earlier),
      entry(alice.id, earlier),
      entry(alice.id, earlier),
      entry(bob.id, earlier),
    ]
    for (const e of [a1, a2, a3, b1]) await index.add(e)
    expect(await index.revocation(alice.id)).toBeNull()
    expect(await index.revokeAll(alice.id, at, a2.id)).toEqual({ at, keep: a2.id })
    expect((await index.list(alice.id, Date.now())).map((e) => e.id)).toEqual([a2.id])
    expect(await index.revocation(alice.id)).toEqual({ at, keep: a2.id })
    expect(await index.revokeAll(alice.id, at + 1)).toEqual({ at: at + 1, keep: null })
    expect(await index.list(alice.id, Date.now())).toEqual([])
    expect(await index.list(bob.id, Date.now())).toHaveLength(1)
  })

  it('keeps a session only while it is listed: an ended one is never kept, so never revived', async () => {
    const { user } = await registerUser()
    const at = Date.now()
    const [a, b] = [entry(user.id, { createdAt: at - 10 }), entry(user.id, { createdAt: at - 10 })]
    for (const e of [a, b]) await index.add(e)
    // Two "end all others" from a and from b, in D1's order: the second caller was ended by the first.
    expect(await index.revokeAll(user.id, at, a.id)).toEqual({ at, keep: a.id })
    expect(await index.revokeAll(user.id, at + 1, b.id)).toEqual({ at: at + 1, keep: null })
    expect(await index.list(user.id, Date.now())).toEqual([])
  })

  it('leaves sessions created after the revocation listed, and never moves its time back', async () => {
    const { user } = await registerUser()
    const at = Date.now()
    const before = entry(user.id, { createdAt: at - 1 })
    const after = entry(user.id, { createdAt: at + 1 })
    for (const e of [before, after]) await index.add(e)
    await index.revokeAll(user.id, at)
    expect((await index.list(user.id, 0)).map((e) => e.id)).toEqual([after.id])
    // A request whose clock ran behind cannot shrink what an earlier one ended.
    expect(await index.revokeAll(user.id, at - 5_000)).toEqual({ at, keep: null })
  })

  it('keeps nothing once the account has been ended forever, even a session listed since', async () => {
    const { user } = await registerUser()
    const forever = Number.MAX_SAFE_INTEGER
    await index.revokeAll(user.id, forever)
    // A sign-in that raced the deletion listed a session after it; its holder asks to keep it.
    const late = entry(user.id)
    await index.add(late)
    expect(await index.revokeAll(user.id, Date.now(), late.id)).toEqual({ at: forever, keep: null })
    expect(await index.list(user.id, 0)).toEqual([])
  })

  it('goes with its user: deleting the user deletes the rows, and its revocation stays', async () => {
    const { user } = await registerUser()
    await index.add(entry(user.id))
    await index.revokeAll(user.id, Number.MAX_SAFE_INTEGER)
    await env.DB.prepare('DELETE FROM users WHERE id = ?').bind(user.id).run()
    expect(await index.list(user.id, Date.now())).toEqual([])
    expect(await index.revocation(user.id)).toEqual({ at: Number.MAX_SAFE_INTEGER, keep: null })
    // And no row can be added for a user that is gone.
    await expect(index.add(entry(user.id))).rejects.toThrow()
  })
})

describe('many last uses at once (the write queue’s consumer)', () => {
  const row = (id: string) =>
    env.DB.prepare('SELECT last_used_at, expires_at FROM sessions WHERE id = ?')
      .bind(id)
      .first<{ last_used_at: number; expires_at: number }>()

  /** env.DB, counting the statements prepared and the batches run. */
  function countingDb() {
    const counts = { prepared: 0, batches: 0, statements: 0 }
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'prepare') {
          return (sql: string) => {
            counts.prepared++
            return target.prepare(sql)
          }
        }
        if (prop === 'batch') {
          return (statements: D1PreparedStatement[]) => {
            counts.batches++
            counts.statements += statements.length
            return target.batch(statements)
          }
        }
        return Reflect.get(target, prop)
      },
    })
    return { db, counts }
  }

  it('applies hundreds of sessions’ updates in one statement', async () => {
    const { user } = await registerUser()
    const entries = Array.from({ length: 150 }, () => entry(user.id))
    for (const e of entries) await index.add(e)
    const { db, counts } = countingDb()
    await sessionIndex(db).touchMany(
      entries.map((e, i) => ({
        sessionId: e.id,
        lastUsedAt: e.lastUsedAt + 1000 + i,
        expiresAt: e.expiresAt + 2000 + i,
      })),
    )
    expect(counts).toEqual({ prepared: 1, batches: 1, statements: 1 })
    for (const [i, e] of entries.entries()) {
      expect(await row(e.id)).toEqual({
        last_used_at: e.lastUsedAt + 1000 + i,
        expires_at: e.expiresAt + 2000 + i,
      })
    }
  })

  it('splits past LAST_USE_PER_STATEMENT, still in one batch', async () => {
    const { db, counts } = countingDb()
    const updates = Array.from({ length: LAST_USE_PER_STATEMENT + 1 }, (_, i) => ({
      sessionId: `missing-${i}`,
      lastUsedAt: i,
      expiresAt: i,
    }))
    await sessionIndex(db).touchMany(updates)
    expect(counts).toEqual({ prepared: 1, batches: 1, statements: 2 })
  })

  it('never moves a time back, keeps the latest of one session twice, and revives no ended row', async () => {
    const { user } = await registerUser()
    const kept = entry(user.id)
    const ended = entry(user.id)
    await index.add(kept)
    await index.add(ended)
    await index.touch(kept.id, kept.lastUsedAt + 10_000, kept.expiresAt + 10_000)
    await index.remove(user.id, ended.id)
    await index.touchMany([
      // Older than what D1 holds: changes nothing.
      {
        sessionId: kept.id,
        lastUsedAt: kept.lastUsedAt + 5_000,
        expiresAt: kept.expiresAt + 5_000,
      },
      { sessionId: ended.id, lastUsedAt: ended.lastUsedAt + 5_000, expiresAt: ended.expiresAt },
    ])
    expect(await row(kept.id)).toEqual({
      last_used_at: kept.lastUsedAt + 10_000,
      expires_at: kept.expiresAt + 10_000,
    })
    expect(await row(ended.id)).toBeNull()
    // The same session twice in one statement: the later of each time wins, in either order.
    await index.touchMany([
      {
        sessionId: kept.id,
        lastUsedAt: kept.lastUsedAt + 30_000,
        expiresAt: kept.expiresAt + 20_000,
      },
      {
        sessionId: kept.id,
        lastUsedAt: kept.lastUsedAt + 20_000,
        expiresAt: kept.expiresAt + 30_000,
      },
    ])
    expect(await row(kept.id)).toEqual({
      last_used_at: kept.lastUsedAt + 30_000,
      expires_at: kept.expiresAt + 30_000,
    })
  })

  it('touches nothing, and runs nothing, for no updates', async () => {
    const { db, counts } = countingDb()
    await sessionIndex(db).touchMany([])
    expect(counts).toEqual({ prepared: 0, batches: 0, statements: 0 })
  })
})
