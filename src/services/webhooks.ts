// Webhooks: the endpoints admins manage, and delivery. The queue consumer (consumers/queue.ts)
// calls fanOut for each event (one delivery row and one queue message per subscribed endpoint)
// and deliver for each delivery message (sign, POST, record, and say whether to retry). Signed
// per Standard Webhooks (auth/webhook-signatures.ts); secrets sealed at rest under
// MFA_ENCRYPTION_KEY and shown only when made. Knows nothing of Hono or bindings.
import { now, nowSeconds } from '../clock'
import { ApiError } from '../errors'
import { log } from '../log'
import { type MfaKeys, seal, unseal } from '../auth/mfa-keys'
import { randomBytes, toBase64Url } from '../auth/encoding'
import {
  formatWebhookSecret,
  newWebhookSecretBytes,
  signWebhook,
  webhookSecretPurpose,
} from '../auth/webhook-signatures'
import { OutboundError } from '../outbound/fetch'
import { checkWebhookUrl, postWebhook } from '../outbound/webhook-post'
import type {
  EndpointChanges,
  WebhookEndpoint,
  WebhookEndpointStore,
} from '../store/webhook-endpoints'
import type { WebhookDelivery, WebhookDeliveryStore } from '../store/webhook-deliveries'
import type { WebhookEvent, WebhookEventType, WebhookQueue } from '../store/webhook-queue'
import type { EventSink } from './events'
import { decodeCursor, pageOf, readTimeAndId } from './cursor'

/**
 * Attempts per queue message: wrangler.toml's `max_retries = 8` plus the first one
 * (test/consumers/queue.test.ts reads wrangler.toml to keep the two in step).
 */
export const MAX_DELIVERY_ATTEMPTS = 9

/**
 * Seconds before the next attempt, after failed attempt n (index n - 1): about 7.7 hours from
 * first to last, so a receiver down for a deploy or a night still gets everything.
 */
export const RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14400] as const

/** Queues refuses a longer delaySeconds (12 hours). */
export const QUEUE_MAX_DELAY_SECONDS = 43_200

/** A rotated-out secret still signs for a day, so receivers can switch without missing one. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000

/** The type of the ping POST /admin/webhooks/{id}/test sends (no subscription needed). */
export const WEBHOOK_TEST_TYPE = 'webhook.test'

/** Seconds to wait after failed attempt `attempt` (1-based). */
export const retryDelaySeconds = (attempt: number): number =>
  Math.min(
    RETRY_DELAYS_SECONDS[Math.min(attempt, RETRY_DELAYS_SECONDS.length) - 1] ?? 5,
    QUEUE_MAX_DELAY_SECONDS,
  )

export type WebhookDeps = {
  endpoints: WebhookEndpointStore
  deliveries: WebhookDeliveryStore
  queue: Pick<WebhookQueue, 'deliver'>
  mfaKeys: () => Promise<MfaKeys>
  /** WEBHOOKS_ALLOW_LOOPBACK; may throw ConfigError, which counts as no (fail closed). */
  allowLoopback: () => boolean
  events: EventSink
  /** The fetch deliveries use; tests may pass a double. Default: the global fetch. */
  fetcher?: typeof fetch
  /** Tests only: a shorter wait than WEBHOOK_TIMEOUT_MS. */
  timeoutMs?: number
}

/** An endpoint as the admin API shows it: never a secret, sealed or not. */
export type EndpointView = {
  id: string
  url: string
  eventTypes: WebhookEventType[]
  description: string
  disabled: boolean
  createdAt: number
  updatedAt: number
  /** While a rotated-out secret still signs: until when. */
  previousSecretExpiresAt: number | null
}

/** A delivery as the log shows it: the payload (ours, not secret), never a receiver's body. */
export type DeliveryView = Omit<WebhookDelivery, 'round'>

/** What the consumer does with a delivery message. */
export type DeliveryOutcome = { retry: false } | { retry: true; delaySeconds: number }

const id = (prefix: string) => `${prefix}_${toBase64Url(randomBytes(16))}`

export const viewOf = (e: WebhookEndpoint, at = now()): EndpointView => ({
  id: e.id,
  url: e.url,
  eventTypes: e.eventTypes,
  description: e.description,
  disabled: e.disabled,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  previousSecretExpiresAt:
    e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > at
      ? e.previousSecretExpiresAt
      : null,
})

