// Refresh tokens: opaque random strings, the HMAC digests they are stored under, and their successors.
//
// A token names its session and user in the clear (43 characters: both UUIDs' 32 bytes), then
// carries its secret (43 characters: 32 random bytes, or an HMAC for a successor). Naming them
// lets a refresh read the token's record, its successor's, the session and the user's revocation
// mark all at once: one storage round trip instead of two. The names are not trusted: a token is
// found only under the HMAC of all 86 characters, and its record must name the same session and
// user. Tokens issued before this format (43 characters, the secret alone) keep working, and
// their successors keep their shape until those sessions end.
//
// A token of a third-party app's grant (the authorization server's) starts with `app.`, which
// no earlier version of this code accepts: during a gradual deployment, a version that does not
// know grants refuses their tokens instead of treating one as a first-party session. The prefix
// is part of the token (its id and successor cover it) and successors keep it.
import { fromBase64Url, randomBytes, toBase64Url } from './encoding'
import { hmacBase64Url as hmac } from './hmac-keys'

const TOKEN_BYTES = 32
/** Characters of 32 bytes in unpadded base64url. */
const PART_LENGTH = 43

// HMAC inputs are prefixed so that a token's storage id can never equal another token's successor.
const ID_PREFIX = 'refresh-token-id:'
const SUCCESSOR_PREFIX = 'refresh-token-next:'

/** Whose a token says it is. Only a hint for reading ahead: its record decides. */
export type TokenOwner = { sessionId: string; userId: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const uuidBytes = (id: string): Uint8Array =>
  Uint8Array.from(id.replace(/-/g, '').match(/../g)!, (pair) => parseInt(pair, 16))

function uuidOf(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The clear part naming the owner, or null for ids that are not lowercase UUIDs (no shortcut). */
function ownerPart(owner: TokenOwner): string | null {
  if (!UUID.test(owner.sessionId) || !UUID.test(owner.userId)) return null
  const bytes = new Uint8Array(TOKEN_BYTES)
  bytes.set(uuidBytes(owner.sessionId), 0)
  bytes.set(uuidBytes(owner.userId), 16)
  return toBase64Url(bytes)
}

/** What marks a grant's token; never a base64url character, so never part of the others. */
export const GRANT_TOKEN_PREFIX = 'app.'

/** Whether the token is one of a third-party grant (by its prefix alone, not yet checked). */
export const isGrantToken = (token: string): boolean => token.startsWith(GRANT_TOKEN_PREFIX)

/** The token without its grant prefix: the part whose shape and owner are read. */
const body = (token: string): string =>
  isGrantToken(token) ? token.slice(GRANT_TOKEN_PREFIX.length) : token

/**
 * A new token for the session: its owner's names, then 32 random bytes. 86 characters, after
 * `app.` for a grant's session.
 */
export function generateRefreshToken(owner: TokenOwner, grant = false): string {
  const secret = toBase64Url(randomBytes(TOKEN_BYTES))
  const part = ownerPart(owner)
  const token = part === null ? secret : part + secret
  return grant ? GRANT_TOKEN_PREFIX + token : token
}

/** Only the exact shapes we issue; anything else is refused before it reaches KV. */
export function isWellFormedRefreshToken(raw: string): boolean {
  const token = body(raw)
  const parts =
    token.length === PART_LENGTH
      ? [token]
      : token.length === 2 * PART_LENGTH
        ? [token.slice(0, PART_LENGTH), token.slice(PART_LENGTH)]
        : []
  return parts.length > 0 && parts.every((part) => fromBase64Url(part)?.byteLength === TOKEN_BYTES)
}

/** The session and user a well-formed token names; null for the older, unnamed shape. */
export function refreshTokenOwner(raw: string): TokenOwner | null {
  const token = body(raw)
  if (token.length !== 2 * PART_LENGTH) return null
  const bytes = fromBase64Url(token.slice(0, PART_LENGTH))
  if (bytes?.byteLength !== TOKEN_BYTES) return null
  return { sessionId: uuidOf(bytes.subarray(0, 16)), userId: uuidOf(bytes.subarray(16)) }
}

/** What a token is stored under: HMAC-SHA256 keyed with REFRESH_TOKEN_SECRET, so a KV dump yields no usable token. */
export const refreshTokenId = (token: string, secret: string): Promise<string> =>
  hmac(secret, ID_PREFIX + token)

/**
 * The token that replaces `token` on rotation: the same owner's names, and a secret derived from
 * the whole token. Deriving it (rather than drawing it at random) lets every concurrent or
 * replicated refresh of one token converge on the same successor without storing a usable token
 * in KV. Without the secret it is as unpredictable as random bytes.
 */
export async function successorOf(token: string, secret: string): Promise<string> {
  const next = await hmac(secret, SUCCESSOR_PREFIX + token)
  const prefix = isGrantToken(token) ? GRANT_TOKEN_PREFIX : ''
  const rest = body(token)
  return prefix + (rest.length === 2 * PART_LENGTH ? rest.slice(0, PART_LENGTH) + next : next)
}
