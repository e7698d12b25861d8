// The per-user session index in D1: the only code that reads or writes the sessions and
// revocations tables. It lists sessions and orders their ends; KV decides, on every refresh,
// whether one may still refresh, and is converged to what D1 decided (services/sessions.ts).
import { guarded } from './errors'
import { purgeSome } from './purge'

/** One session as listed to its user. Times are epoch milliseconds. */
export type SessionEntry = {
  id: string
  userId: string
  createdAt: number
  lastUsedAt: number
  /** When it ends unless it is used again (its newest refresh token's idle limit). */
  expiresAt: number
  /** When it ends however active it is (SESSION_MAX_AGE after sign-in). */
  endsAt: number
  userAgent: string | null
  country: string | null
  /** Cloudflare's city for the sign-in (printable, at most 100 characters), when it knows. */
  city: string | null
  /** The third-party grant the session was started under; null for the user's own. */
  grantId: string | null
}

type Row = {
  id: string
  user_id: string
  created_at: number
  last_used_at: number
  expires_at: number
  ends_at: number
  user_agent: string | null
  country: string | null
  city: string | null
  grant_id: string | null
}

const toEntry = (row: Row): SessionEntry => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  endsAt: row.ends_at,
  userAgent: row.user_agent,
  country: row.country,
  city: row.city,
  grantId: row.grant_id,
})

/** One session's last use, as the write queue carries it (store/write-queue.ts). Epoch ms. */
export type LastUse = { sessionId: string; lastUsedAt: number; expiresAt: number }

/**
 * Updates applied in one statement: a D1 statement's JSON argument stays far below D1's 2 MB
 * for a value (about 90 bytes each), and one statement updates that many rows in well under
 * a second.
 */
export const LAST_USE_PER_STATEMENT = 5000

/** "Every session of the user created at or before `at` has ended, except `keep`." */
export type Revocation = { at: number; keep: string | null }

/** The revocation time of a deleted account: after every session it could ever have. */
export const FOREVER = Number.MAX_SAFE_INTEGER

/**
 * A value in SQL, for a statement one store lends another store's batch: its `?` placeholders
 * and the values they bind, in order. A literal is `bound(x)`; the batching store may pass a
 * subquery on its own table (authorization-codes.ts reads a code's user and signer this way).
 */
export type SqlValue = { sql: string; binds: unknown[] }

/** A literal as a SqlValue. */
export const bound = (value: unknown): SqlValue => ({ sql: '?', binds: [value] })

/** `has` as a statement for another store's batch: a row when the session is `userId`'s. */
export const listedStatement = (db: D1Database, userId: SqlValue, id: SqlValue) =>
  db
    .prepare(`SELECT 1 FROM sessions WHERE id = ${id.sql} AND user_id = ${userId.sql}`)
    .bind(...id.binds, ...userId.binds)

/**
 * `add` as a statement for another store's batch (the code exchange lists its session in the
 * batch of its closing checks): one row changed when listed, none when the user is disabled.
 */
export const addStatement = (db: D1Database, entry: SessionEntry) =>
  db
    .prepare(
      `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, ends_at, user_agent, country, city, grant_id)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
       WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?2 AND disabled_at IS NOT NULL)`,
    )
    .bind(
      entry.id,
      entry.userId,
      entry.createdAt,
      entry.lastUsedAt,
      entry.expiresAt,
      entry.endsAt,
      entry.userAgent,
      entry.country,
      entry.city,
      entry.grantId,
    )

export type SessionIndex = ReturnType<typeof sessionIndex>

/**
 * `queued`: where a refresh's last use goes instead of its own UPDATE (the WRITES queue,
 * coalesced per isolate: store/write-queue.ts); without it, touch writes at once.
 */
