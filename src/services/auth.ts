// The auth flows (register, login, refresh, logout, revoke). Knows nothing of Hono or bindings.
import type { AuthUser, Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { isJwtShaped, mintAccessToken, verifyAccessToken } from '../auth/access-tokens'
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from '../auth/passwords'
import type { LoginFailureStore } from '../store/login-failures'
import type { UserStore } from '../store/users'
import type { Credentials, LogoutScope, PublicUser, TokenPair } from '../schemas'
import { loginBackoff } from './login-backoff'
import { type Client, type SessionDeps, SessionService, type Standing } from './sessions'

export type AuthDeps = SessionDeps & {
  users: UserStore
  loginFailures: LoginFailureStore
  /**
   * Lazy, so routes that need no secret (register) keep working when a secret is missing. It
   * rejects with a ConfigError before any flow writes, so a bad key never strands a session.
   */
  config: () => Promise<Config>
  requestId?: string
}

const invalidCredentials = () =>
  new ApiError('invalid_credentials', 'The username or password is incorrect')
const invalidRefreshToken = () =>
  new ApiError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked')
const refreshTokenReused = () =>
  new ApiError(
    'refresh_token_reused',
    'The refresh token was used after its session had moved on, so the session was ended to protect the account; sign in again',
  )

/**
 * The username as a log line names it: only an account's own. A name that matches no account is
 * often a password typed into the wrong field, so it is not written.
 */
const loggedName = (user: { id: string } | null, username: string) =>
  user ? { userId: user.id, username } : {}

export class AuthService {
  private readonly sessions: SessionService

  constructor(private readonly deps: AuthDeps) {
    this.sessions = new SessionService(deps)
  }

  async register({ username, password }: Credentials): Promise<PublicUser> {
    const user = {
      id: crypto.randomUUID(),
      username,
      passwordHash: await hashPassword(password),
      createdAt: new Date(now()).toISOString(),
    }
    if ((await this.deps.users.createUser(user)) === 'taken') {
      throw new ApiError('username_taken', 'That username is already registered')
    }
    this.event('user_registered', { userId: user.id })
    return { id: user.id, username: user.username, createdAt: user.createdAt }
  }

  async login({ username, password }: Credentials, client: Client): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const backoff = loginBackoff(this.deps.loginFailures, cfg)
    const [failures, user] = await Promise.all([
      backoff.read(username),
      this.deps.users.findUserByName(username),
    ])
    const lockedFor = backoff.lockedFor(failures)
    if (lockedFor > 0) {
      this.event('login_throttled', { ...loggedName(user, username), retryAfter: lockedFor })
      throw new ApiError('rate_limited', 'Too many failed logins; retry later', {
        retryAfter: lockedFor,
      })
    }
    // An unknown user still pays for one PBKDF2 run, so both failures take the same time.
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH)
    if (!user || !valid) {
      this.event('login_failed', {
        ...loggedName(user, username),
        reason: user ? 'bad_password' : 'unknown_user',
      })
      await backoff.fail(username, failures)
      throw invalidCredentials()
    }
    await backoff.succeed(username, failures)
    if (needsRehash(user.passwordHash)) {
      // Older parameters: redo the hash now that the password is known, after the response.
      this.deps.defer(
        hashPassword(password).then((hash) =>
          this.deps.users.updatePasswordHash(user.id, hash, user.passwordHash),
        ),
      )
    }
    const { sessionId, refreshToken } = await this.sessions.start(user, client, cfg)
    this.event('login_succeeded', { userId: user.id, sessionId })
    return this.pair({ id: user.id, username: user.username, sessionId }, refreshToken, cfg)
  }

  /**
   * Exchanges a refresh token for a new pair. A token whose successor has never been used gets
   * that same successor again, at any time; one the chain has moved past is reuse, outside the
   * reuse window, and ends its session (see SessionService.standing).
   */
  async refresh(token: string): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg)
    switch (standing.kind) {
      case 'unknown':
        throw invalidRefreshToken()
      case 'ended':
        throw standing.byReuse ? refreshTokenReused() : invalidRefreshToken()
      case 'reused':
        await this.endForReuse(standing, cfg, 'refresh')
        throw refreshTokenReused()
    }
    const { token: live } = standing
    if (standing.kind === 'current') await this.sessions.extend(live, cfg)
    this.event('token_refreshed', {
      userId: live.userId,
      sessionId: live.sessionId,
      repeat: standing.kind === 'current' ? undefined : standing.kind,
    })
    const user = { id: live.userId, username: live.username, sessionId: live.sessionId }
    return this.pair(user, live.successor, cfg)
  }

  /**
   * Whose session a refresh token stands for, without spending it: the hosted pages know their
   * visitor by the refresh cookie. A token the chain has moved past ends its session, as on
   * refresh; an ended or unknown one stands for nobody.
   */
  async holder(token: string): Promise<AuthUser | null> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg)
    if (standing.kind === 'reused') await this.endForReuse(standing, cfg, 'page')
    if (standing.kind !== 'current' && standing.kind !== 'repeat' && standing.kind !== 'replay') {
      return null
    }
    const { userId, username, sessionId } = standing.token
    return { id: userId, username, sessionId }
  }

  /**
   * Ends the token's session (`local`), every other session of its user (`others`) or all of
   * them (`global`). Says nothing about whether the token existed. A token the chain has moved
   * past is reuse, as on refresh: it ends its own session and nothing else. Only the head of a
   * chain (or a token whose successor was never used) may end other sessions.
   */
  async logout(token: string, scope: LogoutScope = 'local'): Promise<void> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg)
    if (standing.kind === 'reused') return this.endForReuse(standing, cfg, 'logout')
    if (standing.kind === 'unknown' || standing.kind === 'ended') return
    const { userId, sessionId } = standing.token
    if (scope === 'local') {
      await this.sessions.endOne(userId, sessionId, 'logout', cfg)
    } else {
      // A replay inside the window is not the chain's head; and D1 (consistent) must still list
      // the session, so a location whose KV has not yet heard of its end cannot act for it.
      const current =
        standing.kind !== 'replay' && (await this.sessions.isListed(userId, sessionId))
      if (!current) {
        // Ends nothing of its own accord. If an earlier end answered 503 between its D1 and KV
        // writes, this session may be one it ended: copying D1's decision to KV completes it.
        await this.sessions.republish(userId, cfg)
        this.event('logout_refused', { userId, sessionId, scope, reason: 'not_current' })
        return
      }
      await this.sessions.endAll(userId, cfg, scope === 'others' ? sessionId : undefined)
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
    if (await this.sessions.endOwn(caller.id, caller.sessionId, cfg)) {
      this.event('logout', { userId: caller.id, sessionId: caller.sessionId, via: 'access_token' })
    }
  }

  /** A stale token was presented after its chain moved on: its session ends, and only that one. */
  private async endForReuse(
    { userId, sessionId }: Extract<Standing, { kind: 'reused' }>,
    cfg: Config,
    via: 'refresh' | 'logout' | 'page',
  ): Promise<void> {
    await this.sessions.endOne(userId, sessionId, 'reuse', cfg)
    this.event('refresh_reuse_detected', { userId, sessionId, via })
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
