// Standard Webhooks signing, checked only by the reference library (standardwebhooks), never by
// our own code: what a receiver following the spec accepts, and what it must refuse.
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import {
  formatWebhookSecret,
  newWebhookSecretBytes,
  signWebhook,
  WEBHOOK_SECRET_BYTES,
} from '../../src/auth/webhook-signatures'

const body = JSON.stringify({
  type: 'user.created',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: {},
})
const nowS = () => Math.floor(Date.now() / 1000)

describe('webhook secrets', () => {
  it('are whsec_ and the standard base64 of 32 fresh random bytes', () => {
    const a = newWebhookSecretBytes()
    const b = newWebhookSecretBytes()
    expect(a.byteLength).toBe(WEBHOOK_SECRET_BYTES)
    expect(a).not.toEqual(b)
    const text = formatWebhookSecret(a)
    expect(text).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Uint8Array.from(atob(text.slice(6)), (c) => c.charCodeAt(0))).toEqual(a)
  })
})

describe('signWebhook', () => {
  it('signs what the reference library verifies, and the body it returns is the one sent', async () => {
    const key = newWebhookSecretBytes()
    const headers = await signWebhook([key], 'msg_abc', nowS(), body)
    expect(headers['webhook-id']).toBe('msg_abc')
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(new Webhook(formatWebhookSecret(key)).verify(body, headers)).toEqual(JSON.parse(body))
  })

  it('fails verification for another body, id, timestamp or secret', async () => {
    const key = newWebhookSecretBytes()
    const ts = nowS()
    const headers = await signWebhook([key], 'msg_abc', ts, body)
    const wh = new Webhook(formatWebhookSecret(key))
    expect(() => wh.verify(body.replace('created', 'deleted'), headers)).toThrow()
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_abd' })).toThrow()
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(ts - 1) })).toThrow()
    const other = new Webhook(formatWebhookSecret(newWebhookSecretBytes()))
    expect(() => other.verify(body, headers)).toThrow('No matching signature')
  })

  it('carries one signature per key during a rotation, each verifying with its own secret', async () => {
    const current = newWebhookSecretBytes()
    const previous = newWebhookSecretBytes()
    const headers = await signWebhook([current, previous], 'msg_rot', nowS(), body)
    const parts = headers['webhook-signature'].split(' ')
    expect(parts).toHaveLength(2)
    expect(parts[0]).not.toBe(parts[1])
    for (const [key, signature] of [
      [current, parts[0]!],
      [previous, parts[1]!],
    ] as const) {
      const wh = new Webhook(formatWebhookSecret(key))
      expect(wh.verify(body, { ...headers, 'webhook-signature': signature })).toBeTruthy()
      expect(wh.verify(body, headers)).toBeTruthy()
    }
    // A third secret matches neither.
    expect(() =>
      new Webhook(formatWebhookSecret(newWebhookSecretBytes())).verify(body, headers),
    ).toThrow()
  })

  it('refuses to sign with no key: an unsigned delivery is never sent', async () => {
    await expect(signWebhook([], 'msg_x', nowS(), body)).rejects.toThrow()
  })

  it('is refused by receivers when the timestamp is over five minutes old (replay)', async () => {
    const key = newWebhookSecretBytes()
    const headers = await signWebhook([key], 'msg_old', nowS() - 301, body)
    expect(() => new Webhook(formatWebhookSecret(key)).verify(body, headers)).toThrow('too old')
  })
})
