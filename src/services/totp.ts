// TOTP two-factor for a signed-in user: enrol, confirm (which turns it on and issues recovery
// codes), disable; and the one check of a second-factor code that sign-in and disabling share.
// Knows nothing of Hono or bindings.
import { type AuthUser, ConfigError } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { type MfaKeys, seal, unseal } from '../auth/mfa-keys'
import { newRecoveryCodes, normalizeRecoveryCode, recoveryCodeHash } from '../auth/recovery-codes'
import { matchTotp, newTotpSecret, totpSecretText, totpUri } from '../auth/totp'
import type { TotpRecord, TotpStore } from '../store/totp'
import { type NoticeDeps, Notices } from './notices'
import { type SessionDeps, SessionService } from './sessions'

export type TotpDeps = NoticeDeps &
  SessionDeps & {
    totp: TotpStore
    /** Lazy: a missing MFA_ENCRYPTION_KEY fails only what needs it, with a ConfigError. */
    mfaKeys: () => Promise<MfaKeys>
    requestId?: string
  }

/** What accepted a second-factor code. */
type SecondFactor = 'totp' | 'recovery_code'

/** The secret is sealed to its user: a row copied to another user's will not open. */
const secretPurpose = (userId: string) => `totp-secret:${userId}`

/**
 * Code checks a user may make without a right code before further ones are held back (1 s, then
 * doubling to 15 minutes), whatever mfaToken, route or address they come through.
 */
const CODE_CHECKS_FREE = 5

export const invalidMfaCode = () =>
  new ApiError('invalid_mfa_code', 'The code is wrong, expired or already used')

export class TotpService {
  constructor(private readonly deps: TotpDeps) {}

  /**
   * Starts (or restarts) an enrolment: a new secret, pending until a code from it is confirmed.
   * `issuer` labels the account in the authenticator app.
   */
  async enrol(caller: AuthUser, issuer: string): Promise<{ secret: string; otpauthUri: string }> {
    const keys = await this.deps.mfaKeys()
    const secret = newTotpSecret()
    const sealed = await seal(keys, secretPurpose(caller.id), secret)
    if ((await this.deps.totp.putPending(caller.id, sealed, now())) === 'enabled') {
      throw totpEnabled()
    }
    this.event('totp_enrolment_started', { userId: caller.id })
    return { secret: totpSecretText(secret), otpauthUri: totpUri(issuer, caller.username, secret) }
  }

  /** The pending enrolment's secret and URI again, for showing the QR code once more. */
  async pending(caller: AuthUser, issuer: string): Promise<{ secret: string; otpauthUri: string }> {
    const record = await this.deps.totp.get(caller.id)
    if (!record) throw notEnrolled()
    if (record.enabledAt !== null) throw totpEnabled()
    const secret = await this.secretOf(await this.deps.mfaKeys(), record)
    return { secret: totpSecretText(secret), otpauthUri: totpUri(issuer, caller.username, secret) }
  }

  /** Confirms the pending enrolment with a code from it: TOTP is on; the recovery codes, once. */
  async confirm(caller: AuthUser, code: string): Promise<{ recoveryCodes: string[] }> {
    // An enrolment started before a reset or a sign-out everywhere must not finish after it.
    await new SessionService(this.deps).requireListed(caller)
    const keys = await this.deps.mfaKeys()
    const record = await this.deps.totp.get(caller.id)
    if (!record) throw notEnrolled()
    if (record.enabledAt !== null) throw totpEnabled()
    await this.countCheck(caller.id)
    const step = matchTotp(await this.secretOf(keys, record), code, now())
    if (step === null) {
      this.event('totp_confirm_failed', { userId: caller.id })
      throw invalidMfaCode()
    }
    const codes = newRecoveryCodes()
    const hashes = await Promise.all(
      codes.map((c) => recoveryCodeHash(keys, caller.id, normalizeRecoveryCode(c)!)),
    )
    // Refused if a newer enrolment replaced this one, or another request turned it on first.
    if (!(await this.deps.totp.enable(caller.id, record.secret, step, now(), hashes))) {
      throw notEnrolled()
    }
    this.event('totp_enabled', { userId: caller.id, sessionId: caller.sessionId })
    new Notices(this.deps).send(caller.id, 'totp_enabled')
    return { recoveryCodes: codes }
  }

