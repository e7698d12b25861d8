// In-memory doubles of the D1 stores, with the same contracts: a case-insensitive unique
// username, the conditional hash update, session rows that go with their user, and no new
// session row for a disabled user.

import {
  FOREVER,
  type Revocation,
  type SessionEntry,
  type SessionIndex,
} from '../../src/store/session-index'
import type { UserRecord, UserStore } from '../../src/store/users'

/** What D1's run() resolves to; the stores' callers read nothing of it but `meta.changes`. */
const ran = { success: true, results: [], meta: { changes: 1 } } as unknown as D1Result<
  Record<string, unknown>
>

export function memoryD1(): {
  users: UserStore
  index: SessionIndex
  rows: Map<string, SessionEntry>
} {
  const users = new Map<string, UserRecord>()
  const rows = new Map<string, SessionEntry>()
  const revocations = new Map<string, Revocation>()
  const byName = (name: string) =>
    [...users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase()) ?? null

  const userStore: UserStore = {
    async createUser(user) {
      if (byName(user.username)) return 'taken'
      users.set(user.id, { ...user })
      return 'created'
    },
    findUserByName: async (username) => {
      const user = byName(username)
      // No double of TOTP: service tests sign in with passwords only.
      return user ? { ...user, totpEnabled: false } : null
    },
    // No double of addresses: a name with an `@` names no account here.
    verifiedOwner: async () => null,
    findForSignIn: async (login) => (login.includes('@') ? null : userStore.findUserByName(login)),
    findUserById: async (id) => {
      const user = users.get(id)
      return user ? { ...user, verifiedEmail: null } : null
    },
    // No double of email: service tests do not send any.
    verifiedEmail: async () => null,
    language: async (id) => users.get(id)?.language ?? null,
    async setLanguage(id, language) {
      const user = users.get(id)
      if (!user) return false
      user.language = language
      return true
    },
    findForRecovery: async () => null,
    verifiedByAnother: async () => false,
    setVerifiedEmail: async () => 'set',
    async updatePasswordHash(id, passwordHash, previous) {
      const user = users.get(id)
      if (!user || user.passwordHash !== previous) return false
      user.passwordHash = passwordHash
      return true
    },
    async setDisabled(id, at) {
      const user = users.get(id)
      if (!user) return false
      user.disabledAt = at === null ? null : (user.disabledAt ?? at)
      return true
    },
    // The admin API's reads are tested against real D1 (test/routes/admin-users.test.ts).
    createImported: () => Promise.reject(new Error('createImported has no double')),
    adminView: async (id) => {
      const user = users.get(id)
      return user
        ? {
            id: user.id,
            username: user.username,
            createdAt: user.createdAt,
            verifiedEmail: null,
            language: user.language ?? null,
            disabledAt: user.disabledAt ?? null,
            hasPassword: user.passwordHash !== '',
            role: null,
          }
        : null
    },
    adminByEmail: async () => null,
    adminList: () => Promise.reject(new Error('adminList has no double')),
    async deleteUser(id) {
      // One transaction, as the real batch: the revocation "forever" and the delete.
      revocations.set(id, { at: FOREVER, keep: null })
      users.delete(id)
      for (const [key, row] of rows) if (row.userId === id) rows.delete(key) // ON DELETE CASCADE
      return [ran, ran]
    },
  }

  const index: SessionIndex = {
    async add(entry) {
      const user = users.get(entry.userId)
      if (!user) throw new Error('D1_ERROR: FOREIGN KEY constraint failed')
      // One statement, as the real INSERT ... WHERE NOT EXISTS: a disabled user gets no row.
      if (user.disabledAt != null) return false
      rows.set(entry.id, { ...entry })
      return true
    },
    async touch(id, lastUsedAt, expiresAt) {
      const row = rows.get(id)
      if (row) {
        row.lastUsedAt = Math.max(row.lastUsedAt, lastUsedAt)
        row.expiresAt = Math.max(row.expiresAt, expiresAt)
      }
    },
    async touchMany(updates) {
      for (const u of updates) await index.touch(u.sessionId, u.lastUsedAt, u.expiresAt)
    },
    grantSessions: async (userId, grantId) =>
      [...rows.values()]
        .filter((r) => r.userId === userId && r.grantId === grantId)
        .map((r) => r.id),
    list: async (userId, now) =>
      [...rows.values()]
        .filter((r) => r.userId === userId && r.expiresAt > now && !r.grantId)
        .sort((a, b) => b.lastUsedAt - a.lastUsedAt),
    has: async (userId, id) => rows.get(id)?.userId === userId,
    signedInAt: async (userId, id) => {
      const row = rows.get(id)
      return row?.userId === userId ? row.createdAt : null
    },
    async remove(userId, id) {
      if (rows.get(id)?.userId !== userId) return false
      return rows.delete(id)
    },
    async revokeAll(userId, requested, keep, everyListed = false) {
      // One transaction, as D1's batch: nothing else runs between these steps.
      const kept = keep !== undefined && rows.get(keep)?.userId === userId ? keep : null
      const listed = [...rows.values()].filter((r) => r.userId === userId).map((r) => r.createdAt)
      const at = everyListed ? Math.max(requested, ...listed) : requested
      const previous = revocations.get(userId)
      const latest = Math.max(previous?.at ?? at, at)
      const revocation = { at: latest, keep: latest >= Number.MAX_SAFE_INTEGER ? null : kept }
      revocations.set(userId, revocation)
      for (const [key, row] of rows) {
        if (row.userId === userId && row.createdAt <= revocation.at && key !== kept)
          rows.delete(key)
      }
      return { ...revocation }
    },
    async purgeExpired(at, idleBefore, limit) {
      let gone = 0
      for (const [key, row] of rows) {
        if (gone >= limit) break
        if (row.endsAt <= at || row.expiresAt < idleBefore) {
          rows.delete(key)
          gone++
        }
      }
      return gone
    },
    revocation: async (userId) => {
      const revocation = revocations.get(userId)
      return revocation ? { ...revocation } : null
    },
  }

  return { users: userStore, index, rows }
}
