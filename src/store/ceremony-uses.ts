// The uses of single-use ceremony tokens (auth/ceremony-tokens.ts) in D1: the only code that
// reads or writes the ceremony_uses table. A token is never stored, only its nonce once used;
// each statement here is one conditional write, so D1's single writer decides every race.
import { guarded } from './errors'

/** Far more than clocks differ between Cloudflare machines. */
const SWEEP_MARGIN_MS = 5 * 60 * 1000

export type CeremonyUses = ReturnType<typeof ceremonyUses>

export function ceremonyUses(db: D1Database) {
  /**
   * Expired rows go in the same batch as a new one, so the table holds live ceremonies only;
   * with a margin, so an isolate whose clock runs ahead never deletes a use that one running
   * behind still counts as live (that would let a spent token in again).
   */
  const sweep = (at: number) =>
    db.prepare('DELETE FROM ceremony_uses WHERE expires_at < ?').bind(at - SWEEP_MARGIN_MS)

  return {
    /** Uses a one-shot token (a WebAuthn challenge): true the first time only. */
    async useOnce(nonce: string, expiresAt: number, at: number): Promise<boolean> {
      const [, inserted] = await guarded('d1', 'use ceremony', () =>
        db.batch([
          sweep(at),
          db
            .prepare(
              `INSERT INTO ceremony_uses (id, expires_at, attempts, done) VALUES (?, ?, 1, 1)
               ON CONFLICT (id) DO NOTHING`,
            )
            .bind(nonce, expiresAt),
        ]),
      )
      return inserted!.meta.changes === 1
    },

    /**
     * Counts one attempt at a token that allows `max` (an mfaToken): true while it is not done
     * and this is attempt `max` or earlier.
     */
    async attempt(nonce: string, expiresAt: number, max: number, at: number): Promise<boolean> {
      const [, counted] = await guarded('d1', 'attempt ceremony', () =>
        db.batch([
          sweep(at),
          db
            .prepare(
              `INSERT INTO ceremony_uses (id, expires_at, attempts, done) VALUES (?1, ?2, 1, 0)
               ON CONFLICT (id) DO UPDATE SET attempts = attempts + 1
               WHERE done = 0 AND attempts < ?3
               RETURNING attempts`,
            )
            .bind(nonce, expiresAt, max),
        ]),
      )
      return counted!.results.length === 1
    },

    /** Marks the token done: true for the one request that does so. */
    async finish(nonce: string): Promise<boolean> {
      const result = await guarded('d1', 'finish ceremony', () =>
        db.prepare('UPDATE ceremony_uses SET done = 1 WHERE id = ? AND done = 0').bind(nonce).run(),
      )
      return result.meta.changes === 1
    },
  }
}
