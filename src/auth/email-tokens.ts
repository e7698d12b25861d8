// The tokens in emailed links: 32 random bytes, base64url, stored only as an HMAC under
// REFRESH_TOKEN_SECRET (prefixed, so no other token's digest can equal one), so a copy of D1
// holds no usable link.
import { fromBase64Url, randomBytes, toBase64Url } from './encoding'
import { hmacBase64Url } from './hmac-keys'

const TOKEN_BYTES = 32

export const newEmailToken = (): string => toBase64Url(randomBytes(TOKEN_BYTES))

/** Only the exact shape issued; anything else is refused before it reaches D1. */
export const isEmailTokenShaped = (token: string): boolean =>
  token.length === 43 && fromBase64Url(token)?.byteLength === TOKEN_BYTES

export const emailTokenId = (token: string, secret: string): Promise<string> =>
  hmacBase64Url(secret, `email-token:${token}`)
