// The auth flows (register, login, refresh, logout, whoami). Knows nothing of Hono or bindings.
import type { AuthUser, Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../http/errors'
import { log } from '../http/log'
import { isJwtShaped, mintAccessToken, verifyAccessToken } from '../auth/access-tokens'
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from '../auth/passwords'
import {
  generateRefreshToken,
  isWellFormedRefreshToken,
  refreshTokenId,
  successorOf,
} from '../auth/refresh-tokens'
import type { SessionIndex } from '../store/session-index'
import { type SessionStore, endedByRevocation } from '../store/sessions'
import type { LoginFailureStore, LoginFailures } from '../store/login-failures'
import type { UserRecord, UserStore } from '../store/users'
import { profileCache } from './profile-cache'
import { type SessionEnding, sessionEnding, sessionLifetime } from './session-ending'

export type Credentials = { username: string; password: string }
export type PublicUser = { id: string; username: string; createdAt: string }
export type TokenPair = {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
}

/** Where a login came from, as the sessions list shows it. */
export type Client = { userAgent: string | null; country: string | null }

/** Which sessions a logout ends: the token's own (the seed's), all but it, or all of them. */
export type LogoutScope = 'local' | 'others' | 'global'

export type AuthDeps = {
  users: UserStore
  sessions: SessionStore
  /** The per-user list of sessions in D1; never read on the refresh path. */
  index: SessionIndex
  loginFailures: LoginFailureStore
  /** Runs work after the response (waitUntil): bookkeeping the client need not wait for. */
  defer: (task: Promise<unknown>) => void
  /**
   * Lazy, so routes that need no secret (register) keep working when a secret is missing. It
   * rejects with a ConfigError before any flow writes, so a bad key never strands a session.
   */
  config: () => Promise<Config>
  requestId?: string
}

const minuteOf = (ms: number) => Math.floor(ms / 60_000)

/** The longest a username is locked after repeated failed logins. */
const MAX_LOGIN_LOCK_SECONDS = 15 * 60

const invalidCredentials = () =>
  new ApiError(401, 'invalid_credentials', 'The username or password is incorrect')
const invalidRefreshToken = () =>
  new ApiError(401, 'invalid_refresh_token', 'The refresh token is invalid, expired or revoked')

export class AuthService {
  private readonly ending: SessionEnding

  constructor(private readonly deps: AuthDeps) {
    this.ending = sessionEnding(deps)
  }

  async register({ username, password }: Credentials): Promise<PublicUser> {
    const user = {
      id: crypto.randomUUID(),
      username,
      passwordHash: await hashPassword(password),
      createdAt: new Date(now()).toISOString(),
    }
    if ((await this.deps.users.createUser(user)) === 'taken') {
      throw new ApiError(409, 'username_taken', 'That username is already registered')
    }
    this.event('user_registered', { userId: user.id })
    return { id: user.id, username: user.username, createdAt: user.createdAt }
  }

  async login({ username, password }: Credentials, client: Client): Promise<TokenPair> {
    const cfg = await this.deps.config()
    // Failures are counted per username whether or not it exists, so the backoff reveals nothing.
    const [failures, user] = await Promise.all([
      cfg.rateLimits ? this.deps.loginFailures.get(username) : null,
      this.deps.users.findUserByName(username),
    ])
    const lockedFor = failures ? Math.ceil((failures.lockedUntil - now()) / 1000) : 0
    if (lockedFor > 0) {
      this.event('login_throttled', { username, retryAfter: lockedFor })
      throw new ApiError(429, 'rate_limited', 'Too many failed logins; retry later', {
        retryAfter: lockedFor,
      })
    }
    // An unknown user still pays for one PBKDF2 run, so both failures take the same time.
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH)
    if (!user || !valid) {
      this.event('login_failed', { username, reason: user ? 'bad_password' : 'unknown_user' })
      if (cfg.rateLimits) await this.recordFailure(username, failures, cfg)
      throw invalidCredentials()
    }
    if (failures) await this.deps.loginFailures.clear(username)
    if (needsRehash(user.passwordHash)) {
      // Older parameters: redo the hash now that the password is known, after the response.
      this.deps.defer(
        hashPassword(password).then((hash) =>
          this.deps.users.updatePasswordHash(user.id, hash, user.passwordHash),
        ),
      )
    }
    return this.startSession(user, client, cfg)
  }

  /** A new session (token family) with its first refresh token. */
  private async startSession(user: UserRecord, client: Client, cfg: Config): Promise<TokenPair> {
    const createdAt = now()
    const sessionId = crypto.randomUUID()
    const refreshToken = generateRefreshToken()
    const tokenId = await refreshTokenId(refreshToken, cfg.refreshTokenSecret)
    const expiresAt = createdAt + cfg.refreshTokenTtl * 1000
    // Every record is written before anything is returned: no token without its session.
    await Promise.all([
      this.deps.index.add({
        id: sessionId,
        userId: user.id,
        createdAt,
        lastUsedAt: createdAt,
        expiresAt,
        ...client,
      }),
      this.deps.sessions.putSession(sessionId, {
        userId: user.id,
        username: user.username,
        createdAt,
        expiresAt: sessionExpiry(createdAt, cfg),
      }),
      this.deps.sessions.putRefreshToken(tokenId, {
        userId: user.id,
        familyId: sessionId,
        createdAt,
        expiresAt,
      }),
    ])
    this.event('login_succeeded', { userId: user.id, sessionId })
    return this.pair({ id: user.id, username: user.username, sessionId }, refreshToken, cfg)
  }

  /**
   * Exchanges a refresh token for a new pair. The successor is derived from the token, so every
   * use inside the reuse window returns the same one; a use after it revokes the whole family.
   */
  async refresh(token: string): Promise<TokenPair> {
    const cfg = await this.deps.config()
    if (!isWellFormedRefreshToken(token)) throw invalidRefreshToken()
    const tokenId = await refreshTokenId(token, cfg.refreshTokenSecret)
    const record = await this.deps.sessions.getRefreshToken(tokenId)
    const at = now()
    if (!record || record.expiresAt <= at) throw invalidRefreshToken()
    // Two reads by key, side by side: the cost is the same however many sessions the user has.
    const [session, revokedBefore] = await Promise.all([
      this.deps.sessions.getSession(record.familyId),
      this.deps.sessions.getRevokedBefore(record.userId),
    ])
    if (!session || endedByRevocation(session, revokedBefore)) throw invalidRefreshToken()
    const user = { id: record.userId, username: session.username, sessionId: record.familyId }

    if (record.usedAt !== undefined && at - record.usedAt > cfg.refreshReuseWindow * 1000) {
      await this.ending.endOne(record.userId, record.familyId)
      this.event('refresh_reuse_detected', { userId: user.id, sessionId: user.sessionId })
      throw invalidRefreshToken()
    }

    const successor = await successorOf(token, cfg.refreshTokenSecret)
    if (record.usedAt === undefined) {
      const successorId = await refreshTokenId(successor, cfg.refreshTokenSecret)
      // The successor is stored before the old token is marked used: a failure in between
      // leaves the old token usable, and a retry derives the same successor again.
      await this.deps.sessions.putRefreshToken(successorId, {
        userId: record.userId,
        familyId: record.familyId,
        createdAt: at,
        expiresAt: at + cfg.refreshTokenTtl * 1000,
      })
      await this.deps.sessions.putRefreshToken(tokenId, {
        ...record,
        usedAt: at,
        next: successorId,
      })
      if (session.expiresAt - at < cfg.refreshTokenTtl * 1000) {
        await this.deps.sessions.putSession(record.familyId, {
          ...session,
          expiresAt: sessionExpiry(at, cfg),
        })
      }
      // Last-used time for the sessions list, to the minute: at most one D1 write a minute per
      // session (D1 has one writer), by key and after the response. The token being exchanged
      // was issued at the previous use.
      if (minuteOf(at) !== minuteOf(record.createdAt)) {
        this.deps.defer(this.deps.index.touch(record.familyId, at, at + cfg.refreshTokenTtl * 1000))
      }
    }
    this.event('token_refreshed', { userId: user.id, sessionId: user.sessionId })
    return this.pair(user, successor, cfg)
  }

  /**
   * Ends the token's session (`local`), every other session of its user (`others`) or all of
   * them (`global`). Says nothing about whether the token existed. Only a live session may end
   * the others.
   */
  async logout(token: string, scope: LogoutScope = 'local'): Promise<void> {
    const cfg = await this.deps.config()
    if (!isWellFormedRefreshToken(token)) return
    const record = await this.deps.sessions.getRefreshToken(
      await refreshTokenId(token, cfg.refreshTokenSecret),
    )
    if (!record) return
    const { userId, familyId: sessionId } = record
    if (scope === 'local') {
      await this.ending.endOne(userId, sessionId)
    } else {
      const [session, revokedBefore] = await Promise.all([
        this.deps.sessions.getSession(sessionId),
        this.deps.sessions.getRevokedBefore(userId),
      ])
      if (!session || endedByRevocation(session, revokedBefore)) return
      await this.ending.endAll(userId, cfg, scope === 'others' ? sessionId : undefined)
    }
    this.event('logout', { userId, sessionId, scope })
  }

  /**
   * RFC 7009 revocation: ends the session of a refresh token, as logout does, or of a valid access
   * token (which itself stays valid until it expires). The two shapes cannot be confused, so the
   * token is recognised by its shape and `token_type_hint` needs no second lookup.
   */
  async revoke(token: string): Promise<void> {
    if (!isJwtShaped(token)) return this.logout(token)
    const cfg = await this.deps.config()
    let caller: AuthUser
    try {
      caller = await verifyAccessToken(token, cfg)
    } catch (err) {
      if (err instanceof ApiError) return // RFC 7009 §2.2: an invalid token is not an error
      throw err
    }
    await this.ending.endOne(caller.id, caller.sessionId)
    this.event('logout', { userId: caller.id, sessionId: caller.sessionId, via: 'access_token' })
  }

  /** The caller's public record, from the isolate's cache when it has it (see profile-cache.ts). */
  async whoami(caller: AuthUser): Promise<PublicUser> {
    const at = now()
    const cached = profileCache.get(caller.id, at)
    if (cached) return cached
    const user = await this.deps.users.findUserById(caller.id)
    if (!user) throw new ApiError(401, 'invalid_token', 'The access token belongs to no user')
    const profile = { id: user.id, username: user.username, createdAt: user.createdAt }
    profileCache.set(profile, at, (await this.deps.config()).accessTokenTtl * 1000)
    return profile
  }

  /**
   * After `loginMaxFailures` consecutive failures, each further one locks the username for twice
   * as long as the last: 1 s, 2 s, 4 s, … up to 15 minutes.
   */
  private async recordFailure(username: string, previous: LoginFailures | null, cfg: Config) {
    const count = (previous?.count ?? 0) + 1
    const over = count - cfg.loginMaxFailures
    const lockSeconds = over >= 0 ? Math.min(2 ** over, MAX_LOGIN_LOCK_SECONDS) : 0
    await this.deps.loginFailures.put(
      username,
      { count, lockedUntil: now() + lockSeconds * 1000 },
      lockSeconds,
    )
  }

  private async pair(user: AuthUser, refreshToken: string, cfg: Config): Promise<TokenPair> {
    const access = await mintAccessToken(user, cfg)
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
    }
  }

  private event(name: string, fields: Record<string, unknown>): void {
    log.info(name, { requestId: this.deps.requestId, ...fields })
  }
}

/**
 * A session record outlives any token it holds: it is written for two token lifetimes and
 * extended only when less than one remains, so an active session costs one extra write per TTL.
 */
const sessionExpiry = (from: number, cfg: Config): number => from + sessionLifetime(cfg)
