// Refresh tokens, sessions and revocation marks in KV: the only code that reads or writes those
// records (login-failures.ts owns the namespace's other two kinds, its failure counts). KV has
// no compare-and-set and serves stale reads between locations, so every record here is shaped
// so that a late or repeated write can only say what was already true: refresh-token records
// are written once (a re-derivation writes the same user and session again), a session record
// is written once at sign-in and then only replaced by its tombstone, and nothing is ever
// deleted. One exception: an app's code exchange writes its session under the id the code
// reserved, over any tombstone a replay of the code wrote first; the exchange then asks D1
// whether that happened and writes the tombstone again (services/oauth-server/tokens.ts).
import { type AuthMethod, KV_MIN_EXPIRATION_TTL_SECONDS } from '../env'
import { now } from '../clock'
import { guarded } from './errors'
import { kvKeys } from './keys'

/**
 * One refresh token, written when it is issued and never changed. Whether it has been used is
 * not stored on it: a token has been exchanged exactly when its successor's record exists, and
 * only the exchange writes that record. Times are epoch milliseconds.
 */
export type RefreshRecord = {
  userId: string
  familyId: string
  /** When it was issued: for a successor, when its parent was first exchanged. */
  createdAt: number
  /** Its idle limit: it cannot be exchanged after this. Never past its session's end. */
  expiresAt: number
}

/** A session (token family) while it may still refresh: written once, at sign-in. */
export type LiveSession = {
  userId: string
  username: string
  createdAt: number
  /** The absolute end (SESSION_MAX_AGE after sign-in), however active the session is. */
  expiresAt: number
  /** How it was signed in (RFC 8176), for every access token it mints; absent before MFA: `pwd`. */
  amr?: AuthMethod[]
  /** The provider of a federated sign-in. */
  idp?: string
  /**
   * A session a third-party app holds through the user's grant (the authorization server's), and
   * what it may mint: only resource tokens for this client, resource and scope. Absent: the
   * user's own session, which mints first-party tokens. Fixed at sign-in, like the rest.
   */
  grant?: GrantBinding
  /**
   * When the user authenticated, on an app's session: it starts at the code exchange, after the
   * sign-in it carries, so `createdAt` is not OpenID's `auth_time`. Absent: `createdAt` is.
   */
  authTime?: number
  /**
   * Only on records written before revocation marks named the session they keep: when it
   * survived an "end all others", which then counts instead of `createdAt`. Read, never written.
   */
  validFrom?: number
}

/** Whose a grant's session is: the grant (oauth_grants row), its client, resource and scope. */
export type GrantBinding = { id: string; clientId: string; resource: string; scope: string }

/** Why a session was ended. `reuse` lets every later refresh say "signed out for your safety". */
export type EndReason = 'logout' | 'reuse'

/** What replaces a session record when it ends. Nothing ever writes a live record over it. */
export type EndedSession = { userId: string; endedAt: number; reason: EndReason }

export type SessionRecord = LiveSession | EndedSession

export const isEnded = (record: SessionRecord): record is EndedSession => 'endedAt' in record

/**
 * "Every session of this user created at or before `at` has ended, except `keep`": one write
 * ends any number of sessions. A copy of the newest revocation in D1 (session-index.ts), which
 * orders concurrent ones; the refresh path reads this copy because it never reads D1.
 */
export type RevocationMark = { at: number; keep?: string | null }

/** KV's TTL floor applies even to records that our own expiry check has already made useless. */
const ttlUntil = (keepUntil: number): number =>
  Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((keepUntil - now()) / 1000))

export type SessionStore = ReturnType<typeof sessionStore>

/** What judging a refresh token reads: the token's record, its successor's, and whose they are. */
export type ChainView = {
  record: RefreshRecord | null
  next: RefreshRecord | null
  /** Present only when the read named a session and user. */
  session?: SessionRecord | null
  mark?: RevocationMark | null
}

export function sessionStore(kv: KVNamespace) {
  const put = (operation: string, key: string, value: unknown, keepUntil: number) =>
    guarded('kv', operation, () =>
      kv.put(key, JSON.stringify(value), { expirationTtl: ttlUntil(keepUntil) }),
    )

  return {
    getRefreshToken: (tokenId: string) =>
      guarded('kv', 'get refresh token', () =>
        kv.get<RefreshRecord>(kvKeys.refreshToken(tokenId), 'json'),
      ),

    /** `keepUntil` may be later than `expiresAt`: a record outlives its token to answer retries. */
    putRefreshToken: (tokenId: string, record: RefreshRecord, keepUntil = record.expiresAt) =>
      put('put refresh token', kvKeys.refreshToken(tokenId), record, keepUntil),

    /**
     * A refresh's reads in one bulk get: one round trip and one subrequest (KV bills each key as
     * a read). With `owner`, its session and revocation mark come in the same call.
     */
    readChain: (
      tokenId: string,
      successorId: string,
      owner: { sessionId: string; userId: string } | null,
    ): Promise<ChainView> =>
      guarded('kv', 'read refresh chain', async () => {
        const keys = [kvKeys.refreshToken(tokenId), kvKeys.refreshToken(successorId)]
        if (owner) keys.push(kvKeys.session(owner.sessionId), kvKeys.revokedBefore(owner.userId))
        const values = await kv.get<unknown>(keys, 'json')
        const [record, next, session, mark] = keys.map((key) => values.get(key) ?? null)
        const view: ChainView = {
          record: record as RefreshRecord | null,
          next: next as RefreshRecord | null,
        }
        if (!owner) return view
        return {
          ...view,
          session: session as SessionRecord | null,
          mark: mark as RevocationMark | null,
        }
      }),

    getSession: (sessionId: string) =>
      guarded('kv', 'get session', () => kv.get<SessionRecord>(kvKeys.session(sessionId), 'json')),

    putSession: (sessionId: string, record: LiveSession) =>
      put('put session', kvKeys.session(sessionId), record, record.expiresAt),

    /** Replaces the session with its tombstone, kept until nothing of the session could work. */
    endSession: (sessionId: string, tombstone: EndedSession, keepUntil: number) =>
      put('end session', kvKeys.session(sessionId), tombstone, keepUntil),

    getRevocation: (userId: string) =>
      guarded('kv', 'get revocation', () =>
        kv.get<RevocationMark>(kvKeys.revokedBefore(userId), 'json'),
      ),

    /** Kept until every session it could end has reached its own end anyway. */
    putRevocation: (userId: string, mark: RevocationMark, keepUntil: number) =>
      put('put revocation', kvKeys.revokedBefore(userId), mark, keepUntil),
  }
}
