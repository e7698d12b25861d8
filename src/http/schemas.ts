// The request bodies the API accepts. Strict: unknown keys, `__proto__` included, are refused.
import * as z from 'zod'
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  normalizePassword,
  passwordLength,
} from '../auth/passwords'

/** UTF-16 units a raw string may have before it is normalised: a cheap bound on the work. */
const RAW_INPUT_MAX = 4 * PASSWORD_MAX_LENGTH

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/

/** NFKC first, so full-width and other look-alike spellings map to one ASCII name. */
export const Username = z
  .string({ error: 'must be a string' })
  .max(RAW_INPUT_MAX, 'must be 3 to 32 characters: letters, digits, _ . -')
  .transform((value) => value.normalize('NFKC'))
  .refine((value) => USERNAME.test(value), 'must be 3 to 32 characters: letters, digits, _ . -')

const passwordRule = `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`

export const Password = z
  .string({ error: 'must be a string' })
  .max(RAW_INPUT_MAX, passwordRule)
  .transform(normalizePassword)
  .refine((value) => {
    const length = passwordLength(value)
    return length >= PASSWORD_MIN_LENGTH && length <= PASSWORD_MAX_LENGTH
  }, passwordRule)

export const Credentials = z.strictObject({ username: Username, password: Password })

/** The seed's `{token}` body for /token and /logout. Any string; the service judges its shape. */
export const RefreshTokenBody = z.strictObject({
  token: z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(1024, 'is too long'),
})
