// A receiver for edge-auth's webhooks, as a Cloudflare Worker: checks each delivery's Standard
// Webhooks signature against the raw body (and that its timestamp is within five minutes), acts
// on each delivery once, and answers 2xx only when the event is handled, so edge-auth retries
// anything else. test/examples/webhook-receiver.test.ts sends it real deliveries.
import { Webhook, WebhookVerificationError } from 'standardwebhooks'

/** What edge-auth POSTs (docs/operations.md, "Webhooks"). */
export type EdgeAuthEvent = {
  /** user.created, session.ended…, or webhook.test for a ping. */
  type: string
  /** When the event happened (ISO 8601): order by it, not by arrival. */
  timestamp: string
  data: {
    event_id: string
    user_id?: string
    actor?: { type: string; id: string | null }
    [detail: string]: unknown
  }
}

/** Where the receiver notes the webhook-ids it has handled (retries and redeliveries repeat one). */
export type SeenStore = {
  has(id: string): Promise<boolean>
  add(id: string): Promise<void>
}

export type ReceiverOptions = {
  /** The endpoint's secret (`whsec_…`), from POST /admin/webhooks or its rotate-secret. */
  secret: string
  seen: SeenStore
  /** Your work. Throw to have edge-auth retry the delivery later. */
  handle: (event: EdgeAuthEvent, deliveryId: string) => Promise<void>
}

/** A fetch handler for the webhook URL. */
export function webhookReceiver({ secret, seen, handle }: ReceiverOptions) {
  const webhook = new Webhook(secret)
  return async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return new Response(null, { status: 405 })
    // The raw body: the signature covers these exact bytes, not a re-serialised JSON.
    const body = await request.text()
    const headers = Object.fromEntries(request.headers)
    let event: EdgeAuthEvent
    try {
      // During a secret rotation the header has two signatures; either one verifies.
      event = webhook.verify(body, headers) as EdgeAuthEvent
    } catch (err) {
      if (err instanceof WebhookVerificationError) return new Response(null, { status: 401 })
      throw err
    }
    const deliveryId = headers['webhook-id']!
    if (await seen.has(deliveryId)) return new Response(null, { status: 204 })
    await handle(event, deliveryId)
    await seen.add(deliveryId)
    return new Response(null, { status: 204 })
  }
}

type Env = { WEBHOOK_SECRET: string; SEEN: KVNamespace }

/** Seen ids kept a week: longer than edge-auth's retries (about 7.7 hours) and most redeliveries. */
const SEEN_TTL_SECONDS = 7 * 24 * 60 * 60

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const receive = webhookReceiver({
      secret: env.WEBHOOK_SECRET,
      // KV is eventually consistent: a duplicate may still slip through at once, so keep
      // `handle` idempotent too (upserts keyed by data.event_id).
      seen: {
        has: async (id) => (await env.SEEN.get(`webhook:${id}`)) !== null,
        add: (id) => env.SEEN.put(`webhook:${id}`, '1', { expirationTtl: SEEN_TTL_SECONDS }),
      },
      handle: async (event) => {
        switch (event.type) {
          case 'user.deleted':
            // e.g. delete the user's rows in your own database
            break
          case 'user.disabled':
          case 'session.ended':
            // e.g. drop your own caches of the user's sessions
            break
          default:
            // Types you did not subscribe to never arrive, but new ones may be added: ignore them.
            break
        }
      },
    })
    return receive(request)
  },
}
