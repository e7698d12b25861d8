// How many emails of each kind each address has been sent in the current window, in D1: the only
// code that reads or writes the email_quota table. One upsert counts a send and says whether it
// is allowed, so a burst of requests from anywhere cannot send one address more than its quota.
import { guarded } from './errors'
import { purgeSome } from './purge'

/**
 * The kinds counted apart, so that spending one never silences another: verification links
 * (anyone may name an address), reset links, sign-in codes, and security notices; and, though
 * not mail, the sign-in codes tried against an address (`code_try`), capped the same way.
 */
export type EmailKind = 'verify' | 'reset' | 'code' | 'code_hour' | 'code_try' | 'notice'

/** At most `max` emails of a kind to one address in any window of `windowMs` from the first. */
export type EmailRule = { max: number; windowMs: number }

export type EmailQuota = ReturnType<typeof emailQuota>

/**
 * No rule's window is longer than a day (test/store/email-quota.test.ts checks every rule), so a
 * row whose window started a day ago counts nothing any more: deleting it changes no answer.
 */
export const LONGEST_EMAIL_WINDOW_MS = 24 * 60 * 60 * 1000

export function emailQuota(db: D1Database) {
  return {
    /**
     * Counts one email of `kind` to `address` (asked for by `by`, when each requester has a
     * budget of its own) if the rule allows it; true if counted.
     */
    async take(
      { kind, address, by }: { kind: EmailKind; address: string; by?: string },
      rule: EmailRule,
      at: number,
    ): Promise<boolean> {
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
          .bind(
            [kind, ...(by ? [by] : []), address.toLowerCase()].join(':'),
            at,
            rule.max,
            rule.windowMs,
          )
          .first<{ sent: number }>(),
      )
      return row !== null
    },

    /** Deletes up to `limit` rows whose window ended by `at`; how many went. */
    purgeExpired: (at: number, limit: number) =>
      purgeSome(db, 'email_quota', 'window_start <= ?', [at - LONGEST_EMAIL_WINDOW_MS], limit),
  }
}
