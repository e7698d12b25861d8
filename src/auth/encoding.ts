// Byte and base64url helpers shared by the password and token code.

// TextEncoder's bytes are never shared memory; the lib's type just does not say so.
export const utf8 = (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>

export function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  let binary = ''
  for (const byte of view) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Whether `text` is canonical, unpadded base64url: only its alphabet, a length some bytes can
 * have, and no stray low bits in the last character (so one byte string has one spelling).
 * Checked without decoding: it runs on every bearer token.
 */
export function isCanonicalBase64Url(text: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return false
  const tail = text.length % 4
  if (tail === 0) return true
  if (tail === 1) return false
  const last = ALPHABET.indexOf(text[text.length - 1]!)
  // Two characters carry one byte (4 bits spare); three carry two (2 bits spare).
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0
}

/** Decodes canonical, unpadded base64url; anything else yields null. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!isCanonicalBase64Url(text)) return null
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export const randomBytes = (length: number): Uint8Array<ArrayBuffer> =>
  crypto.getRandomValues(new Uint8Array(length))

/** Constant-time equality for secrets and their digests. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  return crypto.subtle.timingSafeEqual(a, b)
}

/** base64url(SHA-256(text as UTF-8)): PKCE's code challenge, and digests kept instead of values. */
export const sha256Base64Url = async (text: string): Promise<string> =>
  toBase64Url(await crypto.subtle.digest('SHA-256', utf8(text)))