export function sessionIndex(db: D1Database, queued?: (update: LastUse) => Promise<void>) {
  return {
    /**
     * Lists a new session, unless its user is disabled: one statement, so D1 (one writer) orders
     * it against the disable. A session listed before the disable is ended by the revocation
     * that follows it; one after is refused here (false), and its sign-in fails.
     */
    add: async (entry: SessionEntry): Promise<boolean> => {
      const result = await guarded('d1', 'insert session', () => addStatement(db, entry).run())
      return result.meta.changes === 1
    },

    /**
     * A refresh's last use: handed to the write queue when there is one, else one row by
     * primary key. Only moves times forward, so a late write cannot undo a newer one, and an
     * ended (deleted) row stays gone.
     */
    touch: async (id: string, lastUsedAt: number, expiresAt: number): Promise<void> => {
      if (queued) return queued({ sessionId: id, lastUsedAt, expiresAt })
      await guarded('d1', 'touch session', () =>
        db
          .prepare(
            `UPDATE sessions SET last_used_at = MAX(last_used_at, ?), expires_at = MAX(expires_at, ?)
             WHERE id = ?`,
          )
          .bind(lastUsedAt, expiresAt, id)
          .run(),
      )
    },

    /**
     * Many sessions' last uses in one statement per LAST_USE_PER_STATEMENT (all in one batch:
     * one round trip, one transaction), as touch would write each: times only move forward, an
     * ended (deleted) row stays gone, and the same session twice keeps its latest. So applying
     * a queue message again, or an older one after a newer, changes nothing.
     */
    async touchMany(updates: readonly LastUse[]): Promise<void> {
      if (updates.length === 0) return
      const statement = db.prepare(
        `UPDATE sessions SET last_used_at = MAX(sessions.last_used_at, u.lu),
           expires_at = MAX(sessions.expires_at, u.ex)
         FROM (SELECT json_extract(value, '$.sessionId') AS id,
                 MAX(json_extract(value, '$.lastUsedAt')) AS lu,
                 MAX(json_extract(value, '$.expiresAt')) AS ex
               FROM json_each(?) GROUP BY 1) AS u
         WHERE sessions.id = u.id`,
      )
      const chunks: D1PreparedStatement[] = []
      for (let i = 0; i < updates.length; i += LAST_USE_PER_STATEMENT) {
        const chunk = updates.slice(i, i + LAST_USE_PER_STATEMENT)
        chunks.push(
          statement.bind(
            JSON.stringify(
              chunk.map((u) => ({
                sessionId: u.sessionId,
                lastUsedAt: u.lastUsedAt,
                expiresAt: u.expiresAt,
              })),
            ),
          ),
        )
      }
      await guarded('d1', 'touch sessions', () => db.batch(chunks))
    },

    /** The sessions started under a grant (a third-party app's token families), by id. */
    async grantSessions(userId: string, grantId: string): Promise<string[]> {
      const { results } = await guarded('d1', 'list grant sessions', () =>
        db
          .prepare('SELECT id FROM sessions WHERE user_id = ? AND grant_id = ?')
          .bind(userId, grantId)
          .all<{ id: string }>(),
      )
      return results.map((row) => row.id)
    },

    /** The user's own unexpired sessions (not third-party apps'), most recently used first. */
    async list(userId: string, now: number): Promise<SessionEntry[]> {
      const { results } = await guarded('d1', 'list sessions', () =>
        db
          .prepare(
            'SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? AND grant_id IS NULL ORDER BY last_used_at DESC',
          )
          .bind(userId, now)
          .all<Row>(),
      )
      return results.map(toEntry)
    },

    /** When the session signed in (epoch ms), if it is still the user's; null otherwise. */
    async signedInAt(userId: string, id: string): Promise<number | null> {
      const row = await guarded('d1', 'find session start', () =>
        db
          .prepare('SELECT created_at FROM sessions WHERE id = ? AND user_id = ?')
          .bind(id, userId)
          .first<{ created_at: number }>(),
      )
      return row?.created_at ?? null
    },

    /**
     * Whether the session is still listed as the user's. D1 is strongly consistent, so this says
     * what KV, read in a location that has not yet seen an end, may not.
     */
    async has(userId: string, id: string): Promise<boolean> {
      const row = await guarded('d1', 'find session', () =>
        listedStatement(db, bound(userId), bound(id)).first(),
      )
      return row !== null
    },

    /** Removes one session if it is the user's; false when it is not (or does not exist). */
    async remove(userId: string, id: string): Promise<boolean> {
      const result = await guarded('d1', 'delete session', () =>
        db.prepare('DELETE FROM sessions WHERE id = ? AND user_id = ?').bind(id, userId).run(),
      )
      return result.meta.changes > 0
    },

    /**
     * Ends, as D1 sees it, every session of the user created at or before `at` but `keep`, in
     * one batch (one transaction): records the revocation, keeping `keep` only if it is still
     * listed (an ended session is never kept, so never revived), and unlists the rest. Sessions
     * created after `at` stay listed. Returns the revocation as stored: `at` never moves back,
     * and once it is "forever" (2^53 - 1: a deleted account) nothing is kept any more.
     * With `everyListed` (a disabled account: no session may start after it), `at` is moved up
     * to the newest listed session's start, so one that a sign-in stamped with a clock ahead of
     * this request's is ended too.
     */
    async revokeAll(
      userId: string,
      at: number,
      keep?: string,
      everyListed = false,
    ): Promise<Revocation> {
      const [, , read] = await guarded('d1', 'revoke sessions', () =>
        db.batch([
          db
            .prepare(
              `INSERT INTO revocations (user_id, at, keep)
               VALUES (?1, MAX(?2, CASE WHEN ?5 THEN
                   COALESCE((SELECT MAX(created_at) FROM sessions WHERE user_id = ?1), 0)
                 ELSE 0 END),
                 (SELECT id FROM sessions WHERE id = ?3 AND user_id = ?1))
               ON CONFLICT (user_id) DO UPDATE SET at = MAX(at, excluded.at),
                 keep = CASE WHEN MAX(at, excluded.at) >= ?4 THEN NULL ELSE excluded.keep END`,
            )
            .bind(userId, at, keep ?? null, FOREVER, everyListed ? 1 : 0),
          db
            .prepare(
              `DELETE FROM sessions WHERE user_id = ?1
               AND created_at <= (SELECT at FROM revocations WHERE user_id = ?1)
               AND id IS NOT (SELECT keep FROM revocations WHERE user_id = ?1)`,
            )
            .bind(userId),
          db.prepare('SELECT at, keep FROM revocations WHERE user_id = ?').bind(userId),
        ]),
      )
      return (read!.results as Revocation[])[0]!
    },

    /**
     * Deletes up to `limit` rows of sessions that can no longer refresh: past their absolute end,
     * or idle since before `idleBefore` (the caller leaves a margin for the lagging last use).
     */
    purgeExpired: (at: number, idleBefore: number, limit: number) =>
      purgeSome(db, 'sessions', 'ends_at <= ? OR expires_at < ?', [at, idleBefore], limit),

    /** The user's newest revocation, if there ever was one. */
    revocation: (userId: string) =>
      guarded('d1', 'read revocation', () =>
        db
          .prepare('SELECT at, keep FROM revocations WHERE user_id = ?')
          .bind(userId)
          .first<Revocation>(),
      ),
  }
}
