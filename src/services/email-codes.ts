// Signing in with a one-time code mailed to the account's verified address: no password, no
// provider. Asking answers alike whether or not an account has the address (as a forgotten
// password does); a code is 6 digits, works once for 10 minutes and allows 5 tries, an address
// allows 20 tries a day, and every wrong one counts in the login backoff like a wrong password.
// Knows nothing of Hono.
import { now } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { maskedAddress } from '../auth/email-address'
import { type MfaKeys, macOf } from '../auth/mfa-keys'
import { timingSafeEqual, utf8 } from '../auth/encoding'
import type { MailBrand, Mailer } from '../mail/mailer'
import { signInCodeEmail } from '../mail/templates'
import type { EmailCodeStore } from '../store/email-codes'
import type { EmailRule } from '../store/email-quota'
import type { TokenPair } from '../schemas'
import { type AuthDeps, AuthService } from './auth'
import { loginBackoff } from './login-backoff'
import { mailLanguage } from './notices'
import type { Client } from './sessions'

export type EmailCodeDeps = AuthDeps & { emailCodes: EmailCodeStore }

export const EMAIL_CODE_TTL_MS = 10 * 60 * 1000
export const EMAIL_CODE_MAX_ATTEMPTS = 5

/**
 * At most one code mailed to an address in five minutes, whoever asks: a request inside the
 * interval sends nothing while the code mailed at its start still works (it lasts twice as
 * long), so the newest code in the owner's mailbox always works for at least five minutes.
 */
export const EMAIL_CODE_INTERVAL: EmailRule = { max: 1, windowMs: 5 * 60 * 1000 }
/** At most twelve an hour: what the interval allows, so strangers cannot use it up first. */
export const EMAIL_CODES_PER_HOUR: EmailRule = { max: 12, windowMs: 60 * 60 * 1000 }
/**
 * Codes tried against one address in a day, right or wrong, from anywhere: 20 guesses at a
 * million codes. Past it, codes for the address stop working until the day is over.
 */
export const EMAIL_CODE_TRIES_PER_DAY: EmailRule = { max: 20, windowMs: 24 * 60 * 60 * 1000 }

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
  async request(email: string, brand: MailBrand): Promise<void> {
    // Fails (503 or 500) before anything else when email or a key is not set up, for every
    // address alike: nothing that can fail is left to the part that runs only for some.
    const mailer = this.deps.mailer()
    const keys = await this.deps.mfaKeys()
    const owner = await this.deps.users.verifiedOwner(email)
    if (!owner) {
      this.event('email_code_requested', { found: false })
      return
    }
    // After the response: the answer takes the same time whether or not one is sent.
    this.deps.defer(this.deps.wait(0).then(() => this.mailCode(owner, keys, mailer, brand)))
  }

  private async mailCode(
    owner: { id: string; email: string },
    keys: MfaKeys,
    mailer: Mailer,
    brand: MailBrand,
  ): Promise<void> {
    const at = now()
    const address = owner.email.toLowerCase()
    const quota = this.deps.emailQuota
    const inInterval = !(await quota.take({ kind: 'code', address }, EMAIL_CODE_INTERVAL, at))
    if (inInterval && (await this.deps.emailCodes.current(address, at, EMAIL_CODE_MAX_ATTEMPTS))) {
      this.event('email_code_recent', { userId: owner.id, to: maskedAddress(address) })
      return
    }
    // Counted only for codes about to be sent, so requests that send nothing spend nothing.
    if (!(await quota.take({ kind: 'code_hour', address }, EMAIL_CODES_PER_HOUR, at))) {
      log.warn('email_code_throttled', { requestId: this.deps.requestId, userId: owner.id })
      return
    }
    const code = sixDigits()
    await this.deps.emailCodes.put({
      address,
      userId: owner.id,
      codeHash: await macOf(keys, `email-code:${address}`, code),
      createdAt: at,
      expiresAt: at + EMAIL_CODE_TTL_MS,
    })
    // Anyone may ask for a code: the account's language, if stored, never the asker's.
    const lang = await mailLanguage(await this.deps.users.language(owner.id), this.deps, 'anyone')
    // To the address as the account verified it, not as the request spelled it.
    await mailer.send(
      signInCodeEmail({
        ...brand,
        lang,
        to: owner.email,
        code,
        minutes: EMAIL_CODE_TTL_MS / 60000,
      }),
    )
    this.event('email_code_requested', {
      found: true,
      userId: owner.id,
      to: maskedAddress(address),
    })
  }

  /**
   * Signs in with the code mailed to `email`: the same pair as /login, amr `email`, or
   * mfa_required when two-factor is on. Every failure is the same 401, and the lock is the
   * same for an address with no account as for one with (as /login's is for an unknown name).
   */
  async verify(
    { email, code }: { email: string; code: string },
    client: Client,
  ): Promise<TokenPair> {
    const keys = await this.deps.mfaKeys()
    const cfg = await this.deps.config()
    const address = email.toLowerCase()
    const at = now()
    // Named as /login names it: the account's username, else the address itself.
    const owner = await this.deps.users.findForSignIn(address)
    const name = owner?.username ?? address
    const backoff = loginBackoff(this.deps.loginFailures, cfg, this.deps.network)
    const failures = await backoff.read(name)
    const lockedFor = backoff.lockedFor(failures)
    if (lockedFor > 0) {
      this.event('login_throttled', {
        userId: owner?.id,
        retryAfter: lockedFor,
        step: 'email_code',
      })
      throw new ApiError('rate_limited', 'Too many failed sign-ins; retry later', {
        retryAfter: lockedFor,
      })
    }
    if (
      !(await this.deps.emailQuota.take(
        { kind: 'code_try', address },
        EMAIL_CODE_TRIES_PER_DAY,
        at,
      ))
    ) {
      this.event('email_code_refused', { userId: owner?.id, reason: 'daily_tries' })
      throw invalidCode()
    }
    const live = await this.deps.emailCodes.attempt(address, at, EMAIL_CODE_MAX_ATTEMPTS)
    // The address must still be the account's: a code mailed before it changed signs in no one.
    const matches = live !== null && owner !== null && live.userId === owner.id
    const right =
      matches &&
      timingSafeEqual(utf8(await macOf(keys, `email-code:${address}`, code)), utf8(live.codeHash))
    if (!right) {
      this.event('login_failed', {
        userId: owner?.id,
        reason: live ? 'bad_email_code' : 'no_live_code',
      })
      await backoff.fail(name, failures)
      throw invalidCode()
    }
    // Of two requests with the right code, one deletes it and signs in.
    if (!(await this.deps.emailCodes.spend(address, live.codeHash))) {
      this.event('email_code_refused', { userId: owner.id, reason: 'spent' })
      throw invalidCode()
    }
    await backoff.succeed(name, failures)
    return new AuthService(this.deps).signInProven(owner.id, { method: 'email' }, client)
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}
