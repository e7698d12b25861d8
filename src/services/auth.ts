// The auth flows (register, login, refresh, logout, revoke). Knows nothing of Hono or bindings.
import type { AuthMethod, AuthUser, Config, RelyingParty } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { isJwtShaped, mintAccessToken, verifyAccessToken } from '../auth/access-tokens'
import { issueCeremony, openCeremony } from '../auth/ceremony-tokens'
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  passwordBinding,
  verifyPassword,
} from '../auth/passwords'
import type { AuthenticationResponseJSON } from '../auth/webauthn/authentication'
import type { RegistrationResponseJSON } from '../auth/webauthn/registration'
import type { Language } from '../i18n/languages'
import type { MailLink } from '../mail/mailer'
import type { CeremonyUses } from '../store/ceremony-uses'
import type { LoginFailureStore } from '../store/login-failures'
import type { UserStore } from '../store/users'
import type {
  LoginCredentials,
  LogoutScope,
  MfaLogin,
  PublicUser,
  Registration,
  TokenPair,
} from '../schemas'
import { EmailService } from './email'
import { loginBackoff } from './login-backoff'
import {
  type Client,
  type SessionDeps,
  SessionService,
  type Standing,
  accountDisabled,
  invalidRefreshToken,
} from './sessions'
import type { RecoveryDeps } from './recovery'
import { Notices } from './notices'
import { type PasskeyDeps, PasskeyService } from './passkeys'
import { type TotpDeps, TotpService, invalidMfaCode } from './totp'

export type AuthDeps = SessionDeps &
  TotpDeps &
  PasskeyDeps &
  RecoveryDeps & {
    users: UserStore
    ceremonies: CeremonyUses
    loginFailures: LoginFailureStore
    /**
     * Lazy, so routes that need no secret (register) keep working when a secret is missing. It
     * rejects with a ConfigError before any flow writes, so a bad key never strands a session.
     */
    config: () => Promise<Config>
    requestId?: string
    /**
     * The network the request came from (its /24 or /48, client-network.ts): the login backoff
     * counts failures per username and network, so a stranger's do not lock the owner out.
     */
    network: string
  }

/** What proved a sign-in without the password (signInProven). */
export type FirstFactor = { method: 'fed'; idp: string } | { method: 'email' }

const invalidCredentials = () =>
  new ApiError('invalid_credentials', 'The username or password is incorrect')
const invalidMfaToken = () =>
  new ApiError(
    'invalid_mfa_token',
    'The sign-in has expired, was completed, or had too many wrong codes; sign in again',
  )
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

/** How long the second step of a sign-in may take, and how many wrong codes it may try. */
const MFA_TOKEN_TTL_MS = 5 * 60 * 1000
const MFA_MAX_ATTEMPTS = 5

export class AuthService {
  private readonly sessions: SessionService
  private readonly totp: TotpService
  private readonly passkeys: PasskeyService

  constructor(private readonly deps: AuthDeps) {
    this.sessions = new SessionService(deps)
    this.totp = new TotpService(deps)
    this.passkeys = new PasskeyService(deps)
  }

  /**
   * Creates an account; with an address, also mails a link to confirm it (refused with 503
   * before anything is created when email is not set up). `language` is the one its email is
   * written in from then on (the sign-up's: the page's, or the API request's Accept-Language).
   */
  async register(
    { username, password, email }: Registration,
    link?: MailLink,
    language?: Language,
  ): Promise<PublicUser> {
    if (email !== undefined) this.deps.mailer()
    const user = {
      id: crypto.randomUUID(),
      username,
      passwordHash: await hashPassword(password),
      createdAt: new Date(now()).toISOString(),
      language: language ?? null,
    }
    if ((await this.deps.users.createUser(user)) === 'taken') {
      throw new ApiError('username_taken', 'That username is already registered')
    }
    this.event('user_registered', { userId: user.id })
    if (email !== undefined && link) await this.confirmAtSignUp(user, email, link)
    return { id: user.id, username: user.username, createdAt: user.createdAt }
  }

