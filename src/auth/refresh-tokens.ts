// Refresh tokens: opaque random strings, the HMAC digests they are stored under, and their successors.
import { fromBase64Url, randomBytes, toBase64Url } from './encoding'
import { hmacBase64Url as hmac } from './hmac-keys'

const TOKEN_BYTES = 32

// HMAC inputs are prefixed so that a token's storage id can never equal another token's successor.
const ID_PREFIX = 'refresh-token-id:'
const SUCCESSOR_PREFIX = 'refresh-token-next:'

/** 32 random bytes, base64url: 43 characters. */
export const generateRefreshToken = (): string => toBase64Url(randomBytes(TOKEN_BYTES))

/** Only the exact shape we issue; anything else is refused before it reaches KV. */
export function isWellFormedRefreshToken(token: string): boolean {
  return token.length === 43 && fromBase64Url(token)?.byteLength === TOKEN_BYTES
}

/** What a token is stored under: HMAC-SHA256 keyed with REFRESH_TOKEN_SECRET, so a KV dump yields no usable token. */
export const refreshTokenId = (token: string, secret: string): Promise<string> =>
  hmac(secret, ID_PREFIX + token)

/**
 * The token that replaces `token` on rotation. Deriving it (rather than drawing it at random)
 * lets every concurrent or replicated refresh of one token converge on the same successor
 * without storing a usable token in KV. Without the secret it is as unpredictable as random bytes.
 */
export const successorOf = (token: string, secret: string): Promise<string> =>
  hmac(secret, SUCCESSOR_PREFIX + token)
