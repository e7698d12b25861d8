// An account's email address: asking to use one (a single-use link is mailed to it) and
// confirming it (the link). The address replaces the account's verified one only once the link
// is opened. Knows nothing of Hono or bindings.
import type { AuthUser, Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { maskedAddress } from '../auth/email-address'
import { passwordBinding } from '../auth/passwords'
import type { MailLink, Mailer } from '../mail/mailer'
import { verificationEmail } from '../mail/templates'
import type { EmailQuota, EmailRule } from '../store/email-quota'
import type { EmailTokenStore } from '../store/email-tokens'
import type { UserStore } from '../store/users'
import { invalidEmailToken, issueLink, openLink } from './email-links'
import { type NoticeDeps, Notices, mailLanguage } from './notices'

export type EmailDeps = NoticeDeps & {
  users: UserStore
  emailTokens: EmailTokenStore
  emailQuota: EmailQuota
  /** Throws MailSetupError (503 email_unavailable) when the binding or MAIL_FROM is missing. */
  mailer: () => Mailer
  config: () => Promise<Config>
  /** The requester's network (a /24 or /48): the address ceiling is counted per network. */
  network?: string
  requestId?: string
}

/**
 * Verification emails one account may ask for one address in an hour: its own budget, so the
 * 429 past it says nothing of what others asked (no oracle), and nobody else can spend it.
 * Counted apart from reset links (recovery.ts), which strangers' requests never touch.
 */
export const VERIFICATION_EMAILS_PER_REQUESTER: EmailRule = { max: 3, windowMs: 60 * 60 * 1000 }

/**
 * Verification emails one address may be sent in an hour on requests from one network (a /24 or
 * /48), from every account there together: against a mailbox flooded from many throwaway
 * accounts. Past it nothing is mailed, silently (the answer is the same), so it reveals nothing;
 * and counted per network, so strangers elsewhere cannot stop the owner's own requests. Each
 * mail names the account that asked.
 */
export const VERIFICATION_EMAILS_PER_ADDRESS: EmailRule = { max: 10, windowMs: 60 * 60 * 1000 }

/** How long a verification link works. */
const VERIFY_TTL_HOURS = 24

export class EmailService {
  constructor(private readonly deps: EmailDeps) {}

  /**
   * Mails a verification link for `email` to it. The caller has proved the password: the
   * address becomes the way back into the account, so an access token alone must not set it.
   * Answers the same (after the same work) whether or not another account has verified the
   * address: whatever differs (the link, the mail, or a log line saying none was sent) runs
   * after the response.
   */
  async requestVerification(
    caller: { id: string; username: string; passwordHash: string },
    email: string,
    link: MailLink,
  ): Promise<{ email: string; expiresAt: string }> {
    const mailer = this.deps.mailer()
    const at = now()
    const mine = { kind: 'verify' as const, address: email, by: caller.id }
    if (!(await this.deps.emailQuota.take(mine, VERIFICATION_EMAILS_PER_REQUESTER, at))) {
      this.event('email_verification_throttled', { userId: caller.id, to: maskedAddress(email) })
      throw new ApiError('rate_limited', 'This address has been sent enough email for now', {
        retryAfter: 3600,
      })
    }
    const ttlMs = VERIFY_TTL_HOURS * 3600 * 1000
    this.deps.defer(this.mailVerification(caller, email, link, mailer, ttlMs))
    return { email, expiresAt: new Date(at + ttlMs).toISOString() }
  }

  private async mailVerification(
    { id: userId, username, passwordHash }: { id: string; username: string; passwordHash: string },
    email: string,
    link: MailLink,
    mailer: Mailer,
    ttlMs: number,
  ): Promise<void> {
    // Another account's verified address could never become this one's: its owner is not
    // mailed (a stranger must not be able to fill their inbox with our mail) and no token is
    // issued.
    if (await this.deps.users.verifiedByAnother(email, userId)) {
      this.event('email_verification_skipped', {
        userId,
        to: maskedAddress(email),
        reason: 'verified_by_another_account',
      })
      return
    }
    const every = { kind: 'verify' as const, address: email, by: this.deps.network ?? 'unknown' }
    if (!(await this.deps.emailQuota.take(every, VERIFICATION_EMAILS_PER_ADDRESS, now()))) {
      this.event('email_verification_skipped', {
        userId,
        to: maskedAddress(email),
        reason: 'address_quota',
      })
      return
    }
    const { token } = await issueLink(this.deps, {
      userId,
      purpose: 'verify_email',
      email,
      ttlMs,
      passwordBinding: await passwordBinding(passwordHash),
    })
    // The account's language, else the asking request's (which is the account owner's here).
    // Asked for by the account (signed in, or signing up): its language, else the request's.
    const lang = await mailLanguage(await this.deps.users.language(userId), this.deps, 'owner')
    await mailer.send(
      verificationEmail({
        service: link.service,
        logo: link.logo,
        accent: link.accent,
        lang,
        to: email,
        url: link.url(token),
        hours: VERIFY_TTL_HOURS,
        account: username,
      }),
    )
    this.event('email_verification_sent', { userId, to: maskedAddress(email) })
  }

  /** Opens a verification link: its address becomes the account's verified one. */
  async verify(token: string): Promise<{ email: string }> {
    // Bound to the password it was asked with (openLink), and the address is written only over
    // that same password, so a change racing this cannot be undone by a link asked before it.
    const { link: taken, user } = await openLink(this.deps, token, 'verify_email', 'take')
    const previous = await this.deps.users.verifiedEmail(taken.userId)
    const set = await this.deps.users.setVerifiedEmail(
      taken.userId,
      taken.email,
      now(),
      user.passwordHash,
    )
    if (set === 'taken') {
      throw new ApiError('email_taken', 'That address is verified for another account')
    }
    if (set === 'changed') throw invalidEmailToken()
    // Reset links went to the old address, which is no longer the way back in.
    await this.deps.emailTokens.revoke(taken.userId, 'reset_password')
    this.event('email_verified', { userId: taken.userId, to: maskedAddress(taken.email) })
    // The old address is told, at the old address: whoever changed it may not be its owner.
    if (previous && previous.toLowerCase() !== taken.email.toLowerCase()) {
      new Notices(this.deps).send(taken.userId, 'email_changed', previous)
    }
    return { email: taken.email }
  }

  /** The account's verified address, or null. */
  async current(caller: AuthUser): Promise<{ email: string | null }> {
    return { email: await this.deps.users.verifiedEmail(caller.id) }
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}
