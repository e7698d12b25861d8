// How many emails each address has been sent this hour, in D1: the only code that reads or
// writes the email_quota table. One upsert counts a send and says whether it is allowed, so a
// burst of requests from anywhere cannot send one address more than its quota.
import { guarded } from './errors'

const HOUR_MS = 3600 * 1000

export type EmailQuota = ReturnType<typeof emailQuota>

export function emailQuota(db: D1Database) {
  return {
    /**
     * Counts one email under `address` (an address, or a kind of mail to it, such as
     * `notice:<address>`) if fewer than `max` were counted in the hour; true if counted.
     */
    async take(address: string, max: number, at: number): Promise<boolean> {
      const row = await guarded('d1', 'take email quota', () =>
        db
          .prepare(
            `INSERT INTO email_quota (address, window_start, sent) VALUES (?1, ?2, 1)
             ON CONFLICT (address) DO UPDATE SET
               sent = CASE WHEN window_start <= ?2 - ?4 THEN 1 ELSE sent + 1 END,
               window_start = CASE WHEN window_start <= ?2 - ?4 THEN ?2 ELSE window_start END
             WHERE window_start <= ?2 - ?4 OR sent < ?3
             RETURNING sent`,
          )
          .bind(address.toLowerCase(), at, max, HOUR_MS)
          .first<{ sent: number }>(),
      )
      return row !== null
    },
  }
}
