// The webhook queue's producer side: the only code that sends to the WEBHOOKS binding. A request
// hands its events here after its response; the queue consumer (consumers/queue.ts) fans them out
// to the subscribed endpoints and delivers them.
import type { Actor, AuditDetail } from './audit-events'
import { guarded } from './errors'

/** What webhook subscribers may ask for (docs/operations.md). */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.disabled',
  'session.created',
  'session.ended',
  'password.changed',
  'mfa.changed',
  'identity.linked',
  'grant.created',
  'grant.revoked',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** One event as webhooks carry it: its audit row's id, time, type, user and detail. */
export type WebhookEvent = {
  id: string
  at: number
  type: WebhookEventType
  userId: string
  actor: Actor
  detail: AuditDetail
}

/** One queue message: an event to fan out to every endpoint subscribed to its type. */
export type WebhookEventMessage = { kind: 'event'; event: WebhookEvent }

/** One queue message: one attempt (and its retries) of a delivery, in its round (redeliveries). */
export type WebhookDeliveryMessage = { kind: 'delivery'; deliveryId: string; round: number }

export type WebhookMessage = WebhookEventMessage | WebhookDeliveryMessage

/** Queues' own cap on one sendBatch call. */
const SEND_BATCH_MAX = 100

export type WebhookQueue = ReturnType<typeof webhookQueue>

export function webhookQueue(queue: Queue) {
  /** Sends in batches Queues accepts. */
  async function send(messages: WebhookMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) {
      const part = messages.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body }))
      await guarded('queue', 'send webhook messages', () => queue.sendBatch(part))
    }
  }
  return {
    /** Queues one message per event, for the consumer to fan out. */
    publish: (events: WebhookEvent[]): Promise<void> =>
      send(events.map((event) => ({ kind: 'event', event }))),

    /** Queues one message per delivery (the fan-out, a redelivery, a test ping). */
    deliver: (deliveries: readonly { id: string; round: number }[]): Promise<void> =>
      send(deliveries.map((d) => ({ kind: 'delivery', deliveryId: d.id, round: d.round }))),
  }
}
