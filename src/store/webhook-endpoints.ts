// Webhook endpoints in D1: the only code that reads or writes the webhook_endpoints table. The
// secrets arrive and leave sealed (services/webhooks.ts seals them); nothing here sees one in
// the clear. Listing is oldest first with an opaque (created_at, id) cursor.
import { now } from '../clock'
import { guarded } from './errors'
import { webhookDeliveryStore } from './webhook-deliveries'
import { type WebhookEventType, webhookQueue } from './webhook-queue'

export type WebhookEndpoint = {
  id: string
  url: string
  eventTypes: WebhookEventType[]
  description: string
  disabled: boolean
  /** Sealed (auth/mfa-keys.ts), for this endpoint's id. */
  secret: string
  /** Sealed; still signs until previousSecretExpiresAt. */
  previousSecret: string | null
  previousSecretExpiresAt: number | null
  createdAt: number
  updatedAt: number
}

type Row = {
  id: string
  url: string
  event_types: string
  description: string
  disabled: number
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: number | null
  created_at: number
  updated_at: number
}

/** A row's types; a hand-edited value that is not a string array reads as none (no deliveries). */
function typesOf(text: string): WebhookEventType[] {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? (value as WebhookEventType[])
      : []
  } catch {
    return []
  }
}

const toEndpoint = (row: Row): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  eventTypes: typesOf(row.event_types),
  description: row.description,
  disabled: row.disabled === 1,
  secret: row.secret,
  previousSecret: row.previous_secret,
  previousSecretExpiresAt: row.previous_secret_expires_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

export type EndpointCursor = { createdAt: number; id: string }

/** What an update may change. */
export type EndpointChanges = Partial<
  Pick<WebhookEndpoint, 'url' | 'eventTypes' | 'description' | 'disabled'>
>

export type WebhookEndpointStore = ReturnType<typeof webhookEndpointStore>

/**
 * How long an isolate trusts its list of subscribed event types. A request's events go to the
 * WEBHOOKS queue only if an enabled endpoint subscribes to their type, so an endpoint created
 * (or enabled, or subscribed to more) in another isolate misses events for up to this long
 * (docs/operations.md); the isolate that made the change forgets its list at once.
 */
export const SUBSCRIBED_TYPES_TTL_MS = 60_000

/**
 * Each database's subscribed types in this isolate, until when they are trusted, and how many
 * endpoint changes this isolate has made (a read that overlapped one is not kept).
 */
const subscribedCache = new WeakMap<
  D1Database,
  { types?: ReadonlySet<string>; until: number; changes: number }
>()
const cacheOf = (db: D1Database) => {
  let entry = subscribedCache.get(db)
  if (!entry) subscribedCache.set(db, (entry = { until: 0, changes: 0 }))
  return entry
}

