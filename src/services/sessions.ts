// Every session rule in one place: starting a session, judging a presented refresh token (is its
// session alive, and where does the token stand in its chain), extending the chain, ending one
// session or all of a user's, and the lifetimes. Knows nothing of Hono or bindings.
//
// KV has no compare-and-set and a location may read values up to ~60 s old. A stale read may
// answer wrongly for a moment (refuse a token it cannot see yet, accept one whose end it has not
// seen), but each rule is written so that it never undoes a write nor raises a false alarm: an
// ended session is a tombstone that no later write replaces, "used" is the existence of a
// successor's record (which nothing deletes), no request reads a KV record to write it back,
// and "end all" is decided in D1, which orders concurrent ends, then copied to KV.
import type { AuthMethod, Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import {
  generateRefreshToken,
  isGrantToken,
  isWellFormedRefreshToken,
  refreshTokenId,
  refreshTokenOwner,
  successorOf,
} from '../auth/refresh-tokens'
import { StorageError } from '../store/errors'
import type { Revocation, SessionEntry, SessionIndex } from '../store/session-index'
import {
  type EndReason,
  type GrantBinding,
  type LiveSession,
  type RefreshRecord,
  type RevocationMark,
  type SessionStore,
  isEnded,
} from '../store/sessions'
import type { EventSink } from './events'

export type SessionDeps = {
  sessions: SessionStore
  /** The per-user list of sessions in D1; never read on the refresh path. */
  index: SessionIndex
  /** Runs work after the response (waitUntil): bookkeeping the client need not wait for. */
  defer: (task: Promise<unknown>) => void
  /** Waits, without holding the CPU: before retrying a KV write the per-key limit refused. */
  wait: (ms: number) => Promise<void>
  /** Where every service reports what happened (log line, audit row, webhooks). */
  events: EventSink
}

/**
 * Where a sign-in came from, as the sessions list shows it: the User-Agent, and Cloudflare's
 * country code and city when it knows them.
 */
export type Client = { userAgent: string | null; country: string | null; city: string | null }

/** A presented refresh token whose session is alive, and what exchanging it returns. */
export type LiveToken = {
  userId: string
  username: string
  sessionId: string
  /** How the session was signed in. */
  amr: AuthMethod[]
  idp?: string
  /** When the session signed in (epoch ms): OpenID's `auth_time`, `prompt=login`'s test. */
  authTime: number
  /** The grant a third-party app's session holds; absent for the user's own. */
  grant?: GrantBinding
  record: RefreshRecord
  session: LiveSession
  /** Derived from the token, so every exchange of it, anywhere, returns this same one. */
  successor: string
  successorId: string
}

/**
 * Where a presented refresh token stands:
 * - `current`: the head of its chain; exchanging it issues the successor.
 * - `repeat`: exchanged before, but its successor has never been used. Nothing forked (a lost
 *   response, a retry, another tab holding the same token), so it gets that successor again.
 * - `replay`: the chain has moved past it, but inside REFRESH_REUSE_WINDOW of its exchange: a
 *   race between a client's own requests. It gets the same successor, and ends no other session.
 * - `reused`: the chain moved past it outside the window. Two parties hold the family's tokens,
 *   so one of them stole it: the family ends.
 * - `ended`: its session is over: logged out, revoked, past its limits, or ended for reuse.
 * - `unknown`: not a token this service issued, or past its idle limit.
 */
export type Standing =
  | { kind: 'current' | 'repeat' | 'replay'; token: LiveToken }
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'ended'; byReuse: boolean }
  | { kind: 'unknown' }

const UNKNOWN: Standing = { kind: 'unknown' }

/** A sign-in of an account an operator disabled, refused once its credentials were proven. */
export const accountDisabled = () =>
  new ApiError(
    'account_disabled',
    'This account has been disabled; contact the service’s administrator',
  )

