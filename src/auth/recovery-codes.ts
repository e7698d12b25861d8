// Recovery codes: ten single-use codes shown once when TOTP is turned on, stored only as keyed
// hashes. Ten characters from an alphabet without look-alikes (no 0/o, 1/l/i) is about 50 bits,
// far beyond the five guesses an mfaToken allows.
import { randomBytes } from './encoding'
import { type MfaKeys, macOf } from './mfa-keys'

export const RECOVERY_CODE_COUNT = 10
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'
const LENGTH = 10

/** One code, as shown: two groups of five, `abcde-fghjk`. */
function newCode(): string {
  // 256 % 31 leaves a bias of under 1%; rejection sampling removes it.
  const chars: string[] = []
  while (chars.length < LENGTH) {
    for (const byte of randomBytes(LENGTH)) {
      if (byte < 248 && chars.length < LENGTH) chars.push(ALPHABET[byte % ALPHABET.length]!)
    }
  }
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`
}

export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, newCode)

/** A code as typed (any case, spaces or dashes anywhere) in its stored spelling, or null. */
export function normalizeRecoveryCode(typed: string): string | null {
  const bare = typed.toLowerCase().replace(/[\s-]/g, '')
  if (bare.length !== LENGTH || [...bare].some((ch) => !ALPHABET.includes(ch))) return null
  return bare
}

/** What a code is stored as: HMAC under the MFA key, per user, so equal codes never collide. */
export const recoveryCodeHash = (keys: MfaKeys, userId: string, normalized: string) =>
  macOf(keys, `recovery:${userId}`, normalized)
