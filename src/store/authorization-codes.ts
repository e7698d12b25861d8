// Authorization codes in D1: the only code that reads or writes authorization_codes. A code is
// stored under its SHA-256 only. D1's single writer decides which exchange spends a code: the
// first conditional update wins, and a later one is a replay that ends what the first started.
import type { AuthMethod } from '../env'
import { guarded } from './errors'

/** What a code was issued for. Times are epoch ms. */
export type CodeGrant = {
  clientId: string
  userId: string
  grantId: string
  /** The session the exchange starts, reserved now so a replay can end it whenever it comes. */
  sessionId: string
  /** The user's own session that authorized it: it must still be live at the exchange. */
  signerSessionId: string | null
  redirectUri: string
  redirectUriSent: boolean
  /** PKCE S256; null when the request sent none (a confidential OpenID client's nonce instead). */
  codeChallenge: string | null
  resource: string
  scope: string
  authTime: number
  amr: AuthMethod[]
  idp: string | null
  /** An OpenID request's nonce: its ID token repeats it. */
  nonce: string | null
  expiresAt: number
}

type Row = {
  client_id: string
  user_id: string
  grant_id: string
  session_id: string
  signer_session_id: string | null
  redirect_uri: string
  redirect_uri_sent: number
  code_challenge: string
  resource: string
  scope: string
  auth_time: number
  amr: string
  idp: string | null
  nonce: string | null
  expires_at: number
}

const toCode = (row: Row): CodeGrant => ({
  clientId: row.client_id,
  userId: row.user_id,
  grantId: row.grant_id,
  sessionId: row.session_id,
  signerSessionId: row.signer_session_id,
  redirectUri: row.redirect_uri,
  redirectUriSent: row.redirect_uri_sent === 1,
  // The column is NOT NULL: no challenge is stored as ''.
  codeChallenge: row.code_challenge === '' ? null : row.code_challenge,
  resource: row.resource,
  scope: row.scope,
  authTime: row.auth_time,
  amr: JSON.parse(row.amr) as AuthMethod[],
  idp: row.idp,
  nonce: row.nonce,
  expiresAt: row.expires_at,
})

/** Far more than clocks differ between machines, and than a code lives. */
const SWEEP_MARGIN_MS = 10 * 60 * 1000

export type AuthorizationCodeStore = ReturnType<typeof authorizationCodeStore>

/** What spending a code found: spent now by this request, spent before (a replay), or nothing. */
export type Spend = { spent: CodeGrant } | { replayed: CodeGrant } | { unknown: true }

export function authorizationCodeStore(db: D1Database) {
  return {
    /** Stores a new code's grant; codes long expired go in the same batch. */
    issue: (id: string, code: CodeGrant, at: number) =>
      guarded('d1', 'insert authorization code', () =>
        db.batch([
          db
            .prepare('DELETE FROM authorization_codes WHERE expires_at < ?')
            .bind(at - SWEEP_MARGIN_MS),
          db
            .prepare(
              `INSERT INTO authorization_codes (id, client_id, user_id, grant_id, session_id,
                 signer_session_id, redirect_uri, redirect_uri_sent, code_challenge, resource, scope,
                 auth_time, amr, idp, nonce, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .bind(
              id,
              code.clientId,
              code.userId,
              code.grantId,
              code.sessionId,
              code.signerSessionId,
              code.redirectUri,
              code.redirectUriSent ? 1 : 0,
              code.codeChallenge ?? '',
              code.resource,
              code.scope,
              code.authTime,
              JSON.stringify(code.amr),
              code.idp,
              code.nonce,
              code.expiresAt,
            ),
        ]),
      ),

    /**
     * Spends the code: the first call wins it (whatever its age: the caller checks expiry, so a
     * late replay still ends what the code issued); a later call marks it replayed and gets its
     * grant, to end the session it started. Each is one conditional write, ordered by D1.
     */
    async spend(id: string, at: number): Promise<Spend> {
      const first = await guarded('d1', 'spend authorization code', () =>
        db
          .prepare(
            'UPDATE authorization_codes SET used_at = ? WHERE id = ? AND used_at IS NULL RETURNING *',
          )
          .bind(at, id)
          .first<Row>(),
      )
      if (first) return { spent: toCode(first) }
      const again = await guarded('d1', 'mark authorization code replayed', () =>
        db
          .prepare(
            `UPDATE authorization_codes SET replayed_at = COALESCE(replayed_at, ?)
             WHERE id = ? AND used_at IS NOT NULL RETURNING *`,
          )
          .bind(at, id)
          .first<Row>(),
      )
      return again ? { replayed: toCode(again) } : { unknown: true }
    },

    /** Whether the code has been presented again since it was spent (a replay). */
    async replayed(id: string): Promise<boolean> {
      const row = await guarded('d1', 'read authorization code', () =>
        db
          .prepare('SELECT replayed_at FROM authorization_codes WHERE id = ?')
          .bind(id)
          .first<{ replayed_at: number | null }>(),
      )
      return row?.replayed_at != null
    },
  }
}