/** What a refresh answers for a token that is `unknown` or `ended` (not by reuse). */
export const invalidRefreshToken = () =>
  new ApiError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked')

/**
 * Who presents a refresh token: the user's own client (the first-party routes and pages), or a
 * third-party app, authenticated as `clientId` by the token endpoint. A token of the other kind
 * stands for nothing here: an app's grant never mints a first-party token, nor the user's session
 * a resource token.
 */
export type Presenter = 'first-party' | { clientId: string }

/** Longer than any sign-in takes, so one that read the user just before its deletion is covered. */
const IN_FLIGHT_GRACE_MS = 3600 * 1000

/** KV accepts about one write a second to the same key. */
const KV_SAME_KEY_INTERVAL_MS = 1100

const SECOND = 1000
/**
 * How finely a session's last use (and so its idle limit) is written to D1: once in five
 * minutes. These writes are most of what D1, one writer per database, does at scale (one per
 * active session per period; docs/scaling.md), so the period sets how many users it carries.
 */
const LAST_USE_GRANULARITY_MS = 5 * 60 * SECOND
const periodOf = (ms: number) => Math.floor(ms / LAST_USE_GRANULARITY_MS)

/** Whether a revocation mark ("all sessions before `at`, but `keep`") covers the session. */
const revokedBy = (mark: RevocationMark | null, sessionId: string, session: LiveSession) =>
  mark !== null && (session.validFrom ?? session.createdAt) <= mark.at && mark.keep !== sessionId

export class SessionService {
  constructor(private readonly deps: SessionDeps) {}

  /** A new session (token family) and its first refresh token; every record is written first. */
  async start(
    user: { id: string; username: string },
    client: Client,
    amr: AuthMethod[],
    cfg: Config,
    idp?: string,
    /**
     * A third-party app's session: its grant, the id its authorization code reserved, and when
     * the user authenticated for it (before this session begins).
     */
    app?: {
      grant: GrantBinding
      sessionId: string
      authTime: number
      /** Lists the session in D1 once its KV records are written (the code exchange's batch). */
      list?: (entry: SessionEntry) => Promise<boolean>
    },
  ): Promise<{ sessionId: string; refreshToken: string }> {
    const createdAt = now()
    const sessionId = app?.sessionId ?? crypto.randomUUID()
    const refreshToken = generateRefreshToken({ sessionId, userId: user.id }, app !== undefined)
    const tokenId = await refreshTokenId(refreshToken, cfg.refreshTokenSecret)
    const session = {
      userId: user.id,
      username: user.username,
      createdAt,
      expiresAt: createdAt + cfg.sessionMaxAge * SECOND,
      amr,
      ...(idp === undefined ? {} : { idp }),
      ...(app === undefined ? {} : { grant: app.grant, authTime: app.authTime }),
    }
    const record = {
      userId: user.id,
      familyId: sessionId,
      createdAt,
      expiresAt: idleLimit(createdAt, session, cfg),
    }
    const entry: SessionEntry = {
      id: sessionId,
      userId: user.id,
      createdAt,
      lastUsedAt: createdAt,
      expiresAt: record.expiresAt,
      endsAt: session.expiresAt,
      grantId: app?.grant.id ?? null,
      ...client,
    }
    const records = () =>
      Promise.all([
        this.deps.sessions.putSession(sessionId, session),
        this.deps.sessions.putRefreshToken(tokenId, record, keepUntil(record, session, cfg)),
      ])
    const list = app?.list
    const listed = list
      ? await records().then(() => list(entry))
      : (await Promise.all([this.deps.index.add(entry), records()]))[0]
    if (!listed) {
      // The account was disabled before this session could be listed (D1 refused the row): the
      // records just written in KV end now, as a logout ends them, and nothing is returned.
      // Its token never left this request, so nobody holds it in the meantime.
      await this.endOne(user.id, sessionId, 'logout', cfg)
      throw accountDisabled()
    }
    return { sessionId, refreshToken }
  }

