// Ending sessions, one or all of a user's, in both places a session lives: KV (which decides
// whether its refresh tokens work) and the D1 index (which lists it).
import type { Config } from '../env'
import { now } from '../clock'
import type { SessionIndex } from '../store/session-index'
import type { SessionStore } from '../store/sessions'

/** How long a session record lives: two refresh-token lifetimes (see sessionExpiry). */
export const sessionLifetime = (cfg: Config): number => 2 * cfg.refreshTokenTtl * 1000

export type SessionEnding = ReturnType<typeof sessionEnding>

export function sessionEnding({
  sessions,
  index,
}: {
  sessions: SessionStore
  index: SessionIndex
}) {
  return {
    /** Ends one session: its refresh tokens stop working, and it leaves the user's list. */
    async endOne(userId: string, sessionId: string): Promise<void> {
      await Promise.all([sessions.revokeFamily(sessionId), index.remove(userId, sessionId)])
    },

    /**
     * Ends every session of the user but `keep`, with a constant number of writes whatever
     * their number: one revoked-before mark in KV (which the refresh path reads) and one D1
     * statement. The kept session is re-stamped first, so it outlives the mark.
     */
    async endAll(userId: string, cfg: Config, keep?: string): Promise<void> {
      const at = now()
      if (keep) {
        const session = await sessions.getSession(keep)
        if (session) await sessions.putSession(keep, { ...session, validFrom: at + 1 })
      }
      await Promise.all([
        sessions.putRevokedBefore(userId, at, sessionLifetime(cfg)),
        index.removeAll(userId, keep),
      ])
    },
  }
}
