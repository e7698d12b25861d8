// TOTP authenticators and recovery codes in D1: the only code that reads or writes the totp and
// recovery_codes tables (users.ts reads whether TOTP is on, joined to the user, at sign-in). Each
// "use once" rule is one conditional statement, which D1's single writer orders: of two requests
// racing with the same code, exactly one changes a row.
import { guarded } from './errors'

export type TotpRecord = {
  userId: string
  /** Sealed: see auth/mfa-keys.ts. */
  secret: string
  createdAt: number
  /** Null while pending: enrolled, its first code not yet confirmed. */
  enabledAt: number | null
  lastStep: number
  /** Code checks since the last right code, and until when further ones are held back. */
  failures: number
  lockedUntil: number
}

type Row = {
  user_id: string
  secret: string
  created_at: number
  enabled_at: number | null
  last_step: number
  failures: number
  locked_until: number
}

const toRecord = (row: Row): TotpRecord => ({
  userId: row.user_id,
  secret: row.secret,
  createdAt: row.created_at,
  enabledAt: row.enabled_at,
  lastStep: row.last_step,
  failures: row.failures,
  lockedUntil: row.locked_until,
})

export type TotpStore = ReturnType<typeof totpStore>

export function totpStore(db: D1Database) {
  return {
    async get(userId: string): Promise<TotpRecord | null> {
      const row = await guarded('d1', 'get totp', () =>
        db.prepare('SELECT * FROM totp WHERE user_id = ?').bind(userId).first<Row>(),
      )
      return row ? toRecord(row) : null
    },

    /** A pending enrolment, replacing any earlier pending one; never one that is on. */
    async putPending(userId: string, secret: string, at: number): Promise<'pending' | 'enabled'> {
      const result = await guarded('d1', 'put pending totp', () =>
        db
          .prepare(
            `INSERT INTO totp (user_id, secret, created_at, enabled_at, last_step) VALUES (?1, ?2, ?3, NULL, 0)
             ON CONFLICT (user_id) DO UPDATE SET secret = ?2, created_at = ?3, last_step = 0,
               failures = 0, locked_until = 0
             WHERE enabled_at IS NULL`,
          )
          .bind(userId, secret, at)
          .run(),
      )
      return result.meta.changes === 1 ? 'pending' : 'enabled'
    },

    /**
     * Turns the pending enrolment whose secret is `secret` on, with its first accepted step, and
     * replaces the recovery codes: all or nothing. False when it is no longer that pending one.
     */
    async enable(
      userId: string,
      secret: string,
      step: number,
      at: number,
      codeHashes: string[],
    ): Promise<boolean> {
      // The code statements run only if the update did: the row now names this confirmation.
      const confirmation = crypto.randomUUID()
      const mine = 'EXISTS (SELECT 1 FROM totp WHERE user_id = ?1 AND confirmed_by = ?2)'
      const [enabled] = await guarded('d1', 'enable totp', () =>
        db.batch([
          db
            .prepare(
              `UPDATE totp SET enabled_at = ?3, last_step = ?4, confirmed_by = ?5,
                 failures = 0, locked_until = 0
               WHERE user_id = ?1 AND secret = ?2 AND enabled_at IS NULL`,
            )
            .bind(userId, secret, at, step, confirmation),
          db
            .prepare(`DELETE FROM recovery_codes WHERE user_id = ?1 AND ${mine}`)
            .bind(userId, confirmation),
          ...codeHashes.map((hash) =>
            db
              .prepare(
                `INSERT INTO recovery_codes (user_id, code_hash, used_at) SELECT ?1, ?3, NULL WHERE ${mine}`,
              )
              .bind(userId, confirmation, hash),
          ),
        ]),
      )
      return enabled!.meta.changes === 1
    },

    /**
     * Counts one code check (on an enrolment, pending or on) before it is made, unless the
     * user's checks are locked: the lock
     * begins at `free` checks without a right code and doubles with each one after (1 s, 2 s …
     * up to 15 minutes). Returns 0 when counted, else the seconds the lock has left. One
     * statement, so parallel guesses are each counted and the ones past the budget refused.
     */
    async countCheck(userId: string, free: number, at: number): Promise<number> {
      const counted = await guarded('d1', 'count totp check', () =>
        db
          .prepare(
            `UPDATE totp SET failures = failures + 1,
               locked_until = CASE WHEN failures + 1 >= ?2
                 THEN ?3 + MIN(1 << MIN(failures + 1 - ?2, 10), 900) * 1000
                 ELSE locked_until END
             WHERE user_id = ?1 AND locked_until <= ?3
             RETURNING failures`,
          )
          .bind(userId, free, at)
          .first<{ failures: number }>(),
      )
      if (counted) return 0
      // No row (TOTP turned off meanwhile) is nothing to hold back; a locked one says how long.
      const row = await this.get(userId)
      return row && row.lockedUntil > at ? Math.ceil((row.lockedUntil - at) / 1000) : 0
    },

    /** A right code: the count of checks starts again. */
    clearChecks: (userId: string) =>
      guarded('d1', 'clear totp checks', () =>
        db
          .prepare('UPDATE totp SET failures = 0, locked_until = 0 WHERE user_id = ?')
          .bind(userId)
          .run(),
      ),

    /** Accepts a code for `step` if no code at or after it was accepted: false for a replay. */
    async acceptStep(userId: string, step: number): Promise<boolean> {
      const result = await guarded('d1', 'accept totp step', () =>
        db
          .prepare(
            `UPDATE totp SET last_step = ?2
             WHERE user_id = ?1 AND enabled_at IS NOT NULL AND last_step < ?2`,
          )
          .bind(userId, step)
          .run(),
      )
      return result.meta.changes === 1
    },

    /** Spends a recovery code: false if it is not one of the user's, or was spent already. */
    async spendRecoveryCode(userId: string, codeHash: string, at: number): Promise<boolean> {
      const result = await guarded('d1', 'spend recovery code', () =>
        db
          .prepare(
            `UPDATE recovery_codes SET used_at = ?3
             WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL`,
          )
          .bind(userId, codeHash, at)
          .run(),
      )
      return result.meta.changes === 1
    },

    /** How many unspent recovery codes the user has left. */
    async recoveryCodesLeft(userId: string): Promise<number> {
      const row = await guarded('d1', 'count recovery codes', () =>
        db
          .prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL')
          .bind(userId)
          .first<{ n: number }>(),
      )
      return row?.n ?? 0
    },

    /** Turns TOTP off (pending or on) and drops the recovery codes. */
    remove: (userId: string) =>
      guarded('d1', 'remove totp', () =>
        db.batch([
          db.prepare('DELETE FROM totp WHERE user_id = ?').bind(userId),
          db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').bind(userId),
        ]),
      ),
  }
}
