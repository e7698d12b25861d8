// Getting back into an account by email: a forgotten-password request mails a single-use reset
// link to the account's verified address; the link shows the account's persistent ways in
// (passkeys, two-factor) without being spent, and sets a new password (removing whichever of
// those the owner chose), ends every session and clears the login backoff. The request answers
// the same, in body and time, whether or not an account or address exists: everything that
// differs happens after the response. Knows nothing of Hono or bindings.
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { maskedAddress } from '../auth/email-address'
import { hashPassword } from '../auth/passwords'
import type { MailLink } from '../mail/mailer'
import { resetEmail } from '../mail/templates'
import type { LoginFailureStore } from '../store/login-failures'
import type { PasskeyStore } from '../store/passkeys'
import type { TotpStore } from '../store/totp'
import type { EmailDeps } from './email'
import { invalidEmailToken, issueLink, peekLink, takeLink } from './email-links'
import { type NoticeDeps, Notices, type WaysIn } from './notices'
import { type SessionDeps, SessionService } from './sessions'

export type RecoveryDeps = EmailDeps &
  SessionDeps &
  NoticeDeps & {
    loginFailures: LoginFailureStore
    passkeys: PasskeyStore
    totp: TotpStore
  }

/** How long a reset link works. */
const RESET_TTL_MINUTES = 30

/**
 * Reset emails one address may be sent in an hour on requests from one network (a /24 or /48,
 * client-network.ts), counted under `reset:<network>:<address>`. Only that network's requests
 * spend it: a stranger elsewhere cannot silence the owner's own requests. Three is what a person
 * who lost a mail or two needs.
 */
export const RESET_EMAILS_PER_NETWORK_HOUR = 3

/**
 * Reset emails one address may be sent in an hour from all networks together, under
 * `reset:<address>`: the ceiling against filling a mailbox from many networks. An attacker with
 * more than RESET_EMAILS_PER_ADDRESS_HOUR / RESET_EMAILS_PER_NETWORK_HOUR networks (7) can still
 * spend it for the hour (SECURITY.md states the trade); 20 an hour is a nuisance, not a flood.
 */
export const RESET_EMAILS_PER_ADDRESS_HOUR = 20

/** Passkeys to remove at a reset: their ids, or every one the account has then. */
export type PasskeyRemoval = string[] | 'all'

export type ResetRequest = {
  token: string
  newPassword: string
  removePasskeys?: PasskeyRemoval
  disableTotp?: boolean
}

/**
 * 409 for every password write (a reset here, a change in account.ts): the password changed
 * between the check and the write; nothing of this one happened.
 */
export const passwordChangedConcurrently = () =>
  new ApiError(
    'password_changed_concurrently',
    'The password was changed by another request meanwhile; nothing was changed by this one',
  )

const iso = (ms: number) => new Date(ms).toISOString()

export class RecoveryService {
  private readonly sessions: SessionService

  constructor(private readonly deps: RecoveryDeps) {
    this.sessions = new SessionService(deps)
  }

  /**
   * A forgotten password, named by username or verified address, asked from `network` (the
   * requester's /24 or /48). Answers alike in every case: the lookup runs for all, and the link
   * (if any) is issued and mailed after the response.
   */
  async forgot(login: string, link: MailLink, network: string): Promise<void> {
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
    this.deps.defer(this.deps.wait(0).then(() => this.mailReset(user, link, mailer, network)))
  }

  private async mailReset(
    user: { id: string; email: string },
    link: MailLink,
    mailer: ReturnType<RecoveryDeps['mailer']>,
    network: string,
  ): Promise<void> {
    const at = now()
    // The network's own budget first: a request it refuses does not spend the ceiling, so one
    // network can never spend more than its share of the ceiling.
    const allowed =
      (await this.deps.emailQuota.take(
        `reset:${network}:${user.email}`,
        RESET_EMAILS_PER_NETWORK_HOUR,
        at,
      )) &&
      (await this.deps.emailQuota.take(`reset:${user.email}`, RESET_EMAILS_PER_ADDRESS_HOUR, at))
    if (!allowed) {
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
   * The persistent ways into the account a live reset link is for, without spending the link
   * (mail scanners open links): what the owner may remove with the reset.
   */
  async inspect(token: string): Promise<WaysIn> {
    const peeked = await peekLink(this.deps, token, 'reset_password')
    return this.waysIn(peeked.userId)
  }

  /**
   * Sets a new password with a reset link's token, removing the passkeys named (ids of the
   * account's own only: 404 passkey_not_found for any other, before the link is spent) and
   * turning two-factor off if asked. Every session ends (the person resetting may not be the
   * only one who knew the old password) and the login backoff is cleared. The password is
   * written only if it is still the one read: a change that won a race answers 409 here, and
   * nothing else of the reset happens.
   */
  async reset({ token, newPassword, removePasskeys, disableTotp }: ResetRequest): Promise<void> {
    const peeked = await peekLink(this.deps, token, 'reset_password')
    if (Array.isArray(removePasskeys) && removePasskeys.length > 0) {
      const own = new Set((await this.deps.passkeys.list(peeked.userId)).map((p) => p.id))
      if (removePasskeys.some((id) => !own.has(id))) {
        this.event('password_reset_refused', { userId: peeked.userId, reason: 'foreign_passkey' })
        throw new ApiError('passkey_not_found', 'The account has no such passkey')
      }
    }
    const taken = await takeLink(this.deps, token, 'reset_password')
    const cfg = await this.deps.config()
    const user = await this.deps.users.findUserById(taken.userId)
    if (!user) throw invalidEmailToken()
    const hash = await hashPassword(newPassword)
    if (!(await this.deps.users.updatePasswordHash(user.id, hash, user.passwordHash))) {
      this.event('password_reset_refused', { userId: user.id, reason: 'changed_concurrently' })
      throw passwordChangedConcurrently()
    }
    // Every link issued before: other reset links, and any address link (whoever knew the old
    // password may have asked for one to their own address).
    await this.deps.emailTokens.revoke(user.id, 'reset_password')
    await this.deps.emailTokens.revoke(user.id, 'verify_email')
    // Sessions end before the removals: no session of the intruder's can add a passkey after
    // "all" was listed.
    await this.sessions.endAll(user.id, cfg)
    await this.deps.loginFailures.clear(user.username)
    const removed = await this.removePasskeys(user.id, removePasskeys)
    if (disableTotp) {
      await this.deps.totp.remove(user.id)
      this.event('totp_disabled', { userId: user.id, by: 'password_reset' })
    }
    this.event('password_reset', {
      userId: user.id,
      passkeysRemoved: removed,
      totpDisabled: disableTotp === true,
    })
    new Notices(this.deps).send(user.id, 'password_reset', undefined, {
      remaining: await this.waysIn(user.id),
    })
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
    const [passkeys, totp] = await Promise.all([
      this.deps.passkeys.list(userId),
      this.deps.totp.get(userId),
    ])
    return {
      passkeys: passkeys.map((p) => ({ id: p.id, name: p.name, createdAt: iso(p.createdAt) })),
      totp: { enabled: totp !== null && totp.enabledAt !== null },
    }
  }

  private event(name: string, fields: Record<string, unknown>): void {
    log.info(name, { requestId: this.deps.requestId, ...fields })
  }
}
