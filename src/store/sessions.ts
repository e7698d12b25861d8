// Refresh-token sessions in KV: the only code that reads or writes REFRESH_TOKENS.
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../env'
import { now } from '../clock'
import { guarded } from './errors'
import { kvKeys } from './keys'

/** One refresh token. Times are epoch milliseconds. */
export type RefreshRecord = {
  userId: string
  familyId: string
  createdAt: number
  expiresAt: number
  /** Set when the token was exchanged; a later use outside the reuse window is theft. */
  usedAt?: number
  /** The storage id of the token it was exchanged for. */
  next?: string
}

/** One session (token family). It exists while the session is alive: deleting it revokes every token in it. */
export type SessionRecord = {
  userId: string
  username: string
  createdAt: number
  expiresAt: number
  /** Set when the session survived an "end all others": it counts as started then. */
  validFrom?: number
}

/** Whether a session was ended by a later "end all (other) sessions" of its user. */
export const endedByRevocation = (session: SessionRecord, revokedBefore: number | null) =>
  revokedBefore !== null && (session.validFrom ?? session.createdAt) <= revokedBefore

/** KV's TTL floor applies even to records that our own expiry check has already made useless. */
const ttlUntil = (expiresAt: number): number =>
  Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((expiresAt - now()) / 1000))

export type SessionStore = ReturnType<typeof sessionStore>

export function sessionStore(kv: KVNamespace) {
  return {
    getRefreshToken: (tokenId: string) =>
      guarded('kv', 'get refresh token', () =>
        kv.get<RefreshRecord>(kvKeys.refreshToken(tokenId), 'json'),
      ),

    putRefreshToken: (tokenId: string, record: RefreshRecord) =>
      guarded('kv', 'put refresh token', () =>
        kv.put(kvKeys.refreshToken(tokenId), JSON.stringify(record), {
          expirationTtl: ttlUntil(record.expiresAt),
        }),
      ),

    getSession: (sessionId: string) =>
      guarded('kv', 'get session', () => kv.get<SessionRecord>(kvKeys.session(sessionId), 'json')),

    putSession: (sessionId: string, record: SessionRecord) =>
      guarded('kv', 'put session', () =>
        kv.put(kvKeys.session(sessionId), JSON.stringify(record), {
          expirationTtl: ttlUntil(record.expiresAt),
        }),
      ),

    /** Ends the session: every refresh token of the family stops working. */
    revokeFamily: (sessionId: string) =>
      guarded('kv', 'delete session', () => kv.delete(kvKeys.session(sessionId))),

    /** The time before which the user's sessions were all ended, if ever. */
    async getRevokedBefore(userId: string): Promise<number | null> {
      const record = await guarded('kv', 'get revoked-before', () =>
        kv.get<{ at: number }>(kvKeys.revokedBefore(userId), 'json'),
      )
      return record?.at ?? null
    },

    /**
     * Ends every session of the user that started at or before `at`, with one write whatever
     * their number. It lives as long as a session can, after which there is nothing to end.
     */
    putRevokedBefore: (userId: string, at: number, sessionLifetimeMs: number) =>
      guarded('kv', 'put revoked-before', () =>
        kv.put(kvKeys.revokedBefore(userId), JSON.stringify({ at }), {
          expirationTtl: ttlUntil(at + sessionLifetimeMs),
        }),
      ),
  }
}