const deliveryView = ({ round: _round, ...rest }: WebhookDelivery): DeliveryView => rest

/**
 * The body every attempt of an event's delivery sends (spec: type, timestamp, data). The event's
 * own id and time are in it, so receivers can order and deduplicate across endpoints: Queues
 * does not keep order, and a retried delivery arrives after later events.
 */
export function payloadOf(event: WebhookEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: { event_id: event.id, user_id: event.userId, ...event.detail, actor: event.actor },
  })
}

/** A page request: its size and the previous page's cursor. */
export type Page = { limit: number; cursor?: string | undefined }

/** Endpoints and deliveries are listed by (created_at, id): their cursors name that position. */
const cursorAt = (row: { createdAt: number; id: string }) => ({ at: row.createdAt, id: row.id })

function positionOf(cursor: string | undefined): { createdAt: number; id: string } | undefined {
  if (cursor === undefined) return undefined
  const { at, id } = decodeCursor(cursor, readTimeAndId)
  return { createdAt: at, id }
}

export class WebhookService {
  constructor(private readonly deps: WebhookDeps) {}

  private loopbackAllowed(): boolean {
    try {
      return this.deps.allowLoopback()
    } catch {
      return false
    }
  }

  private checkUrl(url: string): void {
    try {
      checkWebhookUrl(url, this.loopbackAllowed())
    } catch {
      throw new ApiError(
        'webhook_url_refused',
        'A webhook URL must be https to a public host name on the default port',
      )
    }
  }

  private async endpoint(endpointId: string): Promise<WebhookEndpoint> {
    const found = await this.deps.endpoints.get(endpointId)
    if (!found) throw new ApiError('webhook_not_found', 'No webhook endpoint with that id')
    return found
  }

  // ---- Admin API ------------------------------------------------------------------------

  /** Registers an endpoint; the answer carries its secret, which is never shown again. */
  async create(input: {
    url: string
    eventTypes: WebhookEventType[]
    description?: string
  }): Promise<{ endpoint: EndpointView; secret: string }> {
    this.checkUrl(input.url)
    const at = now()
    const endpointId = id('wh')
    const bytes = newWebhookSecretBytes()
    const keys = await this.deps.mfaKeys()
    const endpoint: WebhookEndpoint = {
      id: endpointId,
      url: input.url,
      eventTypes: [...new Set(input.eventTypes)],
      description: input.description ?? '',
      disabled: false,
      secret: await seal(keys, webhookSecretPurpose(endpointId), bytes),
      previousSecret: null,
      previousSecretExpiresAt: null,
      createdAt: at,
      updatedAt: at,
    }
    await this.deps.endpoints.create(endpoint)
    this.deps.events.emit('webhook_created', { webhookId: endpointId })
    return { endpoint: viewOf(endpoint, at), secret: formatWebhookSecret(bytes) }
  }

  /** The endpoints, oldest first, a page at a time. */
  async list(page: Page): Promise<{ items: EndpointView[]; nextCursor: string | null }> {
    const at = now()
    const rows = await this.deps.endpoints.list(page.limit + 1, positionOf(page.cursor))
    const { items, nextCursor } = pageOf(rows, page.limit, cursorAt)
    return { items: items.map((e) => viewOf(e, at)), nextCursor }
  }

  async get(endpointId: string): Promise<EndpointView> {
    return viewOf(await this.endpoint(endpointId))
  }

  /** Changes what is given; an empty change answers the endpoint as it is, and records nothing. */
  async update(endpointId: string, changes: EndpointChanges): Promise<EndpointView> {
    if (Object.values(changes).every((value) => value === undefined)) return this.get(endpointId)
    if (changes.url !== undefined) this.checkUrl(changes.url)
    const eventTypes = changes.eventTypes ? [...new Set(changes.eventTypes)] : undefined
    const updated = await this.deps.endpoints.update(endpointId, { ...changes, eventTypes }, now())
    if (!updated) throw new ApiError('webhook_not_found', 'No webhook endpoint with that id')
    this.deps.events.emit('webhook_updated', { webhookId: endpointId })
    return viewOf(updated)
  }

