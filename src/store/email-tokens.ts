// Single-use email links in D1: the only code that reads or writes the email_tokens table. A
// token is stored only as its HMAC; using one deletes it with RETURNING, so of two requests with
// the same link exactly one gets its row.
import { guarded } from './errors'
import { purgeSome } from './purge'

export type EmailTokenPurpose = 'verify_email' | 'reset_password'

export type EmailToken = {
  id: string
  userId: string
  purpose: EmailTokenPurpose
  email: string
  createdAt: number
  expiresAt: number
  /** A reset link's: the digest of the password hash it was mailed against (passwordBinding). */
  passwordBinding: string | null
}

type Row = {
  id: string
  user_id: string
  purpose: EmailTokenPurpose
  email: string
  created_at: number
  expires_at: number
  password_binding: string | null
}

export type EmailTokenStore = ReturnType<typeof emailTokenStore>

export function emailTokenStore(db: D1Database) {
  return {
    /** Stores a new token, replacing the user's earlier ones of the same purpose. */
    issue: (token: EmailToken) =>
      guarded('d1', 'issue email token', () =>
        db.batch([
          db
            .prepare('DELETE FROM email_tokens WHERE user_id = ? AND purpose = ?')
            .bind(token.userId, token.purpose),
          db
            .prepare(
              `INSERT INTO email_tokens
                 (id, user_id, purpose, email, created_at, expires_at, password_binding)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
            .bind(
              token.id,
              token.userId,
              token.purpose,
              token.email,
              token.createdAt,
              token.expiresAt,
              token.passwordBinding,
            ),
        ]),
      ),

    /** Deletes up to `limit` tokens expired at `at` (a link never opened). */
    purgeExpired: (at: number, limit: number) =>
      purgeSome(db, 'email_tokens', 'expires_at <= ?', [at], limit),

    /** Deletes the user's tokens of `purpose`: a password change kills its reset links. */
    revoke: (userId: string, purpose: EmailTokenPurpose) =>
      guarded('d1', 'revoke email tokens', () =>
        db
          .prepare('DELETE FROM email_tokens WHERE user_id = ? AND purpose = ?')
          .bind(userId, purpose)
          .run(),
      ),

    /** Takes a live token of `purpose` (deleting it): null when unknown, used or expired. */
    async take(id: string, purpose: EmailTokenPurpose, at: number): Promise<EmailToken | null> {
      const row = await guarded('d1', 'take email token', () =>
        db
          .prepare('DELETE FROM email_tokens WHERE id = ? AND purpose = ? RETURNING *')
          .bind(id, purpose)
          .first<Row>(),
      )
      return live(row, at)
    },

    /** The user's live token of `purpose`, if any (there is at most one: a newer replaces it). */
    async current(userId: string, purpose: EmailTokenPurpose, at: number) {
      const row = await guarded('d1', 'find email token', () =>
        db
          .prepare(
            'SELECT * FROM email_tokens WHERE user_id = ? AND purpose = ? AND expires_at > ?',
          )
          .bind(userId, purpose, at)
          .first<Row>(),
      )
      return live(row, at)
    },

    /**
     * Reads a live token of `purpose` without spending it (a page a link opens must not spend
     * it: mail scanners fetch links): null when unknown, used or expired.
     */
    async peek(id: string, purpose: EmailTokenPurpose, at: number): Promise<EmailToken | null> {
      const row = await guarded('d1', 'peek email token', () =>
        db
          .prepare('SELECT * FROM email_tokens WHERE id = ? AND purpose = ?')
          .bind(id, purpose)
          .first<Row>(),
      )
      return live(row, at)
    },
  }
}

const live = (row: Row | null, at: number): EmailToken | null =>
  !row || row.expires_at <= at
    ? null
    : {
        id: row.id,
        userId: row.user_id,
        purpose: row.purpose,
        email: row.email,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        passwordBinding: row.password_binding,
      }
