// TOTP (RFC 6238) through @oslojs/otp: SHA-1, six digits, 30-second steps, which is what every
// authenticator app reads from an otpauth:// URI. The service decides which step a code matched,
// so it can refuse a code for a step it has already accepted (see services/totp.ts).
import { createTOTPKeyURI, verifyHOTP } from '@oslojs/otp'
import { encodeBase32NoPadding } from '@oslojs/encoding'
import { randomBytes } from './encoding'

const TOTP_PERIOD_SECONDS = 30
const TOTP_DIGITS = 6
/** RFC 4226 §4 asks for at least 128 bits and recommends 160: the length of SHA-1's output. */
const SECRET_BYTES = 20
/** Steps either side of now a code may be for (RFC 6238 §5.2: one, for clock skew and typing). */
const SKEW_STEPS = 1

export const newTotpSecret = (): Uint8Array => randomBytes(SECRET_BYTES)

/** The secret as an app's "enter a key" field takes it: base32, no padding. */
export const totpSecretText = (key: Uint8Array): string => encodeBase32NoPadding(key)

/** The otpauth:// URI an app's QR scanner reads: the issuer labels the account in the app. */
export const totpUri = (issuer: string, account: string, key: Uint8Array): string =>
  createTOTPKeyURI(issuer, account, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS)

/** The step a time (epoch ms) falls in. */
export const totpStep = (atMs: number): number => Math.floor(atMs / 1000 / TOTP_PERIOD_SECONDS)

/** Six digits, as a person types them (spaces tolerated); anything else never matches. */
export const isTotpShaped = (code: string): boolean => /^\d{6}$/.test(code.replace(/\s/g, ''))

/**
 * The step `code` is valid for, within one step of `atMs`, newest first; or null. Every
 * candidate is computed, match or not, so the time taken says nothing about which one matched.
 */
export function matchTotp(key: Uint8Array, code: string, atMs: number): number | null {
  const digits = code.replace(/\s/g, '')
  if (!isTotpShaped(digits)) return null
  const now = totpStep(atMs)
  let matched: number | null = null
  for (let step = now + SKEW_STEPS; step >= now - SKEW_STEPS; step--) {
    if (verifyHOTP(key, BigInt(step), TOTP_DIGITS, digits) && matched === null) matched = step
  }
  return matched
}
