// Getting back into an account by email: a forgotten-password request mails a single-use reset
// link to the account's verified address; the link shows the account's persistent ways in
// (passkeys, two-factor) without being spent, and sets a new password (removing whichever of
// those the owner chose), ends every session and clears the login backoff. The request answers
// the same, in body and time, whether or not an account or address exists: everything that
// differs happens after the response. Knows nothing of Hono or bindings.
import { now } from '../clock'
import { ApiError } from '../errors'
import { maskedAddress } from '../auth/email-address'
import { hashPassword, passwordBinding } from '../auth/passwords'
import type { Language } from '../i18n/languages'
import type { MailLink } from '../mail/mailer'
import { resetEmail } from '../mail/templates'
import type { EmailRule } from '../store/email-quota'
import type { LoginFailureStore } from '../store/login-failures'
import type { IdentityStore } from '../store/identities'
import type { PasskeyStore } from '../store/passkeys'
import type { EmailDeps } from './email'
import { issueLink, openLink } from './email-links'
import { type NoticeDeps, Notices, type WaysIn, mailLanguage } from './notices'
import { type SessionDeps, SessionService } from './sessions'
import { type TotpDeps, TotpService, invalidMfaCode } from './totp'

export type RecoveryDeps = EmailDeps &
  SessionDeps &
  NoticeDeps &
  TotpDeps & {
    loginFailures: LoginFailureStore
    passkeys: PasskeyStore
    identities: IdentityStore
  }

/** How long a reset link works. */
const RESET_TTL_MINUTES = 30

/**
 * At most one reset email to an address in this many minutes, whoever asks and from wherever,
 * while the link mailed at the interval's start still works: a request inside the interval then
 * sends nothing, and needs nothing, as that link is in the owner's mailbox (it lasts
 * RESET_TTL_MINUTES) and still the newest. So strangers' requests can only deliver the owner a
 * working link, never leave them without one, however many networks they use, and a mailbox gets
 * at most twelve an hour from them. Only a password change (or a new address) ends the mailed
 * link early; then the next request mails a new one at once.
 */
export const RESET_EMAIL_INTERVAL: EmailRule = { max: 1, windowMs: 5 * 60 * 1000 }

/** Passkeys to remove at a reset: their ids, or every one the account has then. */
export type PasskeyRemoval = string[] | 'all'

export type ResetRequest = {
  token: string
  newPassword: string
  removePasskeys?: PasskeyRemoval
  disableTotp?: boolean
  /** With disableTotp, when two-factor is on: a current code or a recovery code. */
  code?: string
}

/**
 * 409 for every password write (a reset here, a change in account.ts): the password changed
 * between the check and the write; this one changed nothing (a reset's link is spent).
 */
export const passwordChangedConcurrently = () =>
  new ApiError(
    'password_changed_concurrently',
    'The password was changed by another request meanwhile; this one changed nothing (a reset link it used is spent)',
  )

const iso = (ms: number) => new Date(ms).toISOString()

export class RecoveryService {
  private readonly sessions: SessionService
  private readonly totp: TotpService

  constructor(private readonly deps: RecoveryDeps) {
    this.sessions = new SessionService(deps)
    this.totp = new TotpService(deps)
  }

  /**
   * A forgotten password, named by username or verified address. Answers alike in every case:
   * the lookup runs for all, and the link (if any) is issued and mailed after the response.
   */
  async forgot(login: string, link: MailLink): Promise<void> {
    // Fails (503 or 500) before anything else when email or a secret is not set up, for every
    // login alike: nothing that can fail is left to the part that runs only for some.
    const mailer = this.deps.mailer()
    await this.deps.config()
    const user = await this.deps.users.findForRecovery(login)
    if (!user) {
      this.event('password_reset_requested', { found: false })
      return
    }
    // Not a step of it before the response is on its way: the answer takes the same time.
    this.deps.defer(this.deps.wait(0).then(() => this.mailReset(user, link, mailer)))
  }

  private async mailReset(
    user: { id: string; email: string; passwordHash: string; language: Language | null },
    link: MailLink,
    mailer: ReturnType<RecoveryDeps['mailer']>,
  ): Promise<void> {
    const binding = await passwordBinding(user.passwordHash)
    const allowed = await this.deps.emailQuota.take(
      { kind: 'reset', address: user.email },
      RESET_EMAIL_INTERVAL,
      now(),
    )
    // Inside the interval the link mailed at its start is the one to use, if it still works: one
    // a password change has ended (whoever knows the password can end it) is no link at all.
    if (!allowed) {
      const mailed = await this.deps.emailTokens.current(user.id, 'reset_password', now())
      if (mailed?.passwordBinding === binding) {
        this.event('password_reset_link_recent', {
          userId: user.id,
          to: maskedAddress(user.email),
        })
        return
      }
    }
    const { token } = await issueLink(this.deps, {
      userId: user.id,
      purpose: 'reset_password',
      email: user.email,
      ttlMs: RESET_TTL_MINUTES * 60 * 1000,
      passwordBinding: binding,
    })
    await mailer.send(
      resetEmail({
        service: link.service,
        logo: link.logo,
        accent: link.accent,
        // Anyone may ask for a reset: the account's language, if stored, never the asker's.
        lang: await mailLanguage(user.language, this.deps, 'anyone'),
        to: user.email,
        url: link.url(token),
        hours: RESET_TTL_MINUTES / 60,
      }),
    )
    this.event('password_reset_requested', {
      found: true,
      userId: user.id,
      to: maskedAddress(user.email),
    })
  }

