// Getting back into an account by email: a forgotten-password request mails a single-use reset
// link to the account's verified address; the link sets a new password, ends every session and
// clears the login backoff. The request answers the same, in body and time, whether or not an
// account or address exists: everything that differs happens after the response. Knows nothing
// of Hono or bindings.
import { now } from '../clock'
import { log } from '../log'
import { maskedAddress } from '../auth/email-address'
import { hashPassword } from '../auth/passwords'
import type { MailLink } from '../mail/mailer'
import { resetEmail } from '../mail/templates'
import type { LoginFailureStore } from '../store/login-failures'
import { type EmailDeps, EMAILS_PER_ADDRESS_HOUR } from './email'
import { invalidEmailToken, issueLink, takeLink } from './email-links'
import { type NoticeDeps, Notices } from './notices'
import { type SessionDeps, SessionService } from './sessions'

export type RecoveryDeps = EmailDeps &
  SessionDeps &
  NoticeDeps & {
    loginFailures: LoginFailureStore
  }

/** How long a reset link works. */
const RESET_TTL_MINUTES = 30

export class RecoveryService {
  private readonly sessions: SessionService

  constructor(private readonly deps: RecoveryDeps) {
    this.sessions = new SessionService(deps)
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
    user: { id: string; email: string },
    link: MailLink,
    mailer: ReturnType<RecoveryDeps['mailer']>,
  ): Promise<void> {
    if (!(await this.deps.emailQuota.take(user.email, EMAILS_PER_ADDRESS_HOUR, now()))) {
      this.event('password_reset_throttled', { userId: user.id, to: maskedAddress(user.email) })
      return
    }
    const { token } = await issueLink(this.deps, {
      userId: user.id,
      purpose: 'reset_password',
      email: user.email,
      ttlMs: RESET_TTL_MINUTES * 60 * 1000,
    })
    await mailer.send(
      resetEmail({
        service: link.service,
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
   * Sets a new password with a reset link's token: every session ends (the person resetting may
   * not be the only one who knew the old password) and the login backoff is cleared.
   */
  async reset({ token, newPassword }: { token: string; newPassword: string }): Promise<void> {
    const taken = await takeLink(this.deps, token, 'reset_password')
    const cfg = await this.deps.config()
    const user = await this.deps.users.findUserById(taken.userId)
    if (!user) throw invalidEmailToken()
    await this.deps.users.updatePasswordHash(user.id, await hashPassword(newPassword))
    // Every link issued before: other reset links, and any address link (whoever knew the old
    // password may have asked for one to their own address).
    await this.deps.emailTokens.revoke(user.id, 'reset_password')
    await this.deps.emailTokens.revoke(user.id, 'verify_email')
    await this.sessions.endAll(user.id, cfg)
    await this.deps.loginFailures.clear(user.username)
    this.event('password_reset', { userId: user.id })
    new Notices(this.deps).send(user.id, 'password_reset')
  }

  private event(name: string, fields: Record<string, unknown>): void {
    log.info(name, { requestId: this.deps.requestId, ...fields })
  }
}
