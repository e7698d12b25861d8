// HMAC-SHA256 keys, imported once per isolate and secret: importing costs more than signing.
import { toBase64Url, utf8 } from './encoding'

/** A per-purpose cache; each caller keeps its own, so keys for different usages never mix. */
export function hmacKeyCache(usages: string[]): (secret: string) => Promise<CryptoKey> {
  let cached: { secret: string; key: Promise<CryptoKey> } | undefined
  return (secret) => {
    if (cached?.secret !== secret) {
      const algorithm = { name: 'HMAC', hash: 'SHA-256' }
      cached = {
        secret,
        key: crypto.subtle.importKey('raw', utf8(secret), algorithm, false, usages),
      }
    }
    return cached.key
  }
}

const signingKey = hmacKeyCache(['sign'])

/** HMAC-SHA256 of `message` under `secret`, base64url: how opaque tokens are stored and derived. */
export async function hmacBase64Url(secret: string, message: string): Promise<string> {
  return toBase64Url(await crypto.subtle.sign('HMAC', await signingKey(secret), utf8(message)))
}
