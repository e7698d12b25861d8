// Standard Webhooks signing (https://www.standardwebhooks.com, spec 1.0.0): the secrets and the
// three headers every delivery carries. Pure: no bindings; the secrets arrive already unsealed.
//
// signed content = `${webhook-id}.${webhook-timestamp}.${body}`
// webhook-signature = space-separated `v1,` + base64(HMAC-SHA256(secret bytes, signed content)),
// one per valid secret (two during a rotation's overlap; a receiver accepts any that matches).
import { randomBytes, utf8 } from './encoding'

/** The spec's prefix for a symmetric secret: `whsec_` + base64 of its bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_'

/** 32 bytes: the HMAC-SHA256 key is as long as the hash (the spec asks for 24 to 64). */
export const WEBHOOK_SECRET_BYTES = 32

/** The AES-GCM purpose an endpoint's secret is sealed for: bound to that endpoint alone. */
export const webhookSecretPurpose = (endpointId: string) => `webhook-secret:${endpointId}`

const toBase64 = (bytes: Uint8Array): string => {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** A fresh secret's bytes. */
export const newWebhookSecretBytes = (): Uint8Array<ArrayBuffer> =>
  randomBytes(WEBHOOK_SECRET_BYTES)

/** How a secret is shown to the admin (once): `whsec_` + standard base64, as the spec writes it. */
export const formatWebhookSecret = (bytes: Uint8Array): string =>
  WEBHOOK_SECRET_PREFIX + toBase64(bytes)

/** The three Standard Webhooks headers of one attempt. */
export type WebhookSignatureHeaders = {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * Signs `body` (the exact bytes sent) for message `id` at `timestampSeconds`, once per key, and
 * returns the headers. Throws on no keys: an unsigned delivery is never sent.
 */
export async function signWebhook(
  keys: readonly Uint8Array[],
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<WebhookSignatureHeaders> {
  if (keys.length === 0) throw new Error('no webhook secret to sign with')
  const content = utf8(`${id}.${timestampSeconds}.${body}`)
  const signatures = await Promise.all(
    keys.map(async (raw) => {
      const key = await crypto.subtle.importKey(
        'raw',
        raw as Uint8Array<ArrayBuffer>,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, content)))}`
    }),
  )
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatures.join(' '),
  }
}
