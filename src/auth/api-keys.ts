// API keys for /admin: their format, minting, parsing and the constant-time check of a presented
// secret against the stored digest. Pure: the table is store/api-keys.ts's, the request
// routes/admin-auth.ts's, and scripts/admin.mjs mints the same shape in Node.
import { ADMIN_SCOPES, type AdminScope } from '../env'
import {
  fromBase64Url,
  randomBytes,
  sha256Base64Url,
  timingSafeEqual,
  toBase64Url,
} from './encoding'

/** Every key starts so, for people and for secret scanners. */
export const API_KEY_PREFIX = 'eak_'

/** 12 random bytes as 24 hex characters: not secret (list-keys shows it), never `_`. */
const ID_BYTES = 12
/** 256 random bits: a SHA-256 digest of it needs no salt nor slow hash. */
const SECRET_BYTES = 32

/**
 * A whole key, anchored: `eak_`, the id, `_`, the secret (43 base64url characters, which may
 * themselves hold `_` or `-`). Unanchored, for a secret scanner: eak_[0-9a-f]{24}_[A-Za-z0-9_-]{43}
 */
export const API_KEY_PATTERN = /^eak_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/

export type ParsedApiKey = { id: string; secret: string }

/** The id and secret of a well-formed key, or null (never an error naming what is wrong). */
export function parseApiKey(key: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(key)
  if (!match) return null
  // 43 characters carry 32 bytes with two spare bits: one key, one spelling.
  if (fromBase64Url(match[2]!)?.byteLength !== SECRET_BYTES) return null
  return { id: match[1]!, secret: match[2]! }
}

/** What the table keeps instead of the secret: base64url(SHA-256(secret)). */
export const hashApiKeySecret = (secret: string): Promise<string> => sha256Base64Url(secret)

/** A digest no secret has: what an unknown id is compared against, so both paths do the same work. */
const NO_KEY_HASH = toBase64Url(new Uint8Array(32))

/**
 * Whether `secret` is the one whose digest is `storedHash`, compared in constant time. With
 * `storedHash` null (no such key) the comparison still runs, and fails.
 */
export async function apiKeySecretMatches(
  secret: string,
  storedHash: string | null,
): Promise<boolean> {
  const presented = fromBase64Url(await hashApiKeySecret(secret))
  const stored = fromBase64Url(storedHash ?? NO_KEY_HASH)
  if (!presented || !stored) return false
  return timingSafeEqual(presented, stored) && storedHash !== null
}

/** A new key: shown once, to whoever created it; the table gets `id` and `secretHash`. */
export async function mintApiKey(): Promise<{ id: string; key: string; secretHash: string }> {
  const id = [...randomBytes(ID_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join('')
  const secret = toBase64Url(randomBytes(SECRET_BYTES))
  return { id, key: `${API_KEY_PREFIX}${id}_${secret}`, secretHash: await hashApiKeySecret(secret) }
}

const isScope = (value: string): value is AdminScope =>
  (ADMIN_SCOPES as readonly string[]).includes(value)

/**
 * A key's scopes from the table's space-separated text. A word that is not a scope grants
 * nothing (a hand-edited row fails closed); each scope appears once.
 */
export const parseScopes = (text: string): AdminScope[] => [
  ...new Set(text.split(' ').filter(isScope)),
]

/** The table's text for a list of scopes. */
export const formatScopes = (scopes: readonly AdminScope[]): string =>
  [...new Set(scopes)].join(' ')