  /**
   * Judges a presented refresh token (see Standing). One bulk read: the token's record, its
   * successor's, and the session and user's revocation mark the token names.
   * Only when the successor exists (a retry, a race or reuse, never the common case) is a second
   * read needed: the successor's successor, whether the chain has moved on. A token of the older
   * shape names nobody, so its session and mark are read after its record.
   */
  async standing(token: string, cfg: Config, presenter: Presenter): Promise<Standing> {
    if (!isWellFormedRefreshToken(token)) return UNKNOWN
    if (isGrantToken(token) !== (presenter !== 'first-party')) return UNKNOWN
    const secret = cfg.refreshTokenSecret
    const successor = await successorOf(token, secret)
    const [tokenId, successorId] = await Promise.all([
      refreshTokenId(token, secret),
      refreshTokenId(successor, secret),
    ])
    const { sessions } = this.deps
    const owner = refreshTokenOwner(token)
    const view = await sessions.readChain(tokenId, successorId, owner)
    const { record, next } = view
    if (!record) return UNKNOWN
    // The names only chose what to read ahead; the record, found under the whole token, decides.
    if (owner && (owner.sessionId !== record.familyId || owner.userId !== record.userId)) {
      return UNKNOWN
    }
    const sessionId = record.familyId
    const afterNext = () => (next ? this.successorRecord(successor, secret) : null)
    const [session, mark, nextNext] = owner
      ? [view.session ?? null, view.mark ?? null, await afterNext()]
      : await Promise.all([
          sessions.getSession(sessionId),
          sessions.getRevocation(record.userId),
          afterNext(),
        ])
    const at = now()
    if (!session) return { kind: 'ended', byReuse: false }
    if (isEnded(session)) return { kind: 'ended', byReuse: session.reason === 'reuse' }
    // The prefix only said which kind to expect; the session record decides whose it is.
    const holder = session.grant?.clientId
    if (presenter === 'first-party' ? holder !== undefined : holder !== presenter.clientId) {
      return UNKNOWN
    }
    // SESSION_MAX_AGE is applied as configured now too, so lowering it shortens running
    // sessions (and every revocation mark, kept that long, still outlives what it ends).
    const pastMaxAge = session.createdAt + cfg.sessionMaxAge * SECOND <= at
    if (session.expiresAt <= at || pastMaxAge || revokedBy(mark, sessionId, session)) {
      return { kind: 'ended', byReuse: false }
    }
    const live: LiveToken = {
      userId: record.userId,
      username: session.username,
      sessionId,
      amr: session.amr ?? ['pwd'],
      ...(session.idp === undefined ? {} : { idp: session.idp }),
      authTime: session.authTime ?? session.createdAt,
      ...(session.grant === undefined ? {} : { grant: session.grant }),
      record,
      session,
      successor,
      successorId,
    }
    if (!next) return record.expiresAt > at ? { kind: 'current', token: live } : UNKNOWN
    if (!nextNext) return next.expiresAt > at ? { kind: 'repeat', token: live } : UNKNOWN
    // The chain has moved past this token: a replay, or reuse however old the token is.
    const inWindow = at - next.createdAt <= cfg.refreshReuseWindow * SECOND
    if (inWindow && next.expiresAt > at) return { kind: 'replay', token: live }
    return { kind: 'reused', userId: record.userId, sessionId }
  }

