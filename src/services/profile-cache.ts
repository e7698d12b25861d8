// The public part of user records, cached in the isolate: `GET /users` and `/users/me` run on
// every authenticated call, and D1 answers from one region. A record cannot change while the
// account exists (there is no rename), so the only staleness is deletion, and an entry lives no
// longer than an access token: a deleted account can show in another isolate for no longer
// than its tokens already work. The isolate that deletes an account forgets it at once.

import type { PublicUser } from '../schemas'

/** Enough for the active users of one isolate; the oldest entry goes first beyond it. */
const MAX_ENTRIES = 10_000

type Entry = { user: PublicUser; expiresAt: number }
const entries = new Map<string, Entry>()

export const profileCache = {
  get(id: string, at: number): PublicUser | null {
    const entry = entries.get(id)
    if (!entry) return null
    if (entry.expiresAt <= at) {
      entries.delete(id)
      return null
    }
    return entry.user
  },

  set(user: PublicUser, at: number, ttlMs: number): void {
    entries.delete(user.id)
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!)
    entries.set(user.id, { user, expiresAt: at + ttlMs })
  },

  forget(id: string): void {
    entries.delete(id)
  },

  /** For tests. */
  get size(): number {
    return entries.size
  },
}