  /** The account exists either way: an address over its hourly quota just gets no link now. */
  private async confirmAtSignUp(
    account: { id: string; username: string; passwordHash: string },
    email: string,
    link: MailLink,
  ): Promise<void> {
    try {
      await new EmailService(this.deps).requestVerification(account, email, link)
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'rate_limited')) throw err
    }
  }

  async login({ username: login, password }: LoginCredentials, client: Client): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const backoff = loginBackoff(this.deps.loginFailures, cfg, this.deps.network)
    // An address is first resolved to its account, so its failures count with the username's:
    // one budget per account, however it is named. A username needs no lookup to know its key.
    const byEmail = login.includes('@')
    const found = byEmail ? await this.deps.users.findForSignIn(login) : undefined
    const username = found?.username ?? login
    const [failures, user] = await Promise.all([
      backoff.read(username),
      found !== undefined ? found : this.deps.users.findUserByName(login),
    ])
    const lockedFor = backoff.lockedFor(failures)
    if (lockedFor > 0) {
      // Refused before the password is checked: a right one here is told nothing.
      this.event('login_throttled', {
        ...loggedName(user, username),
        retryAfter: lockedFor,
        lock: backoff.lockedBy(failures),
      })
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
      if (await backoff.fail(username, failures)) this.ceilingReached(user, username)
      throw invalidCredentials()
    }
    let passwordHash = user.passwordHash
    if (needsRehash(passwordHash)) {
      // Older parameters: redo the hash now that the password is known. After the response
      // usually; but an mfaToken is bound to the hash, so with TOTP on it is done first (rare:
      // once per user after the parameters change).
      const upgrade = hashPassword(password).then(async (hash) => {
        // Lost to a concurrent change: the hash checked is no longer stored, and an mfaToken
        // bound to it fails closed at the second step.
        const written = await this.deps.users.updatePasswordHash(user.id, hash, user.passwordHash)
        return written ? hash : user.passwordHash
      })
      if (user.totpEnabled) passwordHash = await upgrade
      else this.deps.defer(upgrade)
    }
    if (user.totpEnabled) {
      // The password was right, but the run of failures goes on until the second factor is too:
      // wrong codes count in the same runs, and a right password does not reset them.
      await this.requireSecondStep(user.id, passwordHash)
    }
    await backoff.succeed(username, failures)
    return this.startSession(user, client, ['pwd'], cfg)
  }

  /**
   * Signs in an account whose owner another way proved: an identity at provider `idp`
   * (services/federation.ts checked the provider's answer), or a code mailed to the account's
   * address (services/email-codes.ts). The same pair as /login, amr `fed` or `email`, and the
   * same second step when two-factor is on.
   */
  async signInProven(userId: string, proof: FirstFactor, client: Client): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const [user, totp] = await Promise.all([
      this.deps.users.findUserById(userId),
      this.deps.totp.get(userId),
    ])
    if (!user) throw invalidCredentials()
    if (totp?.enabledAt != null) await this.requireSecondStep(user.id, user.passwordHash, proof)
    const idp = proof.method === 'fed' ? proof.idp : undefined
    return this.startSession(user, client, [proof.method], cfg, proof.method, idp)
  }

  /**
   * The first step was right and two-factor is on: an mfaToken for POST /login/mfa, bound to the
   * password hash (a change of password between the steps voids it) and to how the first step
   * signed in.
   */
  private async requireSecondStep(
    userId: string,
    passwordHash: string,
    proof?: FirstFactor,
  ): Promise<never> {
    const { token } = await issueCeremony(await this.deps.mfaKeys(), {
      kind: 'mfa',
      userId,
      expiresAt: now() + MFA_TOKEN_TTL_MS,
      bind: await passwordBinding(passwordHash),
      ...(proof && { first: proof.method }),
      ...(proof?.method === 'fed' && { idp: proof.idp }),
    })
    this.event('mfa_required', { userId, first: proof?.method ?? 'pwd' })
    throw new ApiError(
      'mfa_required',
      proof === undefined
        ? 'The password is right; finish signing in with a code at POST /login/mfa'
        : 'The first step is done; finish signing in with a code at POST /login/mfa',
      { mfaToken: token },
    )
  }

  /**
   * The second step of a sign-in with TOTP on: the mfaToken from the first, and a TOTP or
   * recovery code. The token allows MFA_MAX_ATTEMPTS codes and one success, in its 5 minutes.
   */
  async completeMfa({ mfaToken, code }: MfaLogin, client: Client): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const ceremony = await openCeremony(await this.deps.mfaKeys(), 'mfa', mfaToken)
    if (!ceremony?.userId || ceremony.expiresAt <= now()) throw invalidMfaToken()
    const user = await this.deps.users.findUserById(ceremony.userId)
    // The password changed (or the account went) since: the first step no longer stands.
    if (!user || (await passwordBinding(user.passwordHash)) !== ceremony.bind) {
      throw invalidMfaToken()
    }
    // The same runs as the password step, for the network this step comes from.
    const backoff = loginBackoff(this.deps.loginFailures, cfg, this.deps.network)
    const failures = await backoff.read(user.username)
    const lockedFor = backoff.lockedFor(failures)
    if (lockedFor > 0) {
      this.event('login_throttled', {
        userId: user.id,
        retryAfter: lockedFor,
        lock: backoff.lockedBy(failures),
        step: 'mfa',
      })
      throw new ApiError('rate_limited', 'Too many failed sign-ins; retry later', {
        retryAfter: lockedFor,
      })
    }
    const { nonce, expiresAt } = ceremony
    if (!(await this.deps.ceremonies.attempt(nonce, expiresAt, MFA_MAX_ATTEMPTS, now()))) {
      this.event('mfa_token_refused', { userId: user.id, reason: 'used_or_exhausted' })
      throw invalidMfaToken()
    }
    const factor = await this.totp.spendCode(user.id, code)
    if (!factor) {
      this.event('login_failed', { userId: user.id, reason: 'bad_mfa_code' })
      if (await backoff.fail(user.username, failures)) this.ceilingReached(user, user.username)
      throw invalidMfaCode()
    }
    // Of two requests with right codes, one finishes the sign-in; the other is a used token.
    if (!(await this.deps.ceremonies.finish(nonce))) throw invalidMfaToken()
    await backoff.succeed(user.username, failures)
    const first: AuthMethod = ceremony.first ?? 'pwd'
    return this.startSession(user, client, [first, 'otp'], cfg, factor, ceremony.idp)
  }

  /**
   * Signs in with a passkey: no username, no password, no second step (a passkey with user
   * verification is two factors already). The same pair as /login.
   */
  async passkeySignIn(
    response: AuthenticationResponseJSON,
    rp: RelyingParty,
    client: Client,
  ): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const { user, amr } = await this.passkeys.signIn(response, rp)
    return this.startSession(user, client, amr, cfg, 'passkey')
  }

  /**
   * Signs up with a passkey and no password (PasskeyService.signUp creates the account with the
   * passkey), and signs the new account in: the same pair as /login, amr `hwk` or `swk`.
   */
  async passkeySignUp(
    response: RegistrationResponseJSON,
    name: string | undefined,
    rp: RelyingParty,
    client: Client,
  ): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const { user, amr } = await this.passkeys.signUp(response, name, rp)
    return this.startSession(user, client, amr, cfg, 'passkey_signup')
  }

  private async startSession(
    user: { id: string; username: string; disabledAt?: number | null },
    client: Client,
    amr: AuthMethod[],
    cfg: Config,
    method?: string,
    idp?: string,
  ): Promise<TokenPair> {
    // Only now, with every factor proven: a wrong password on a disabled account answers as on
    // any other. SessionService.start refuses it again, in D1, should the disable land meanwhile.
    if (user.disabledAt != null) {
      this.event('login_failed', { userId: user.id, reason: 'account_disabled', method, amr })
      throw accountDisabled()
    }
    const { sessionId, refreshToken } = await this.sessions
      .start(user, client, amr, cfg, idp)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'account_disabled') {
          this.event('login_failed', { userId: user.id, reason: 'account_disabled', method, amr })
        }
        throw err
      })
    this.event('login_succeeded', { userId: user.id, sessionId, amr, method, idp })
    const session = { id: user.id, username: user.username, sessionId, amr }
    return this.pair(idp === undefined ? session : { ...session, idp }, refreshToken, cfg)
  }

  /**
   * Exchanges a refresh token for a new pair. A token whose successor has never been used gets
   * that same successor again, at any time; one the chain has moved past is reuse, outside the
   * reuse window, and ends its session (see SessionService.standing).
   */
  async refresh(token: string): Promise<TokenPair> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg, 'first-party')
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
    const user = {
      id: live.userId,
      username: live.username,
      sessionId: live.sessionId,
      amr: live.amr,
      ...(live.idp === undefined ? {} : { idp: live.idp }),
    }
    return this.pair(user, live.successor, cfg)
  }

  /**
   * Whose session a refresh token stands for, without spending it: the hosted pages know their
   * visitor by the refresh cookie. A token the chain has moved past ends its session, as on
   * refresh; an ended or unknown one stands for nobody.
   */
  async holder(token: string): Promise<(AuthUser & { authTime: number }) | null> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg, 'first-party')
    if (standing.kind === 'reused') await this.endForReuse(standing, cfg, 'page')
    if (standing.kind !== 'current' && standing.kind !== 'repeat' && standing.kind !== 'replay') {
      return null
    }
    const { userId, username, sessionId, amr, idp, authTime } = standing.token
    return { id: userId, username, sessionId, amr, authTime, ...(idp === undefined ? {} : { idp }) }
  }

  /**
   * Ends the token's session (`local`), every other session of its user (`others`) or all of
   * them (`global`). Says nothing about whether the token existed. A token the chain has moved
   * past is reuse, as on refresh: it ends its own session and nothing else. Only the head of a
   * chain (or a token whose successor was never used) may end other sessions.
   */
  async logout(token: string, scope: LogoutScope = 'local'): Promise<void> {
    const cfg = await this.deps.config()
    const standing = await this.sessions.standing(token, cfg, 'first-party')
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
    new Notices(this.deps).send(userId, 'session_ended_for_reuse')
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

  /**
   * A username's failures from every network together reached the ceiling no one network can:
   * a distributed attack, and the name is now locked for everyone, its owner too.
   */
  private ceilingReached(user: { id: string } | null, username: string): void {
    log.warn('login_ceiling_reached', {
      requestId: this.deps.requestId,
      ...loggedName(user, username),
    })
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}