  /**
   * Checks a second-factor code for a user whose TOTP is on, and spends it: a TOTP code for a
   * step after the last one accepted, or an unspent recovery code. Null for anything else.
   */
  async spendCode(userId: string, code: string): Promise<SecondFactor | null> {
    const keys = await this.deps.mfaKeys()
    const record = await this.deps.totp.get(userId)
    if (!record || record.enabledAt === null) return null
    await this.countCheck(userId)
    const factor = await this.check(keys, record, code)
    if (factor) await this.deps.totp.clearChecks(userId)
    return factor
  }

  /** Counts a code check before it is made, in D1, so a burst of guesses cannot outrun it. */
  private async countCheck(userId: string): Promise<void> {
    const lockedFor = await this.deps.totp.countCheck(userId, CODE_CHECKS_FREE, now())
    if (lockedFor > 0) {
      this.event('totp_checks_throttled', { userId, retryAfter: lockedFor })
      throw new ApiError('rate_limited', 'Too many wrong codes; retry later', {
        retryAfter: lockedFor,
      })
    }
  }

  private async check(
    keys: MfaKeys,
    record: TotpRecord,
    code: string,
  ): Promise<SecondFactor | null> {
    const { userId } = record
    const step = matchTotp(await this.secretOf(keys, record), code, now())
    if (step !== null) {
      if (await this.deps.totp.acceptStep(userId, step)) return 'totp'
      this.event('totp_code_replayed', { userId })
      return null
    }
    const recovery = normalizeRecoveryCode(code)
    if (recovery === null) return null
    const hash = await recoveryCodeHash(keys, userId, recovery)
    if (!(await this.deps.totp.spendRecoveryCode(userId, hash, now()))) return null
    this.event('recovery_code_used', {
      userId,
      left: await this.deps.totp.recoveryCodesLeft(userId),
    })
    return 'recovery_code'
  }

  /** Whether TOTP is off, pending its first code, or on; and the recovery codes left. */
  async status(
    userId: string,
  ): Promise<{ totp: 'off' | 'pending' | 'on'; recoveryCodesLeft: number }> {
    const record = await this.deps.totp.get(userId)
    if (!record) return { totp: 'off', recoveryCodesLeft: 0 }
    if (record.enabledAt === null) return { totp: 'pending', recoveryCodesLeft: 0 }
    return { totp: 'on', recoveryCodesLeft: await this.deps.totp.recoveryCodesLeft(userId) }
  }

  /** Turns TOTP off and drops the recovery codes; the caller has proved a code or the password. */
  async disable(caller: AuthUser): Promise<void> {
    await this.deps.totp.remove(caller.id)
    this.event('totp_disabled', { userId: caller.id, sessionId: caller.sessionId })
    new Notices(this.deps).send(caller.id, 'totp_disabled')
  }

  private async secretOf(keys: MfaKeys, record: TotpRecord): Promise<Uint8Array> {
    const secret = await unseal(keys, secretPurpose(record.userId), record.secret)
    // Only a changed MFA_ENCRYPTION_KEY (or a tampered row) gets here: fail closed, naming it.
    if (!secret) {
      throw new ConfigError('MFA_ENCRYPTION_KEY', 'does not open the stored TOTP secrets')
    }
    return secret
  }

  private event(name: string, fields: Record<string, unknown>): void {
    this.deps.events.emit(name, fields)
  }
}

const totpEnabled = () =>
  new ApiError('totp_enabled', 'Two-factor authentication is already on; disable it first')
const notEnrolled = () =>
  new ApiError('totp_not_enrolled', 'There is no pending two-factor enrolment; start one first')
