// The per-user session index in D1: the only code that reads or writes the sessions table.
// It describes sessions (for listing and ending them); KV decides whether one is still alive.
import { guarded } from './errors'

/** One session as listed to its user. Times are epoch milliseconds. */
export type SessionEntry = {
  id: string
  userId: string
  createdAt: number
  lastUsedAt: number
  expiresAt: number
  userAgent: string | null
  country: string | null
}

type Row = {
  id: string
  user_id: string
  created_at: number
  last_used_at: number
  expires_at: number
  user_agent: string | null
  country: string | null
}

const toEntry = (row: Row): SessionEntry => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  userAgent: row.user_agent,
  country: row.country,
})

export type SessionIndex = ReturnType<typeof sessionIndex>

export function sessionIndex(db: D1Database) {
  return {
    add: (entry: SessionEntry) =>
      guarded('d1', 'insert session', () =>
        db
          .prepare(
            `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent, country)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .bind(
            entry.id,
            entry.userId,
            entry.createdAt,
            entry.lastUsedAt,
            entry.expiresAt,
            entry.userAgent,
            entry.country,
          )
          .run(),
      ),

    /** One row by primary key: the same cost whatever the user's session count. */
    touch: (id: string, lastUsedAt: number, expiresAt: number) =>
      guarded('d1', 'touch session', () =>
        db
          .prepare('UPDATE sessions SET last_used_at = ?, expires_at = ? WHERE id = ?')
          .bind(lastUsedAt, expiresAt, id)
          .run(),
      ),

    /** The user's unexpired sessions, most recently used first. */
    async list(userId: string, now: number): Promise<SessionEntry[]> {
      const { results } = await guarded('d1', 'list sessions', () =>
        db
          .prepare(
            'SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY last_used_at DESC',
          )
          .bind(userId, now)
          .all<Row>(),
      )
      return results.map(toEntry)
    },

    /** Removes one session if it is the user's; false when it is not (or does not exist). */
    async remove(userId: string, id: string): Promise<boolean> {
      const result = await guarded('d1', 'delete session', () =>
        db.prepare('DELETE FROM sessions WHERE id = ? AND user_id = ?').bind(id, userId).run(),
      )
      return result.meta.changes > 0
    },

    /** Removes every session of the user but `keep` (if given), in one statement. */
    removeAll: (userId: string, keep?: string) =>
      guarded('d1', 'delete sessions', () =>
        db
          .prepare('DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?')
          .bind(userId, keep ?? null)
          .run(),
      ),
  }
}
