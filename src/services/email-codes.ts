// Signing in with a one-time code mailed to the account's verified address: no password, no
// provider. Asking answers alike whether or not an account has the address (as a forgotten
// password does); a code is 6 digits, works once for 10 minutes and allows 5 tries, and every
// wrong one counts in the account's login backoff like a wrong password. Knows nothing of Hono.
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { maskedAddress } from '../auth/email-address'
import { macOf } from '../auth/mfa-keys'
import { timingSafeEqual, utf8 } from '../auth/encoding'
import { signInCodeEmail } from '../mail/templates'
import type { EmailCodeStore } from '../store/email-codes'
import type { EmailRule } from '../store/email-quota'
import type { TokenPair } from '../schemas'
import { type AuthDeps, AuthService } from './auth'
import { loginBackoff } from './login-backoff'
import type { Client } from './sessions'

export type EmailCodeDeps = AuthDeps & { emailCodes: EmailCodeStore }

export const EMAIL_CODE_TTL_MS = 10 * 60 * 1000
export const EMAIL_CODE_MAX_ATTEMPTS = 5

/**
 * At most one code mailed to an address a minute, whoever asks: a request inside the minute
 * sends nothing while the code mailed at its start still works, so a stranger's requests can
 * only deliver the owner a working code, never replace the one they are typing.
 */
export const EMAIL_CODE_INTERVAL: EmailRule = { max: 1, windowMs: 60 * 1000 }
/** And at most ten an hour, so nobody can flood a mailbox through us. */
export const EMAIL_CODES_PER_HOUR: EmailRule = { max: 10, windowMs: 60 * 60 * 1000 }

/** What every request is told, whether or not anything is sent. */
export const EMAIL_CODE_ANSWER = {
  message:
    'If an account uses that address, a sign-in code is on its way. It works for 10 minutes.',
}

const invalidCode = () =>
  new ApiError(
    'invalid_email_code',
    'The code is wrong, expired, used, or out of tries; ask for a new one',
  )

/** 6 digits, uniform: rejection sampling, so no code is likelier than another. */
function sixDigits(): string {
  const limit = 4_294_000_000 // the largest multiple of 10^6 below 2^32
  for (;;) {
    const [value] = crypto.getRandomValues(new Uint32Array(1))
    if (value! < limit) return String(value! % 1_000_000).padStart(6, '0')
  }
}

export class EmailCodeService {
  constructor(private readonly deps: EmailCodeDeps) {}

  /** Mails a code to the address if an account verified it; the same answer either way. */
  async request(email: string, service: string): Promise<void> {
    // Fails (503 or 500) before anything else when email or a key is not set up, for every
    // address alike: nothing that can fail is left to the part that runs only for some.
    const mailer = this.deps.mailer()
    const keys = await this.deps.mfaKeys()
    const userId = await this.deps.users.verifiedOwner(email)
    if (!userId) {
      this.event('email_code_requested', { found: false })
      return
    }
    const address = email.toLowerCase()
    // After the response: the answer takes the same time whether or not one is sent.
    this.deps.defer(
      this.deps.wait(0).then(async () => {
        const at = now()
        const quota = this.deps.emailQuota
        const minute = await quota.take({ kind: 'code', address }, EMAIL_CODE_INTERVAL, at)
        if (!minute && (await this.deps.emailCodes.current(address, at))) {
          this.event('email_code_recent', { userId, to: maskedAddress(address) })
          return
        }
        // Counted only for codes about to be sent, so requests that send nothing spend nothing.
        const hour = { kind: 'code' as const, address, by: 'hour' }
        if (!(await quota.take(hour, EMAIL_CODES_PER_HOUR, at))) {
          log.warn('email_code_throttled', { requestId: this.deps.requestId, userId })
          return
        }
        const code = sixDigits()
        await this.deps.emailCodes.put({
          address,
          userId,
          codeHash: await macOf(keys, `email-code:${address}`, code),
          createdAt: at,
          expiresAt: at + EMAIL_CODE_TTL_MS,
        })
        await mailer.send(
          signInCodeEmail({ service, to: email, code, minutes: EMAIL_CODE_TTL_MS / 60000 }),
        )
        this.event('email_code_requested', { found: true, userId, to: maskedAddress(address) })
      }),
    )
  }

  /**
   * Signs in with the code mailed to `email`: the same pair as /login, amr `email`, or
   * mfa_required when two-factor is on. Every failure is the same 401.
   */
  async verify(
    { email, code }: { email: string; code: string },
    client: Client,
  ): Promise<TokenPair> {
    const keys = await this.deps.mfaKeys()
    const address = email.toLowerCase()
    const at = now()
    const live = await this.deps.emailCodes.attempt(address, at, EMAIL_CODE_MAX_ATTEMPTS)
    // The address must still be the account's: a code mailed before it changed signs in no one.
    const user =
      live && (await this.deps.users.verifiedOwner(address)) === live.userId
        ? await this.deps.users.findUserById(live.userId)
        : null
    if (!live || !user) {
      this.event('email_code_refused', { reason: live ? 'address_changed' : 'no_live_code' })
      throw invalidCode()
    }
    const cfg = await this.deps.config()
    const backoff = loginBackoff(this.deps.loginFailures, cfg, this.deps.network)
    const failures = await backoff.read(user.username)
    const lockedFor = backoff.lockedFor(failures)
    if (lockedFor > 0) {
      this.event('login_throttled', { userId: user.id, retryAfter: lockedFor, step: 'email_code' })
      throw new ApiError('rate_limited', 'Too many failed sign-ins; retry later', {
        retryAfter: lockedFor,
      })
    }
    const hash = await macOf(keys, `email-code:${address}`, code)
    if (!timingSafeEqual(utf8(hash), utf8(live.codeHash))) {
      this.event('login_failed', { userId: user.id, reason: 'bad_email_code' })
      await backoff.fail(user.username, failures)
      throw invalidCode()
    }
    // Of two requests with the right code, one deletes it and signs in.
    if (!(await this.deps.emailCodes.spend(address, live.codeHash))) {
      this.event('email_code_refused', { userId: user.id, reason: 'spent' })
      throw invalidCode()
    }
    await backoff.succeed(user.username, failures)
    return new AuthService(this.deps).signInProven(user.id, { method: 'email' }, client)
  }

  private event(name: string, fields: Record<string, unknown>): void {
    log.info(name, { requestId: this.deps.requestId, ...fields })
  }
}
