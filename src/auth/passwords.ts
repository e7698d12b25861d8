// Password hashing: PBKDF2-SHA256 over Web Crypto, stored as a self-describing string.
import {
  fromBase64Url,
  randomBytes,
  sha256Base64Url,
  timingSafeEqual,
  toBase64Url,
  utf8,
} from './encoding'

/**
 * Production Workers refuse PBKDF2 above 100,000 iterations ("iteration counts above 100000
 * are not supported"); local workerd accepts more, so a unit test pins this at the cap.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000
export const PBKDF2_ITERATIONS = 100_000
const SALT_BYTES = 16
const HASH_BYTES = 32
const SCHEME = 'pbkdf2-sha256'

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 128

/**
 * Checked against when the username is unknown, so that an unknown user costs the same PBKDF2
 * work as a wrong password. Its password is random and was thrown away.
 */
export const DUMMY_PASSWORD_HASH =
  'pbkdf2-sha256$100000$4Favrqkuorv-z-WK_wPFgg$bv-91jhKodV1dWVSYDYdmrn9IA8lN2E1uz7lEgqC5LY'

/** NFKC, so that look-alike spellings of one password hash the same. */
export const normalizePassword = (password: string): string => password.normalize('NFKC')

/** Length in code points, as people count characters. */
export const passwordLength = (password: string): number => [...password].length

type Parsed = { iterations: number; salt: Uint8Array; hash: Uint8Array }

function parse(stored: string): Parsed | null {
  const [scheme, rounds, salt, hash, ...rest] = stored.split('$')
  if (scheme !== SCHEME || rest.length > 0 || !rounds || !salt || !hash) return null
  const iterations = Number(rounds)
  const saltBytes = fromBase64Url(salt)
  const hashBytes = fromBase64Url(hash)
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    return null
  }
  if (!saltBytes || !hashBytes || hashBytes.byteLength !== HASH_BYTES) return null
  return { iterations, salt: saltBytes, hash: hashBytes }
}

async function derive(password: string, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey(
    'raw',
    utf8(normalizePassword(password)),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    HASH_BYTES * 8,
  )
  return new Uint8Array(bits)
}

function assertLength(password: string): void {
  // A guard for callers that skipped validation: never hash unbounded input.
  if (passwordLength(normalizePassword(password)) > PASSWORD_MAX_LENGTH) {
    throw new RangeError('password is longer than the maximum')
  }
}

export async function hashPassword(password: string): Promise<string> {
  assertLength(password)
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, PBKDF2_ITERATIONS)
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(hash)}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  assertLength(password)
  const parsed = parse(stored)
  // A corrupt stored hash still costs one derivation, then fails.
  const target = parsed ?? parse(DUMMY_PASSWORD_HASH)!
  const candidate = await derive(password, target.salt, target.iterations)
  return timingSafeEqual(candidate, target.hash) && parsed !== null
}

/** True when the stored hash uses older parameters than the current ones. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored)
  return !parsed || parsed.iterations !== PBKDF2_ITERATIONS
}

/**
 * A short digest of a password hash, for what must die when the password changes (an mfaToken,
 * a reset link): bound to it, compared with the stored hash's digest when used. Not the hash
 * itself, which is never copied out of the users table.
 */
export const passwordBinding = async (passwordHash: string): Promise<string> =>
  (await sha256Base64Url(passwordHash)).slice(0, 22)