  /** Deletes the endpoint and its delivery log; queued deliveries find nothing and are dropped. */
  async remove(endpointId: string): Promise<void> {
    if (!(await this.deps.endpoints.remove(endpointId))) {
      throw new ApiError('webhook_not_found', 'No webhook endpoint with that id')
    }
    this.deps.events.emit('webhook_deleted', { webhookId: endpointId })
  }

  /**
   * A new secret, shown once; the old one keeps signing (a second signature) for a day, so the
   * receiver can deploy the new one without refusing a delivery in between.
   */
  async rotateSecret(
    endpointId: string,
  ): Promise<{ secret: string; previousSecretExpiresAt: number }> {
    const at = now()
    const bytes = newWebhookSecretBytes()
    const sealed = await seal(await this.deps.mfaKeys(), webhookSecretPurpose(endpointId), bytes)
    const expires = at + PREVIOUS_SECRET_TTL_MS
    if (!(await this.deps.endpoints.rotateSecret(endpointId, sealed, expires, at))) {
      throw new ApiError('webhook_not_found', 'No webhook endpoint with that id')
    }
    this.deps.events.emit('webhook_secret_rotated', { webhookId: endpointId })
    return { secret: formatWebhookSecret(bytes), previousSecretExpiresAt: expires }
  }

