// Getting back into an account by email: a forgotten-password request mails a single-use reset
// link to the account's verified address; the link sets a new password, ends every session and
// clears the login backoff. The request answers the same, in body and time, whether or not an
// account or address exists: everything that differs happens after the response. Knows nothing
// of Hono or bindings.
import type { Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { maskedAddress } from '../auth/email-address'
import { emailTokenId, isEmailTokenShaped, newEmailToken } from '../auth/email-tokens'
import { hashPassword } from '../auth/passwords'
import type { MailLink } from '../mail/mailer'
import { resetEmail } from '../mail/templates'
import type { LoginFailureStore } from '../store/login-failures'
import { type EmailDeps, EMAILS_PER_ADDRESS_HOUR } from './email'
import { type NoticeDeps, Notices } from './notices'
import { type SessionDeps, SessionService } from './sessions'

export type RecoveryDeps = EmailDeps &
  SessionDeps &
  NoticeDeps & {
    loginFailures: LoginFailureStore
  }

/** How long a reset link works. */
const RESET_TTL_MINUTES = 30

const invalidResetToken = () =>
  new ApiError(
    'invalid_email_token',
    'The link is invalid, used, replaced by a newer one or expired',
  )

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
    // Fails (503) before anything else when email is not set up, for every login alike.
    const mailer = this.deps.mailer()
    const cfg = await this.deps.config()
    const user = await this.deps.users.findForRecovery(login)
    if (!user) {
      this.event('password_reset_requested', { found: false })
      return
    }
    // Not a step of it before the response is on its way: the answer takes the same time.
    this.deps.defer(this.deps.wait(0).then(() => this.mailReset(user, link, cfg, mailer)))
  }

  private async mailReset(
    user: { id: string; email: string },
    link: MailLink,
    cfg: Config,
    mailer: ReturnType<RecoveryDeps['mailer']>,
  ): Promise<void> {
    const at = now()
    if (!(await this.deps.emailQuota.take(user.email, EMAILS_PER_ADDRESS_HOUR, at))) {
      this.event('password_reset_throttled', { userId: user.id, to: maskedAddress(user.email) })
      return
    }
    const token = newEmailToken()
    await this.deps.emailTokens.issue({
      id: await emailTokenId(token, cfg.refreshTokenSecret),
      userId: user.id,
      purpose: 'reset_password',
      email: user.email,
      createdAt: at,
      expiresAt: at + RESET_TTL_MINUTES * 60 * 1000,
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
    if (!isEmailTokenShaped(token)) throw invalidResetToken()
    const cfg = await this.deps.config()
    const taken = await this.deps.emailTokens.take(
      await emailTokenId(token, cfg.refreshTokenSecret),
      'reset_password',
      now(),
    )
    const user = taken && (await this.deps.users.findUserById(taken.userId))
    if (!taken || !user) throw invalidResetToken()
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