  /**
   * The persistent ways into the account a live reset link is for, without spending the link
   * (mail scanners open links): what the owner may remove with the reset.
   */
  async inspect(token: string): Promise<WaysIn> {
    const { user } = await openLink(this.deps, token, 'reset_password', 'peek')
    return this.waysIn(user.id)
  }

  /**
   * Sets a new password with a reset link's token, removing the passkeys named (ids of the
   * account's own only: 404 passkey_not_found for any other, before the link is spent) and
   * turning two-factor off if asked, which takes a current code or a recovery code as well:
   * the mailbox alone must not get past the second factor. Every session ends (the person
   * resetting may not be the only one who knew the old password) and the login backoff is
   * cleared.
   *
   * The link is bound to the password it was mailed against, and the new one is written only
   * over that same hash: a change of password that races the reset leaves exactly one of them
   * told it succeeded, and that one's password is the one that works. A reset that loses has
   * spent its link and changed nothing (409).
   */
  async reset(request: ResetRequest): Promise<void> {
    const { token, newPassword, removePasskeys, disableTotp, code } = request
    const { user: peeked } = await openLink(this.deps, token, 'reset_password', 'peek')
    if (Array.isArray(removePasskeys) && removePasskeys.length > 0) {
      const own = new Set((await this.deps.passkeys.list(peeked.id)).map((p) => p.id))
      if (removePasskeys.some((id) => !own.has(id))) {
        this.event('password_reset_refused', { userId: peeked.id, reason: 'foreign_passkey' })
        throw new ApiError('passkey_not_found', 'The account has no such passkey')
      }
    }
    // Checked (and the code spent) before the link: a wrong code leaves the link to try again.
    const totpOn = disableTotp === true && (await this.totpEnabled(peeked.id))
    if (totpOn && (code === undefined || (await this.totp.spendCode(peeked.id, code)) === null)) {
      this.event('password_reset_refused', { userId: peeked.id, reason: 'second_factor' })
      throw invalidMfaCode()
    }
    const { user } = await openLink(this.deps, token, 'reset_password', 'take')
    const cfg = await this.deps.config()
    const hash = await hashPassword(newPassword)
    if (!(await this.deps.users.updatePasswordHash(user.id, hash, user.passwordHash))) {
      this.event('password_reset_refused', { userId: user.id, reason: 'changed_concurrently' })
      throw passwordChangedConcurrently()
    }
    // Every link issued before: other reset links, and any address link (whoever knew the old
    // password may have asked for one to their own address).
    await this.deps.emailTokens.revoke(user.id, 'reset_password')
    await this.deps.emailTokens.revoke(user.id, 'verify_email')
    // Sessions end before the removals, and adding a passkey or two-factor needs a session that
    // is still listed (SessionService.requireListed).
    await this.sessions.endAll(user.id, cfg)
    await this.deps.loginFailures.clear(user.username)
    const removed = await this.removePasskeys(user.id, removePasskeys)
    const totpDisabled = disableTotp === true && (await this.deps.totp.get(user.id)) !== null
    if (totpDisabled) {
      await this.deps.totp.remove(user.id)
      this.event('totp_disabled', { userId: user.id, by: 'password_reset' })
    }
    this.event('password_reset', { userId: user.id, passkeysRemoved: removed, totpDisabled })
    new Notices(this.deps).send(user.id, 'password_reset', undefined, {
      remaining: await this.waysIn(user.id),
    })
  }

  private async totpEnabled(userId: string): Promise<boolean> {
    const record = await this.deps.totp.get(userId)
    return record !== null && record.enabledAt !== null
  }

  /** Removes the account's passkeys named (or all); returns how many went. */
  private async removePasskeys(userId: string, which?: PasskeyRemoval): Promise<number> {
    if (which === undefined || which.length === 0) return 0
    const ids =
      which === 'all'
        ? (await this.deps.passkeys.list(userId)).map((p) => p.id)
        : [...new Set(which)]
    let removed = 0
    for (const id of ids) {
      // The store deletes only a passkey of this user's (user_id is in the statement); the
      // account has a password now, so none is its last way in.
      if ((await this.deps.passkeys.remove(userId, id)) === 'removed') {
        removed++
        this.event('passkey_removed', { userId, credentialId: id, by: 'password_reset' })
      }
    }
    return removed
  }

  private async waysIn(userId: string): Promise<WaysIn> {
    const [passkeys, totp, identities] = await Promise.all([
      this.deps.passkeys.list(userId),
      this.deps.totp.get(userId),
      this.deps.identities.list(userId),
    ])
    return {
      passkeys: passkeys.map((p) => ({ id: p.id, name: p.name, createdAt: iso(p.createdAt) })),
      totp: { enabled: totp !== null && totp.enabledAt !== null },
      identities: identities.map((i) => ({ provider: i.provider, linkedAt: iso(i.createdAt) })),
    }
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}