  /** The endpoint's delivery log, a page at a time. */
  async deliveries(
    endpointId: string,
    page: Page,
  ): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    await this.endpoint(endpointId)
    const rows = await this.deps.deliveries.listForEndpoint(
      endpointId,
      page.limit + 1,
      positionOf(page.cursor),
    )
    const { items, nextCursor } = pageOf(rows, page.limit, cursorAt)
    return { items: items.map(deliveryView), nextCursor }
  }

  /** Queues a settled delivery again: the same webhook-id and body, a new round of attempts. */
  async redeliver(deliveryId: string): Promise<DeliveryView> {
    const existing = await this.deps.deliveries.get(deliveryId)
    if (!existing) {
      throw new ApiError('webhook_delivery_not_found', 'No webhook delivery with that id')
    }
    const reopened = await this.deps.deliveries.reopen(deliveryId)
    if (!reopened) {
      throw new ApiError('webhook_delivery_pending', 'The delivery is still queued or retrying')
    }
    await this.queueOrSettle(reopened)
    this.deps.events.emit('webhook_redelivered', {
      webhookId: reopened.endpointId,
      deliveryId,
    })
    return deliveryView(reopened)
  }

  /** Queues a `webhook.test` ping to the endpoint, whatever it subscribes to. */
  async test(endpointId: string): Promise<DeliveryView> {
    const endpoint = await this.endpoint(endpointId)
    const at = now()
    const eventId = crypto.randomUUID()
    const payload = JSON.stringify({
      type: WEBHOOK_TEST_TYPE,
      timestamp: new Date(at).toISOString(),
      data: { event_id: eventId, endpoint_id: endpoint.id },
    })
    const [created] = await this.deps.deliveries.createForEvent([
      {
        id: id('msg'),
        endpointId: endpoint.id,
        eventId,
        eventType: WEBHOOK_TEST_TYPE,
        payload,
        createdAt: at,
      },
    ])
    // A fresh id and event: only a row that vanished in between (its endpoint deleted) is none.
    if (!created) throw new ApiError('webhook_not_found', 'No webhook endpoint with that id')
    await this.queueOrSettle(created)
    this.deps.events.emit('webhook_tested', { webhookId: endpoint.id, deliveryId: created.id })
    return deliveryView(created)
  }

  /**
   * Queues a delivery the admin API just made pending. If the queue refuses it, the row is
   * settled as dead (`not_queued`), so it can be redelivered later rather than wait forever for a
   * message that was never sent; the StorageError then answers 503 with Retry-After.
   */
  private async queueOrSettle(delivery: { id: string; round: number }): Promise<void> {
    try {
      await this.deps.queue.deliver([delivery])
    } catch (err) {
      await this.deps.deliveries.settle(delivery.id, delivery.round, 'dead', 'not_queued')
      throw err
    }
  }

  // ---- Queue consumer -------------------------------------------------------------------

  /** One delivery per enabled endpoint subscribed to the event's type; answers how many. */
  async fanOut(event: WebhookEvent): Promise<number> {
    const endpoints = await this.deps.endpoints.subscribedTo(event.type)
    if (endpoints.length === 0) return 0
    const payload = payloadOf(event)
    const at = now()
    const pending = await this.deps.deliveries.createForEvent(
      endpoints.map((e) => ({
        id: id('msg'),
        endpointId: e.id,
        eventId: event.id,
        eventType: event.type,
        payload,
        createdAt: at,
      })),
    )
    await this.deps.queue.deliver(pending)
    return pending.length
  }

  /** The secrets that sign now: the current one, and the previous during its overlap. */
  private async signingKeys(endpoint: WebhookEndpoint, at: number): Promise<Uint8Array[] | null> {
    const keys = await this.deps.mfaKeys()
    const purpose = webhookSecretPurpose(endpoint.id)
    const current = await unseal(keys, purpose, endpoint.secret)
    if (!current) return null
    const previous =
      endpoint.previousSecret !== null && (endpoint.previousSecretExpiresAt ?? 0) > at
        ? await unseal(keys, purpose, endpoint.previousSecret)
        : null
    return previous ? [current, previous] : [current]
  }

  /**
   * One attempt of delivery `deliveryId` in `round`, the queue message's `attempt`-th. Retries
   * (with the delay) on a failure the receiver may recover from, until the last attempt, which
   * marks the delivery dead. A refused URL is dead at once: no retry can make it acceptable.
   */
  async deliver(deliveryId: string, round: number, attempt: number): Promise<DeliveryOutcome> {
    const delivery = await this.deps.deliveries.get(deliveryId)
    // Gone with its endpoint, settled already (a duplicate message), or of an older round.
    if (!delivery || delivery.round !== round || delivery.status !== 'pending') {
      return { retry: false }
    }
    const endpoint = await this.deps.endpoints.get(delivery.endpointId)
    if (!endpoint) return { retry: false }
    if (endpoint.disabled) {
      await this.deps.deliveries.settle(deliveryId, round, 'cancelled', 'endpoint_disabled')
      return { retry: false }
    }
    const at = now()
    const fields = { deliveryId, webhookId: endpoint.id, attempt, round }
    const keys = await this.signingKeys(endpoint, at)
    if (!keys) {
      // MFA_ENCRYPTION_KEY changed since the secret was sealed: rotate the endpoint's secret.
      log.error('webhook_secret_unreadable', fields)
      await this.deps.deliveries.recordAttempt(deliveryId, round, {
        at,
        status: 'dead',
        lastStatus: null,
        lastError: 'secret_unreadable',
        nextAttemptAt: null,
      })
      return { retry: false }
    }
    const headers = await signWebhook(keys, delivery.id, nowSeconds(), delivery.payload)
    try {
      const status = await postWebhook(endpoint.url, delivery.payload, headers, {
        allowLoopback: this.loopbackAllowed(),
        fetcher: this.deps.fetcher,
        timeoutMs: this.deps.timeoutMs,
      })
      await this.deps.deliveries.recordAttempt(deliveryId, round, {
        at,
        status: 'succeeded',
        lastStatus: status,
        lastError: null,
        nextAttemptAt: null,
      })
      log.info('webhook_delivered', { ...fields, status })
      return { retry: false }
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err
      const final = err.reason === 'url_refused' || attempt >= MAX_DELIVERY_ATTEMPTS
      const delaySeconds = retryDelaySeconds(attempt)
      await this.deps.deliveries.recordAttempt(deliveryId, round, {
        at,
        status: final ? 'dead' : 'pending',
        lastStatus: err.upstreamStatus ?? null,
        lastError: err.reason,
        nextAttemptAt: final ? null : at + delaySeconds * 1000,
      })
      log.warn(final ? 'webhook_dead' : 'webhook_attempt_failed', {
        ...fields,
        reason: err.reason,
        status: err.upstreamStatus,
      })
      return final ? { retry: false } : { retry: true, delaySeconds }
    }
  }

  /**
   * A delivery message the queue gave up on (every attempt threw before it could be recorded):
   * dead, if still pending in that round. The last attempt normally marks it itself.
   */
  async deadLettered(deliveryId: string, round: number): Promise<void> {
    if (await this.deps.deliveries.settle(deliveryId, round, 'dead', 'dead_letter')) {
      log.error('webhook_dead', { deliveryId, round, reason: 'dead_letter' })
    }
  }
}
