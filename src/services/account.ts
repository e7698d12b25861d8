// What a signed-in user does with their own account: read it, list and end sessions, change the
// password, delete the account. Knows nothing of Hono or bindings.
import type { AuthUser, RelyingParty } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { hashPassword, verifyPassword } from '../auth/passwords'
import type { UserRecord } from '../store/users'
import type { AuthDeps } from './auth'
import type { MailLink } from '../mail/mailer'
import { loginBackoff } from './login-backoff'
import { profileCache } from './profile-cache'
import type { PublicUser, SessionView } from '../schemas'
import { SessionService } from './sessions'
import { describeDevice, describeLocation } from './device'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'
import { EmailService } from './email'
import { PasskeyService } from './passkeys'
import { Notices } from './notices'
import { passwordChangedConcurrently } from './recovery'
import { TotpService, invalidMfaCode } from './totp'

const iso = (ms: number) => new Date(ms).toISOString()

/** How recent a sign-in confirms a change for an account with no password. */
export const REAUTHENTICATION_WINDOW_MS = 10 * 60 * 1000

export class AccountService {
  private readonly sessions: SessionService
  private readonly totp: TotpService
  private readonly passkeys: PasskeyService

  constructor(private readonly deps: AuthDeps) {
    this.sessions = new SessionService(deps)
    this.totp = new TotpService(deps)
    this.passkeys = new PasskeyService(deps)
  }

  /** The caller's public record, from the isolate's cache when it has it (see profile-cache.ts). */
  async whoami(caller: AuthUser): Promise<PublicUser> {
    const at = now()
    const cached = profileCache.get(caller.id, at)
    if (cached) return cached
    const user = await this.deps.users.findUserById(caller.id)
    if (!user) throw new ApiError('invalid_token', 'The access token belongs to no user')
    const profile = { id: user.id, username: user.username, createdAt: user.createdAt }
    profileCache.set(profile, at, (await this.deps.config()).accessTokenTtl * 1000)
    return profile
  }

  /** The caller's sessions, devices and places named in `lang` (the API's: English). */
  async listSessions(caller: AuthUser, lang: Language = DEFAULT_LANGUAGE): Promise<SessionView[]> {
    const entries = await this.sessions.list(caller.id)
    return entries.map((entry) => ({
      id: entry.id,
      createdAt: iso(entry.createdAt),
      lastUsedAt: iso(entry.lastUsedAt),
      idleExpiresAt: iso(Math.min(entry.expiresAt, entry.endsAt)),
      expiresAt: iso(entry.endsAt),
      // Read at listing time, not stored: a better parser names old sessions too.
      device: describeDevice(entry.userAgent, lang),
      location: describeLocation(entry.city, entry.country, lang),
      userAgent: entry.userAgent,
      country: entry.country,
      current: entry.id === caller.sessionId,
    }))
  }

  /** Ends one of the caller's own sessions. Anyone else's id is "not found", so ids cannot be probed. */
  async endSession(caller: AuthUser, sessionId: string): Promise<void> {
    const cfg = await this.deps.config()
    if (!(await this.sessions.endOwn(caller.id, sessionId, cfg))) {
      throw new ApiError('session_not_found', 'You have no such session')
    }
    this.event('session_ended', { userId: caller.id, sessionId })
  }

  /** Re-hashes the password and ends every other session; the caller's own stays signed in. */
  async changePassword(
    caller: AuthUser,
    { currentPassword, newPassword }: { currentPassword?: string; newPassword: string },
  ): Promise<void> {
    const cfg = await this.deps.config()
    const user = await this.userOf(caller)
    // An account with no password sets its first one here, after a recent sign-in.
    await this.confirm(user, caller, currentPassword)
    // Written only over the hash just checked: of two changes (or a change and a reset) that
    // checked the same one, the first write wins and the other is told so, changing nothing.
    const hash = await hashPassword(newPassword)
    if (!(await this.deps.users.updatePasswordHash(user.id, hash, user.passwordHash))) {
      this.event('password_change_refused', {
        userId: user.id,
        sessionId: caller.sessionId,
        reason: 'changed_concurrently',
      })
      throw passwordChangedConcurrently()
    }
    // Links mailed before the change must not undo it: a reset link, or an address link that
    // whoever knew the old password asked for (it would make their address the way back in).
    await this.deps.emailTokens.revoke(user.id, 'reset_password')
    await this.deps.emailTokens.revoke(user.id, 'verify_email')
    // The caller's session is kept only if it is still running (endAll checks, in D1): an access
    // token outlives its session by up to its TTL, and keeping an ended session would revive it.
    await this.sessions.endAll(user.id, cfg, caller.sessionId)
    this.event('password_changed', { userId: user.id, sessionId: caller.sessionId })
    new Notices(this.deps).send(user.id, 'password_changed')
  }

  /**
   * Deletes the account and ends every session, for good; the username is free again afterwards.
   * D1 deletes the user and records the end in one transaction, then KV is told. A retry after a
   * failure in between finds the account gone and completes the end (so it answers 204 again).
   */
  async deleteAccount(caller: AuthUser, password: string | undefined): Promise<void> {
    const cfg = await this.deps.config()
    const user = await this.deps.users.findUserById(caller.id)
    if (user) {
      // A session the owner ended must not delete the account, whatever it knows.
      await this.sessions.requireListed(caller)
      await this.confirm(user, caller, password)
      await this.deps.users.deleteUser(user.id)
      profileCache.forget(user.id)
      this.event('account_deleted', { userId: user.id })
    }
    // Forever: a sign-in that read the user just before the delete cannot outlive it.
    await this.sessions.republish(caller.id, cfg)
  }

