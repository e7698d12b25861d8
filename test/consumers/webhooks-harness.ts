// The webhook tests' harness: an environment whose queue records what is sent (the test then
// hands those messages to the consumer itself, so nothing runs in the background), a receiver
// that records each delivery on its way to the scripted loopback server, and batches run
// through the real queue handler.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { vi } from 'vitest'
import type { Bindings } from '../../src/env'
import { type ConsumerOptions, queue, webhookService } from '../../src/consumers/queue'
import type { WebhookEventType, WebhookMessage } from '../../src/store/webhook-queue'
import { script, serverOrigin, uniquePath } from '../global/scripted'
import type { Script } from '../global/outbound-server'

export const WEBHOOK_QUEUE = 'edge-auth-webhooks'

/** A queue double: what was sent, in order. */
export function recordingQueue() {
  const sent: WebhookMessage[] = []
  const double = {
    sent,
    send: async (body: WebhookMessage) => void sent.push(body),
    sendBatch: async (batch: Iterable<{ body: WebhookMessage }>) => {
      for (const m of batch) sent.push(m.body)
    },
    /** The messages sent since the last take. */
    take: () => sent.splice(0, sent.length),
  }
  return double
}

export type RecordingQueue = ReturnType<typeof recordingQueue>

/** The worker's env with the recording queue and loopback endpoints allowed (as in development). */
export const webhookEnv = (q: RecordingQueue, overrides: Partial<Bindings> = {}): Bindings =>
  ({
    ...env,
    WEBHOOKS: q as unknown as Queue,
    WEBHOOKS_ALLOW_LOOPBACK: 'on',
    ...overrides,
  }) as Bindings

/** One request a receiver got. */
export type Received = { url: string; headers: Record<string, string>; body: string }

/** A fetch that records each request, then sends it on for real. */
export function recordingFetch() {
  const received: Received[] = []
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers: Record<string, string> = {}
    new Headers(init?.headers).forEach((value, key) => (headers[key] = value))
    received.push({ url: String(input), headers, body: String(init?.body ?? '') })
    return fetch(input, init)
  }) as typeof fetch
  return { received, fetcher }
}

/** A path on the scripted server answering as `answer` says; returns its URL. */
export const receiverAt = (answer: Omit<Script, 'path'> = { status: 204 }) =>
  script({ path: uniquePath('hooks'), ...answer })

export const loopbackUrl = (path: string) => `${serverOrigin()}${path}`

/** Registers an endpoint through the service, as the admin API does. */
export async function register(
  e: Bindings,
  url: string,
  eventTypes: WebhookEventType[] = ['user.created'],
) {
  return webhookService(e).create({ url, eventTypes, description: 'test' })
}

let seq = 0

/** Runs `bodies` through the exported queue handler as one batch; answers what it acked/retried. */
export async function runBatch(
  e: Bindings,
  bodies: { body: unknown; attempts?: number }[],
  options: ConsumerOptions = {},
  queueName = WEBHOOK_QUEUE,
) {
  const messages = bodies.map((m) => ({
    id: `m${++seq}`,
    timestamp: new Date(),
    attempts: m.attempts ?? 1,
    body: m.body,
  }))
  const batch = createMessageBatch(queueName, messages)
  // getQueueResult does not report a retry's delay: the messages' retry calls do.
  const retries: { msgId: string; delaySeconds?: number }[] = []
  for (const message of batch.messages) {
    const retry = message.retry.bind(message)
    vi.spyOn(message, 'retry').mockImplementation((opts?: QueueRetryOptions) => {
      retries.push({ msgId: message.id, delaySeconds: opts?.delaySeconds })
      retry(opts)
    })
  }
  const ctx = createExecutionContext()
  await queue(batch, e, ctx, options)
  const result = await getQueueResult(batch, ctx)
  return { ids: messages.map((m) => m.id), result: { ...result, retryMessages: retries } }
}

/** A webhook event as the event sink publishes it. */
export const event = (type: WebhookEventType = 'user.created', userId = crypto.randomUUID()) => ({
  id: crypto.randomUUID(),
  at: Date.now(),
  type,
  userId,
  actor: { type: 'user' as const, id: userId },
  detail: { method: 'password' },
})

/** The delivery rows of an endpoint, straight from D1. */
export const deliveryRows = async (endpointId: string) =>
  (
    await env.DB.prepare(
      'SELECT * FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at',
    )
      .bind(endpointId)
      .all<Record<string, unknown>>()
  ).results
