// The webhook queue's consumer, in the same worker as the requests that produce its messages
// (the write queue's batches are handed to consumers/writes.ts). Two webhook queues reach it
// (wrangler.toml): edge-auth-webhooks, whose `event` messages fan out to the
// subscribed endpoints and whose `delivery` messages are one attempt each (services/webhooks.ts);
// and its dead-letter queue, which gets a message only when every attempt threw before it could
// be recorded (D1 down all along), so the delivery is marked dead there. There is no request,
// so no Host: the stores are built from the bindings directly, and no issuer is needed.
import { mfaKeys } from '../auth/mfa-keys'
import { type Bindings, settings } from '../env'
import { log, setLogLevel } from '../log'
import { logOnly } from '../services/events'
import { retryDelaySeconds, WebhookService } from '../services/webhooks'
import { webhookStores } from '../store/webhook-endpoints'
import type { WebhookMessage } from '../store/webhook-queue'
import { WRITE_QUEUE, writes } from './writes'

/** wrangler.toml's dead-letter queue: its messages are given up on, not delivered. */
export const DEAD_LETTER_QUEUE = 'edge-auth-webhooks-dlq'

/** Test seams: the fetch deliveries use, a shorter timeout. */
export type ConsumerOptions = { fetcher?: typeof fetch; timeoutMs?: number }

/** The service for the consumer, built from the bindings (there is no request). */
export function webhookService(env: Bindings, options: ConsumerOptions = {}): WebhookService {
  return new WebhookService({
    ...webhookStores(env),
    mfaKeys: () => mfaKeys(settings(env).mfaKey),
    allowLoopback: () => settings(env).webhooksAllowLoopback,
    events: logOnly(),
    ...options,
  })
}

/** A body we never send is dropped (acked), not retried: no attempt could make it valid. */
function parse(body: unknown): WebhookMessage | null {
  if (typeof body !== 'object' || body === null) return null
  const m = body as Record<string, unknown>
  if (m.kind === 'delivery' && typeof m.deliveryId === 'string' && Number.isInteger(m.round)) {
    return m as WebhookMessage
  }
  if (m.kind === 'event' && typeof m.event === 'object' && m.event !== null) {
    const e = m.event as Record<string, unknown>
    if (typeof e.id === 'string' && typeof e.type === 'string' && typeof e.at === 'number') {
      return m as WebhookMessage
    }
  }
  return null
}

async function handle(service: WebhookService, message: Message, deadLetter: boolean) {
  const body = parse(message.body)
  if (!body) {
    log.error('webhook_message_malformed', { messageId: message.id })
    message.ack()
    return
  }
  if (deadLetter) {
    if (body.kind === 'delivery') await service.deadLettered(body.deliveryId, body.round)
    // The event is still in the audit log; no endpoint will hear of it.
    else log.error('webhook_event_dead', { eventId: body.event.id, type: body.event.type })
    message.ack()
    return
  }
  if (body.kind === 'event') {
    await service.fanOut(body.event)
    message.ack()
    return
  }
  const outcome = await service.deliver(body.deliveryId, body.round, message.attempts)
  if (outcome.retry) message.retry({ delaySeconds: outcome.delaySeconds })
  else message.ack()
}

export async function queue(
  batch: MessageBatch,
  env: Bindings,
  _ctx?: ExecutionContext,
  options: ConsumerOptions = {},
): Promise<void> {
  setLogLevel(settings(env).logLevel)
  // The batched writes (sessions' last use) have their own consumer.
  if (batch.queue === WRITE_QUEUE) return writes(batch, env)
  const service = webhookService(env, options)
  const deadLetter = batch.queue === DEAD_LETTER_QUEUE
  // Each message on its own: one slow receiver (up to its 10 s) does not hold up the others,
  // and one that throws (D1 unavailable) is retried alone, with the same backoff.
  await Promise.all(
    batch.messages.map((message) =>
      handle(service, message, deadLetter).catch((err: unknown) => {
        log.error('webhook_message_failed', {
          messageId: message.id,
          attempt: message.attempts,
          errorName: err instanceof Error ? err.name : typeof err,
        })
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
      }),
    ),
  )
}
