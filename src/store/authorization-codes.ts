// Authorization codes in D1: the only code that reads or writes authorization_codes. A code is
// stored under its SHA-256 only. D1's single writer decides which exchange spends a code: the
// first conditional update wins, and a later one is a replay that ends what the first started.
// The exchange's two D1 steps are batches built here from the statements the other stores lend
// (users, the session index, grants), so each is one request and one transaction.
import type { AuthMethod } from '../env'
import { guarded } from './errors'
import { touchStatement } from './oauth-grants'
import { type SessionEntry, type SqlValue, addStatement, listedStatement } from './session-index'
import { type UserById, userById, userByIdStatement } from './users'

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

/**
 * What spending a code found: spent now by this request (with the code's user, and whether the
 * user's session that allowed it is still listed, both read in the same transaction), spent
 * before (a replay, now marked), or nothing.
 */
export type Spend =
  | { spent: CodeGrant; user: UserById | null; signerListed: boolean }
  | { replayed: CodeGrant }
  | { unknown: true }

/**
 * The exchange's closing checks, read in one transaction with its session's listing: whether
 * D1 listed the session (not if its user was disabled), the grant is still there, the code was
 * presented again since it was spent, and the user's session that allowed it is still listed.
 */
export type Settled = {
  listed: boolean
  grantLives: boolean
  replayed: boolean
  signerListed: boolean
}

export function authorizationCodeStore(db: D1Database) {
  /** A column of the code's row, as SQL another store's statement can compare with. */
  const ofCode = (id: string, column: 'user_id' | 'signer_session_id'): SqlValue => ({
    sql: `(SELECT ${column} FROM authorization_codes WHERE id = ?)`,
    binds: [id],
  })
  /** Whether the user's session that allowed the code is still listed as the user's. */
  const signerListed = (id: string) =>
    listedStatement(db, ofCode(id, 'user_id'), ofCode(id, 'signer_session_id'))

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
     * grant, to end the session it started. One conditional write, which D1's single writer
     * orders against any other: SQLite's SET reads the row as it was, so a code not yet spent
     * gets its `used_at` (and no replay mark), and one spent before keeps its `used_at` and gets
     * the mark; the mark in the returned row tells which. In the same batch (one transaction),
     * the code's user and whether the session that allowed it is listed, read by the code's row.
     */
    async spend(id: string, at: number): Promise<Spend> {
      const [code, user, signer] = await guarded('d1', 'spend authorization code', () =>
        db.batch([
          db
            .prepare(
              `UPDATE authorization_codes SET used_at = COALESCE(used_at, ?1),
                 replayed_at = CASE WHEN used_at IS NULL THEN NULL ELSE COALESCE(replayed_at, ?1) END
               WHERE id = ?2 RETURNING *`,
            )
            .bind(at, id),
          userByIdStatement(db, ofCode(id, 'user_id')),
          signerListed(id),
        ]),
      )
      const first = (result: D1Result | undefined) => result?.results[0]
      const row = first(code) as (Row & { replayed_at: number | null }) | undefined
      if (!row) return { unknown: true }
      if (row.replayed_at !== null) return { replayed: toCode(row) }
      return { spent: toCode(row), user: userById(first(user)), signerListed: !!first(signer) }
    },

    /**
     * The exchange's closing checks, with its session's listing, in one batch (one transaction):
     * the session listed (unless its user is disabled), the grant's last use, whether the code
     * was replayed since it was spent, and whether the signer is still listed. The caller runs it
     * once the session's KV records are written (services/oauth-server/tokens.ts says why).
     */
    async settle(id: string, grantId: string, at: number, session: SessionEntry): Promise<Settled> {
      const [listed, grant, code, signer] = await guarded('d1', 'settle code exchange', () =>
        db.batch([
          addStatement(db, session),
          touchStatement(db, grantId, at),
          db.prepare('SELECT replayed_at FROM authorization_codes WHERE id = ?').bind(id),
          signerListed(id),
        ]),
      )
      const replayedAt = (code?.results[0] as { replayed_at: number | null } | undefined)
        ?.replayed_at
      return {
        listed: listed?.meta.changes === 1,
        grantLives: (grant?.results.length ?? 0) > 0,
        replayed: replayedAt != null,
        signerListed: (signer?.results.length ?? 0) > 0,
      }
    },
  }
}
