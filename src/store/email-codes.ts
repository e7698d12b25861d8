// One-time sign-in codes in D1: the only code that reads or writes the email_codes table. Every
// "once" is one statement: an attempt counts itself only while the code is live and under its
// limit, and the right code is spent by deleting exactly its row, so of two racing requests with
// the right code one signs in.
import { guarded } from './errors'
import { purgeSome } from './purge'

export type EmailCodeRecord = {
  /** Lower-cased. */
  address: string
  userId: string
  codeHash: string
  createdAt: number
  expiresAt: number
}

type Row = { user_id: string; code_hash: string; created_at: number; expires_at: number }

export type EmailCodeStore = ReturnType<typeof emailCodeStore>

export function emailCodeStore(db: D1Database) {
  return {
    /** The code mailed to `address` that still works (live, with tries left), if any. */
    async current(address: string, at: number, max: number): Promise<EmailCodeRecord | null> {
      const row = await guarded('d1', 'find email code', () =>
        db
          .prepare(
            'SELECT * FROM email_codes WHERE address = ? AND expires_at > ? AND attempts < ?',
          )
          .bind(address.toLowerCase(), at, max)
          .first<Row>(),
      )
      return row && toRecord(address, row)
    },

    /** Makes `code` the address's live code, replacing any other; sweeps expired ones. */
    put: (code: EmailCodeRecord) =>
      guarded('d1', 'put email code', () =>
        db.batch([
          db.prepare('DELETE FROM email_codes WHERE expires_at <= ?').bind(code.createdAt),
          db
            .prepare(
              `INSERT INTO email_codes (address, user_id, code_hash, created_at, expires_at, attempts)
               VALUES (?1, ?2, ?3, ?4, ?5, 0)
               ON CONFLICT (address) DO UPDATE SET user_id = ?2, code_hash = ?3,
                 created_at = ?4, expires_at = ?5, attempts = 0`,
            )
            .bind(
              code.address.toLowerCase(),
              code.userId,
              code.codeHash,
              code.createdAt,
              code.expiresAt,
            ),
        ]),
      ),

    /**
     * Counts one try against the address's live code and returns it, or null when there is none
     * or it has had `max` tries already (the count and the check are one statement).
     */
    async attempt(address: string, at: number, max: number): Promise<EmailCodeRecord | null> {
      const row = await guarded('d1', 'try email code', () =>
        db
          .prepare(
            `UPDATE email_codes SET attempts = attempts + 1
             WHERE address = ? AND expires_at > ? AND attempts < ?
             RETURNING user_id, code_hash, created_at, expires_at`,
          )
          .bind(address.toLowerCase(), at, max)
          .first<Row>(),
      )
      return row && toRecord(address, row)
    },

    /** Deletes up to `limit` codes expired at `at` (a code never entered). */
    purgeExpired: (at: number, limit: number) =>
      purgeSome(db, 'email_codes', 'expires_at <= ?', [at], limit),

    /** Spends the code: true for the one request that deleted it. */
    async spend(address: string, codeHash: string): Promise<boolean> {
      const result = await guarded('d1', 'spend email code', () =>
        db
          .prepare('DELETE FROM email_codes WHERE address = ? AND code_hash = ?')
          .bind(address.toLowerCase(), codeHash)
          .run(),
      )
      return result.meta.changes === 1
    },
  }
}

const toRecord = (address: string, row: Row): EmailCodeRecord => ({
  address: address.toLowerCase(),
  userId: row.user_id,
  codeHash: row.code_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
})
