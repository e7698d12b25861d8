// Webhooks as an attacker would use them: to make the worker call into a private network (SSRF),
// by URL, by a redirect, by a row changed after registration; to read a secret back; to replay
// a stale queue message. Every delivery here goes through the real consumer and a real socket.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { checkWebhookUrl } from '../../src/outbound/webhook-post'
import { captureLogs } from '../helpers'
import { hits, script, serverOrigin, uniquePath } from '../global/scripted'
import {
  deliveryRows,
  event,
  receiverAt,
  recordingFetch,
  recordingQueue,
  register,
  runBatch,
  webhookEnv,
} from '../consumers/webhooks-harness'

afterEach(() => vi.restoreAllMocks())

const pathOf = (url: string) => new URL(url).pathname

/** An endpoint registered at a good URL, then pointed at `target` in D1 behind the API's back. */
async function pointedAt(target: string, envOverrides = {}) {
  const q = recordingQueue()
  const e = webhookEnv(q, envOverrides)
  const created = await register(webhookEnv(q), 'https://hooks.example.com/ok')
  await env.DB.prepare('UPDATE webhook_endpoints SET url = ? WHERE id = ?')
    .bind(target, created.endpoint.id)
    .run()
  q.take()
  await runBatch(e, [{ body: { kind: 'event', event: event() } }])
  const [row] = await deliveryRows(created.endpoint.id)
  const message = q.take().find((m) => m.kind === 'delivery' && m.deliveryId === row!.id)!
  return { e, message, id: created.endpoint.id }
}

describe('SSRF: no delivery to a refused address, checked again before every attempt', () => {
  for (const target of [
    'https://10.0.0.8/hook',
    'https://169.254.169.254/latest/meta-data/iam',
    'https://[fd00::8]/hook',
    'https://localhost/hook',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://nas.local/hook',
    'https://admin.localhost/hook',
    'http://hooks.example.com/hook',
    'https://hooks.example.com:2375/containers',
  ]) {
    it(`never sends to ${target}: dead at once, no retry`, async () => {
      const { e, message, id } = await pointedAt(target)
      const { received, fetcher } = recordingFetch()
      const { ids, result } = await runBatch(e, [{ body: message }], { fetcher })
      expect(received).toEqual([])
      expect(result.explicitAcks).toEqual(ids)
      expect(result.retryMessages).toEqual([])
      expect((await deliveryRows(id))[0]).toMatchObject({
        status: 'dead',
        last_error: 'url_refused',
      })
    })
  }

  it('refuses a loopback receiver once WEBHOOKS_ALLOW_LOOPBACK is off (or JWT_ISSUER public)', async () => {
    const url = await receiverAt({ status: 200 })
    for (const overrides of [
      { WEBHOOKS_ALLOW_LOOPBACK: 'off' },
      { WEBHOOKS_ALLOW_LOOPBACK: 'on', JWT_ISSUER: 'https://auth.example.com' },
      { WEBHOOKS_ALLOW_LOOPBACK: 'yes' },
    ]) {
      const { e, message, id } = await pointedAt(url, overrides)
      await runBatch(e, [{ body: message }])
      expect((await deliveryRows(id))[0]).toMatchObject({
        status: 'dead',
        last_error: 'url_refused',
      })
    }
    expect(await hits(pathOf(url))).toBe(0)
  })

  it('does not follow a redirect, to a private range or anywhere: a 3xx is a failed attempt', async () => {
    const inside = uniquePath('inside')
    await script({ path: inside, status: 200 })
    const url = await receiverAt({
      status: 307,
      headers: { location: `${serverOrigin()}${inside}` },
    })
    const url2 = await receiverAt({ status: 302, headers: { location: 'http://169.254.169.254/' } })
    for (const target of [url, url2]) {
      const { e, message, id } = await pointedAt(target)
      const { result } = await runBatch(e, [{ body: message }])
      expect(result.retryMessages).toHaveLength(1)
      expect((await deliveryRows(id))[0]).toMatchObject({
        status: 'pending',
        last_error: 'redirect_refused',
      })
    }
    expect(await hits(inside)).toBe(0)
    expect(await hits(pathOf(url))).toBe(1)
  })

  it('checks the names the platform cannot: reserved suffixes, any case, trailing dot', () => {
    for (const url of [
      'https://API.LOCALHOST/x',
      'https://db.Internal/x',
      'https://x.home.arpa/x',
      'https://x.corp/x',
      'https://example.com./x',
    ]) {
      expect(() => checkWebhookUrl(url, true), url).toThrow()
    }
    expect(checkWebhookUrl('https://hooks.example.com/x').hostname).toBe('hooks.example.com')
  })
})

describe('secrets and replays', () => {
  it('never writes a secret, or a receiver’s body, to a log line while delivering', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const lines = captureLogs()
    const url = await receiverAt({ status: 500, body: 'secret-ish receiver text' })
    const { secret, endpoint } = await register(e, url)
    await runBatch(e, [{ body: { kind: 'event', event: event() } }])
    const [row] = await deliveryRows(endpoint.id)
    const message = q.take().find((m) => m.kind === 'delivery' && m.deliveryId === row!.id)
    const { received, fetcher } = recordingFetch()
    await runBatch(e, [{ body: message }], { fetcher })
    await runBatch(e, [{ body: message, attempts: 9 }], { fetcher })
    const all = lines.join('\n')
    expect(received).toHaveLength(2)
    expect(all).not.toContain(secret.slice(6))
    expect(all).not.toContain('secret-ish')
    // Nor a signature (which would let anyone holding the log forge that one body's delivery).
    for (const r of received) expect(all).not.toContain(r.headers['webhook-signature']!.slice(3))
    expect(all).toContain('webhook_attempt_failed')
    expect(all).toContain('webhook_dead')
  })

  it('ignores a forged or replayed queue message for a delivery that is settled or unknown', async () => {
    const q = recordingQueue()
    const e = webhookEnv(q)
    const url = await receiverAt({ status: 200 })
    const { endpoint } = await register(e, url)
    await runBatch(e, [{ body: { kind: 'event', event: event() } }])
    const [row] = await deliveryRows(endpoint.id)
    const message = q.take().find((m) => m.kind === 'delivery' && m.deliveryId === row!.id)
    await runBatch(e, [{ body: message }])
    expect(await hits(pathOf(url))).toBe(1)
    for (const body of [
      message,
      { kind: 'delivery', deliveryId: row!.id, round: 5 },
      { kind: 'delivery', deliveryId: 'msg_unknown', round: 0 },
    ]) {
      const { ids, result } = await runBatch(e, [{ body }])
      expect(result.explicitAcks).toEqual(ids)
    }
    expect(await hits(pathOf(url))).toBe(1)
  })
})
