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
}

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
  }
}