  /**
   * Confirms the caller may change the account's ways in by another flow (connecting a
   * provider): the password, or for an account with none a sign-in in the last 10 minutes.
   */
  async confirmChange(caller: AuthUser, password: string | undefined): Promise<void> {
    await this.confirm(await this.userOf(caller), caller, password)
  }

  /** What the account page shows of sign-in security: passkeys, and two-factor's state. */
  async security(caller: AuthUser) {
    const [passkeys, totp, user] = await Promise.all([
      this.passkeys.list(caller),
      this.totp.status(caller.id),
      this.deps.users.findUserById(caller.id),
    ])
    return { passkeys, ...totp, hasPassword: !!user && user.passwordHash !== '' }
  }

  /** Mails a verification link to `email`, after the password (the address is a way back in). */
  async requestEmail(
    caller: AuthUser,
    { email, password }: { email: string; password?: string },
    link: MailLink,
  ) {
    const user = await this.userOf(caller)
    await this.confirm(user, caller, password)
    // The link is bound to the password just checked: a change of password ends it, even one
    // that races this request.
    return new EmailService(this.deps).requestVerification(
      { ...caller, passwordHash: user.passwordHash },
      email,
      link,
    )
  }

  /** Options to register a passkey, after the password: an access token alone cannot add one. */
  async passkeyOptions(caller: AuthUser, password: string | undefined, rp: RelyingParty) {
    await this.confirm(await this.userOf(caller), caller, password)
    return this.passkeys.registrationOptions(caller, rp)
  }

  /** Starts a TOTP enrolment, after the password: `issuer` names the service in the app. */
  async enrolTotp(caller: AuthUser, password: string | undefined, issuer: string) {
    await this.confirm(await this.userOf(caller), caller, password)
    return this.totp.enrol(caller, issuer)
  }

  /** Confirms the pending enrolment with a code: TOTP is on; the recovery codes, shown once. */
  confirmTotp(caller: AuthUser, code: string) {
    return this.totp.confirm(caller, code)
  }

  /**
   * Turns TOTP off, given a current code (TOTP or recovery) or the password; both if both are
   * sent. A pending enrolment has no codes yet: only the password cancels it.
   */
  async disableTotp(caller: AuthUser, proof: { code?: string; password?: string }) {
    const user = await this.userOf(caller)
    // With no password, an account confirms by a recent sign-in, or a code.
    if (proof.code === undefined || proof.password !== undefined) {
      await this.confirm(user, caller, proof.password)
    }
    const { totp } = await this.totp.status(user.id)
    if (totp === 'off' || (totp === 'pending' && proof.code !== undefined)) throw notOn()
    if (proof.code !== undefined && !(await this.totp.spendCode(user.id, proof.code))) {
      throw invalidMfaCode()
    }
    await this.totp.disable(caller)
  }

  /** The pending enrolment's QR data again (the account page after a wrong first code). */
  pendingTotp(caller: AuthUser, issuer: string) {
    return this.totp.pending(caller, issuer)
  }

  /**
   * The caller's record, for an action that changes the account's ways in (its password, address,
   * two-factor, passkeys, the account itself): 401 invalid_token when the account is gone, or when
   * the caller's session has ended. An access token outlives its session by up to its lifetime,
   * and a session the owner ended (signing out everywhere, a reset) must not act afterwards.
   */
  private async userOf(caller: AuthUser): Promise<UserRecord> {
    const [user] = await Promise.all([
      this.deps.users.findUserById(caller.id),
      this.sessions.requireListed(caller),
    ])
    if (!user) throw new ApiError('invalid_token', 'The access token belongs to no user')
    return user
  }

  /**
   * What confirms a change to the account's ways in: its password; or, for an account that has
   * none (it signed up with a provider or a passkey), a sign-in within the last 10 minutes, so a
   * stolen session cannot do it later on. 401 either way, with nothing changed.
   */
  private async confirm(
    user: UserRecord,
    caller: AuthUser,
    password: string | undefined,
  ): Promise<void> {
    if (user.passwordHash !== '') {
      if (password === undefined) {
        throw new ApiError('invalid_credentials', 'Confirm with your password')
      }
      return this.checkPassword(user, password)
    }
    if (password !== undefined) {
      throw new ApiError('invalid_credentials', 'Your account has no password: leave it out')
    }
    await this.sessions.requireRecentSignIn(caller, REAUTHENTICATION_WINDOW_MS)
  }

  /**
   * 401 invalid_credentials for a wrong password, with nothing changed. A guess here is a login
   * attempt too: it counts in the login backoff (per username and network, under the
   * per-username ceiling), and is refused while either is locked.
   */
  private async checkPassword(user: UserRecord, password: string): Promise<void> {
    const backoff = loginBackoff(
      this.deps.loginFailures,
      await this.deps.config(),
      this.deps.network,
    )
    const failures = await backoff.read(user.username)
    const lockedFor = backoff.lockedFor(failures)
    if (lockedFor > 0) {
      this.event('password_check_throttled', { userId: user.id, retryAfter: lockedFor })
      throw new ApiError('rate_limited', 'Too many failed password checks; retry later', {
        retryAfter: lockedFor,
      })
    }
    if (!(await verifyPassword(password, user.passwordHash))) {
      this.event('password_check_failed', { userId: user.id })
      await backoff.fail(user.username, failures)
      throw new ApiError('invalid_credentials', 'The password is incorrect')
    }
    await backoff.succeed(user.username, failures)
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}

const notOn = () => new ApiError('totp_not_enrolled', 'Two-factor authentication is not on')
