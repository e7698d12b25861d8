// HMAC-SHA256 keys, imported once per isolate and secret: importing costs more than signing.
import { utf8 } from './encoding'

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