  /**
   * Exchanges the head of a chain: writes its successor's record, which is also what marks it
   * used. A location that has not seen that write yet derives the same successor and writes its
   * record again (same user and session, later times), so a stale read can neither fork the
   * chain nor erase that it moved on.
   */
  async extend(token: LiveToken, cfg: Config): Promise<void> {
    const at = now()
    const record = {
      userId: token.userId,
      familyId: token.sessionId,
      createdAt: at,
      expiresAt: idleLimit(at, token.session, cfg),
    }
    try {
      await this.deps.sessions.putRefreshToken(
        token.successorId,
        record,
        keepUntil(record, token.session, cfg),
      )
    } catch (err) {
      // Two first exchanges of one token at once (a double submit, two devices sharing a
      // token) write the successor's key within KV's one write a second. If the other's record
      // is there, the chain has moved exactly as this write would have moved it.
      if (!(err instanceof StorageError)) throw err
      const written = await this.deps.sessions.getRefreshToken(token.successorId)
      if (written?.familyId !== token.sessionId || written.userId !== token.userId) throw err
      return
    }
    // Last use for the sessions list, to the period: at most one D1 write a period per session
    // (D1 has one writer), by key and after the response. The token being exchanged was issued
    // at the previous use.
    if (periodOf(at) !== periodOf(token.record.createdAt)) {
      this.deps.defer(this.deps.index.touch(token.sessionId, at, record.expiresAt))
    }
  }

  /**
   * Ends one session: a tombstone over its record, which no refresh reads past and no write
   * replaces; then its row leaves the user's list. In that order, so a failure in between
   * leaves it listed (and a retry can end it again), never unlisted yet alive.
   */
  async endOne(userId: string, sessionId: string, reason: EndReason, cfg: Config): Promise<void> {
    const at = now()
    // Kept longer than anything of the session could still work.
    const keepUntil = at + cfg.sessionMaxAge * SECOND
    const write = () =>
      this.deps.sessions.endSession(sessionId, { userId, endedAt: at, reason }, keepUntil)
    try {
      await write()
    } catch (err) {
      // Two ends of one session at once (a double-clicked logout) write its key within KV's
      // one write a second; if the other's tombstone is there, the session has ended. A
      // session written a moment ago (an app's code replayed, or its grant removed, right
      // after the exchange) is still live: the end is tried once more after a second.
      if (!(err instanceof StorageError)) throw err
      const record = await this.deps.sessions.getSession(sessionId)
      if (!record || !isEnded(record)) {
        await this.deps.wait(KV_SAME_KEY_INTERVAL_MS)
        await write()
      }
    }
    await this.deps.index.remove(userId, sessionId)
  }

  /**
   * Ends a session by id if D1 lists it as the user's. Anyone else's, or one already ended,
   * is left alone and answers false, as an id that never existed does.
   */
  async endOwn(userId: string, sessionId: string, cfg: Config): Promise<boolean> {
    if (!(await this.deps.index.has(userId, sessionId))) return false
    await this.endOne(userId, sessionId, 'logout', cfg)
    return true
  }

  /**
   * Ends every session of the user but `keep` (if it is still running), with a constant number
   * of writes whatever their number. D1 decides, in one transaction that also orders it against
   * any concurrent end; KV, which every refresh reads, is then converged to D1's decision.
   */
  async endAll(userId: string, cfg: Config, keep?: string): Promise<void> {
    await this.deps.index.revokeAll(userId, now(), keep)
    await this.republish(userId, cfg)
  }

  /**
   * Ends every session D1 lists for a disabled account, and any it could still be starting: no
   * session may start after the disable (the index refuses it), so the revocation covers every
   * listed one whatever clock stamped it, then KV is converged as for endAll.
   */
  async endEveryListed(userId: string, cfg: Config): Promise<void> {
    await this.deps.index.revokeAll(userId, now(), undefined, true)
    await this.republish(userId, cfg)
  }

  /**
   * Copies D1's newest revocation to KV, where the last write wins. A concurrent end may land an
   * older one over ours, so read D1 again afterwards and, if it has moved on, write that too:
   * whichever request writes last has read D1 after every batch before it, so KV ends as D1 says.
   * Also the repair when an end answered 503 between its D1 and KV writes: it can only end what
   * D1 has already ended.
   */
  async republish(userId: string, cfg: Config): Promise<void> {
    const published = await this.deps.index.revocation(userId)
    if (!published) return
    await this.writeRevocation(userId, published, cfg)
    const newest = await this.deps.index.revocation(userId)
    if (newest && (newest.at !== published.at || newest.keep !== published.keep)) {
      await this.writeRevocation(userId, newest, cfg)
    }
  }

