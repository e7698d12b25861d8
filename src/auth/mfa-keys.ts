// The keys derived from MFA_ENCRYPTION_KEY: one AES-GCM key that seals TOTP secrets at rest and
// the single-use ceremony tokens (WebAuthn challenges, MFA tokens) it hands out, and one HMAC key
// for recovery codes. HKDF keeps the two uses apart; AES-GCM's associated data keeps each sealed
// value to its purpose (and a TOTP secret to its user), so one cannot be replayed as another.
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from './encoding'

export type MfaKeys = { aead: CryptoKey; mac: CryptoKey }

const IV_BYTES = 12

async function derive(secretHex: string): Promise<MfaKeys> {
  const bytes = new Uint8Array(secretHex.match(/../g)!.map((pair) => parseInt(pair, 16)))
  const master = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveKey'])
  const hkdf = (info: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: utf8(info),
  })
  const [aead, mac] = await Promise.all([
    crypto.subtle.deriveKey(
      hkdf('edge-auth aead v1'),
      master,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    ),
    crypto.subtle.deriveKey(
      hkdf('edge-auth recovery codes v1'),
      master,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    ),
  ])
  return { aead, mac }
}

// Deriving costs more than using; each isolate does it once per secret.
let cached: { secret: string; keys: Promise<MfaKeys> } | undefined

/** The keys for a validated MFA_ENCRYPTION_KEY (64 hex characters; env.ts checks it). */
export function mfaKeys(secretHex: string): Promise<MfaKeys> {
  if (cached?.secret !== secretHex) cached = { secret: secretHex, keys: derive(secretHex) }
  return cached.keys
}

/** Encrypts `plain` for `purpose`: base64url of a fresh 96-bit IV and the ciphertext with its tag. */
export async function seal(keys: MfaKeys, purpose: string, plain: Uint8Array): Promise<string> {
  const iv = randomBytes(IV_BYTES)
  const algorithm = { name: 'AES-GCM', iv, additionalData: utf8(purpose) }
  const cipher = new Uint8Array(await crypto.subtle.encrypt(algorithm, keys.aead, plain))
  const out = new Uint8Array(IV_BYTES + cipher.byteLength)
  out.set(iv)
  out.set(cipher, IV_BYTES)
  return toBase64Url(out)
}

/** The plaintext of a value sealed for `purpose`, or null: tampered, truncated, or another purpose's. */
export async function unseal(
  keys: MfaKeys,
  purpose: string,
  sealed: string,
): Promise<Uint8Array | null> {
  const bytes = fromBase64Url(sealed)
  if (!bytes || bytes.byteLength <= IV_BYTES + 16) return null
  const algorithm = { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: utf8(purpose) }
  try {
    return new Uint8Array(await crypto.subtle.decrypt(algorithm, keys.aead, bytes.slice(IV_BYTES)))
  } catch {
    return null
  }
}

/** A keyed hash of a short secret (a recovery code), so a copy of D1 cannot be tried offline. */
export async function macOf(keys: MfaKeys, purpose: string, value: string): Promise<string> {
  return toBase64Url(await crypto.subtle.sign('HMAC', keys.mac, utf8(`${purpose}:${value}`)))
}