export function webhookEndpointStore(db: D1Database) {
  /**
   * A change to endpoints, called before and after its write: this isolate reads the subscribed
   * types afresh next time, and keeps no list read while the change was under way.
   */
  const changed = () => {
    const entry = cacheOf(db)
    entry.types = undefined
    entry.changes++
  }
  const changing = async <T>(write: () => Promise<T>): Promise<T> => {
    changed()
    try {
      return await write()
    } finally {
      changed()
    }
  }

  const get = async (id: string): Promise<WebhookEndpoint | null> => {
    const row = await guarded('d1', 'get webhook endpoint', () =>
      db.prepare('SELECT * FROM webhook_endpoints WHERE id = ?').bind(id).first<Row>(),
    )
    return row ? toEndpoint(row) : null
  }

  return {
    get,

    /**
     * The event types any enabled endpoint subscribes to: one D1 read a minute per isolate
     * (SUBSCRIBED_TYPES_TTL_MS), made after a response, never before one.
     */
    async subscribedTypes(): Promise<ReadonlySet<string>> {
      const cached = cacheOf(db)
      if (cached.types && cached.until > now()) return cached.types
      const changes = cached.changes
      const { results } = await guarded('d1', 'list subscribed webhook types', () =>
        db
          .prepare(
            `SELECT DISTINCT t.value AS type FROM webhook_endpoints, json_each(event_types) AS t
             WHERE disabled = 0`,
          )
          .all<{ type: unknown }>(),
      )
      const types = new Set(results.map((r) => r.type).filter((t) => typeof t === 'string'))
      if (cached.changes === changes) {
        cached.types = types
        cached.until = now() + SUBSCRIBED_TYPES_TTL_MS
      }
      return types
    },

    async create(endpoint: WebhookEndpoint): Promise<void> {
      await changing(() =>
        guarded('d1', 'create webhook endpoint', () =>
          db
            .prepare(
              `INSERT INTO webhook_endpoints (id, url, event_types, description, disabled, secret, previous_secret, previous_secret_expires_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .bind(
              endpoint.id,
              endpoint.url,
              JSON.stringify(endpoint.eventTypes),
              endpoint.description,
              endpoint.disabled ? 1 : 0,
              endpoint.secret,
              endpoint.previousSecret,
              endpoint.previousSecretExpiresAt,
              endpoint.createdAt,
              endpoint.updatedAt,
            )
            .run(),
        ),
      )
    },

    /** Oldest first, after `after`; at most `limit`. */
    async list(limit: number, after?: EndpointCursor): Promise<WebhookEndpoint[]> {
      const { results } = await guarded('d1', 'list webhook endpoints', () =>
        (after
          ? db
              .prepare(
                `SELECT * FROM webhook_endpoints WHERE created_at > ? OR (created_at = ? AND id > ?)
                 ORDER BY created_at, id LIMIT ?`,
              )
              .bind(after.createdAt, after.createdAt, after.id, limit)
          : db
              .prepare('SELECT * FROM webhook_endpoints ORDER BY created_at, id LIMIT ?')
              .bind(limit)
        ).all<Row>(),
      )
      return results.map(toEndpoint)
    },

    /** The enabled endpoints subscribed to `type`. */
    async subscribedTo(type: string): Promise<WebhookEndpoint[]> {
      const { results } = await guarded('d1', 'list subscribed webhook endpoints', () =>
        db
          .prepare(
            `SELECT * FROM webhook_endpoints
             WHERE disabled = 0 AND EXISTS (SELECT 1 FROM json_each(event_types) WHERE value = ?)
             ORDER BY created_at, id`,
          )
          .bind(type)
          .all<Row>(),
      )
      return results.map(toEndpoint)
    },

    /** Applies `changes`; answers the endpoint as it now is, or null when there is none. */
    async update(
      id: string,
      changes: EndpointChanges,
      at: number,
    ): Promise<WebhookEndpoint | null> {
      const row = await changing(() =>
        guarded('d1', 'update webhook endpoint', () =>
          db
            .prepare(
              `UPDATE webhook_endpoints SET
               url = coalesce(?, url),
               event_types = coalesce(?, event_types),
               description = coalesce(?, description),
               disabled = coalesce(?, disabled),
               updated_at = ?
             WHERE id = ? RETURNING *`,
            )
            .bind(
              changes.url ?? null,
              changes.eventTypes ? JSON.stringify(changes.eventTypes) : null,
              changes.description ?? null,
              changes.disabled === undefined ? null : changes.disabled ? 1 : 0,
              at,
              id,
            )
            .first<Row>(),
        ),
      )
      return row ? toEndpoint(row) : null
    },

    /**
     * Replaces the secret; the current one becomes the previous, valid until
     * `previousExpiresAt`. Answers false when there is no such endpoint.
     */
    async rotateSecret(
      id: string,
      sealedNew: string,
      previousExpiresAt: number,
      at: number,
    ): Promise<boolean> {
      const result = await guarded('d1', 'rotate webhook secret', () =>
        db
          .prepare(
            `UPDATE webhook_endpoints
             SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ?
             WHERE id = ?`,
          )
          .bind(previousExpiresAt, sealedNew, at, id)
          .run(),
      )
      return result.meta.changes === 1
    },

    /** Deletes the endpoint and (cascade) its delivery log; answers whether there was one. */
    async remove(id: string): Promise<boolean> {
      const result = await changing(() =>
        guarded('d1', 'delete webhook endpoint', () =>
          db.batch([
            db.prepare('DELETE FROM webhook_deliveries WHERE endpoint_id = ?').bind(id),
            db.prepare('DELETE FROM webhook_endpoints WHERE id = ?').bind(id),
          ]),
        ),
      )
      return result[1]!.meta.changes === 1
    },
  }
}

/** The webhook stores of an environment: for the queue consumer and the admin routes. */
export const webhookStores = (env: { DB: D1Database; WEBHOOKS: Queue }) => ({
  endpoints: webhookEndpointStore(env.DB),
  deliveries: webhookDeliveryStore(env.DB),
  queue: webhookQueue(env.WEBHOOKS),
})