  /**
   * KV takes about one write a second per key, and two ends at once write this key within
   * milliseconds: a refused write is tried once more after a second, then fails the request.
   */
  private async writeRevocation(userId: string, r: Revocation, cfg: Config): Promise<void> {
    const write = () =>
      this.deps.sessions.putRevocation(
        userId,
        r.keep ? { at: r.at, keep: r.keep } : { at: r.at },
        // Every session it ends has reached its own end by then (an in-flight sign-in included).
        Math.min(r.at, now()) + cfg.sessionMaxAge * SECOND + IN_FLIGHT_GRACE_MS,
      )
    try {
      await write()
    } catch (err) {
      if (!(err instanceof StorageError)) throw err
      await this.deps.wait(KV_SAME_KEY_INTERVAL_MS)
      await write()
    }
  }

  /**
   * The user's sessions that may still refresh. D1's idle limits lag by up to one period (last
   * use is written once a period), so the list allows that much rather than hide a live session.
   */
  list(userId: string): Promise<SessionEntry[]> {
    return this.deps.index.list(userId, now() - LAST_USE_GRANULARITY_MS)
  }

  /**
   * Whether D1 still lists the session. D1 is strongly consistent, so this catches a session
   * ended elsewhere that this location's KV has not heard of yet; ending every other session
   * is worth the round trip.
   */
  isListed(userId: string, sessionId: string): Promise<boolean> {
    return this.deps.index.has(userId, sessionId)
  }

  /**
   * Refuses a caller whose session has ended: an access token outlives its session by up to its
   * lifetime, and a request that adds a way into the account (a passkey, two-factor) must not
   * land after a reset or a sign-out everywhere ended that session. One D1 read.
   */
  async requireListed(caller: { id: string; sessionId: string }): Promise<void> {
    if (!(await this.isListed(caller.id, caller.sessionId))) {
      throw new ApiError('invalid_token', 'This session has ended; sign in again')
    }
  }

  /**
   * Refuses a caller whose session did not sign in within `windowMs`: what an account with no
   * password offers instead of one, to confirm a change to its ways in. A session no longer
   * listed is invalid_token, as in requireListed.
   */
  async requireRecentSignIn(
    caller: { id: string; sessionId: string },
    windowMs: number,
  ): Promise<void> {
    const at = await this.deps.index.signedInAt(caller.id, caller.sessionId)
    if (at === null) throw new ApiError('invalid_token', 'This session has ended; sign in again')
    if (at < now() - windowMs) {
      throw new ApiError(
        'reauthentication_required',
        'Your account has no password: sign in again to confirm it is you, then retry within 10 minutes',
      )
    }
  }

  /** The record of the token that exchanging `token` issues, if it has been issued. */
  private async successorRecord(token: string, secret: string): Promise<RefreshRecord | null> {
    const id = await refreshTokenId(await successorOf(token, secret), secret)
    return this.deps.sessions.getRefreshToken(id)
  }
}

/** A token issued at `at` may be exchanged until one idle period later, within its session's end. */
const idleLimit = (at: number, session: LiveSession, cfg: Config): number =>
  Math.min(at + cfg.refreshTokenTtl * SECOND, session.expiresAt)

/**
 * A token's record is kept one idle period past its own limit (within the session's end): long
 * enough to answer a retry of it for as long as its successor can be used.
 */
const keepUntil = (record: RefreshRecord, session: LiveSession, cfg: Config): number =>
  Math.min(record.expiresAt + cfg.refreshTokenTtl * SECOND, session.expiresAt)
