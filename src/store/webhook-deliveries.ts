// The webhook delivery log in D1: the only code that reads or writes webhook_deliveries. One row
// per (endpoint, event), made when the queue consumer fans an event out, updated after each
// attempt. Each transition is one conditional statement on (status, round), so a stale or
// duplicated queue message cannot undo a newer state.
import { guarded } from './errors'
import { purgeSome } from './purge'

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead' | 'cancelled'

export type WebhookDelivery = {
  /** The webhook-id header: stable across retries and redeliveries. */
  id: string
  endpointId: string
  eventId: string
  eventType: string
  /** The exact JSON body every attempt sends. */
  payload: string
  status: DeliveryStatus
  /** Manual redeliveries so far; queue messages of an older round are ignored. */
  round: number
  attempts: number
  lastAttemptAt: number | null
  /** The receiver's HTTP status on the last attempt, when it answered. */
  lastStatus: number | null
  /** Our reason code for the last failure (timeout, http_status...), null after a success. */
  lastError: string | null
  /** When the queue will try again (epoch ms), while pending after a failure. */
  nextAttemptAt: number | null
  createdAt: number
}

type Row = {
  id: string
  endpoint_id: string
  event_id: string
  event_type: string
  payload: string
  status: DeliveryStatus
  round: number
  attempts: number
  last_attempt_at: number | null
  last_status: number | null
  last_error: string | null
  next_attempt_at: number | null
  created_at: number
}

const toDelivery = (row: Row): WebhookDelivery => ({
  id: row.id,
  endpointId: row.endpoint_id,
  eventId: row.event_id,
  eventType: row.event_type,
  payload: row.payload,
  status: row.status,
  round: row.round,
  attempts: row.attempts,
  lastAttemptAt: row.last_attempt_at,
  lastStatus: row.last_status,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at,
  createdAt: row.created_at,
})

/** A new row: pending, no attempt yet. */
export type NewDelivery = Pick<
  WebhookDelivery,
  'id' | 'endpointId' | 'eventId' | 'eventType' | 'payload' | 'createdAt'
>

/** What one attempt came to. */
export type AttemptOutcome = {
  at: number
  status: Exclude<DeliveryStatus, 'pending'> | 'pending'
  lastStatus: number | null
  lastError: string | null
  nextAttemptAt: number | null
}

export type DeliveryCursor = { createdAt: number; id: string }

export type WebhookDeliveryStore = ReturnType<typeof webhookDeliveryStore>

export function webhookDeliveryStore(db: D1Database) {
  return {
    /**
     * Makes the rows for one event (a row already there for its endpoint is kept as it is: the
     * fan-out message may come twice) and answers the event's rows still waiting for their
     * first attempt, which the caller queues.
     */
    async createForEvent(rows: readonly NewDelivery[]): Promise<WebhookDelivery[]> {
      if (rows.length === 0) return []
      const eventId = rows[0]!.eventId
      const results = await guarded('d1', 'create webhook deliveries', () =>
        db.batch([
          ...rows.map((r) =>
            db
              .prepare(
                `INSERT OR IGNORE INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, created_at)
                 VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
              )
              .bind(r.id, r.endpointId, r.eventId, r.eventType, r.payload, r.createdAt),
          ),
          db
            .prepare(
              `SELECT * FROM webhook_deliveries
               WHERE event_id = ? AND status = 'pending' AND round = 0 AND attempts = 0`,
            )
            .bind(eventId),
        ]),
      )
      return (results[results.length - 1]!.results as Row[]).map(toDelivery)
    },

    async get(id: string): Promise<WebhookDelivery | null> {
      const row = await guarded('d1', 'get webhook delivery', () =>
        db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').bind(id).first<Row>(),
      )
      return row ? toDelivery(row) : null
    },

    /**
     * Records an attempt of round `round`, if the row is still pending in that round; answers
     * whether it was (false: a newer round, or already settled, so the caller drops its message).
     */
    async recordAttempt(id: string, round: number, outcome: AttemptOutcome): Promise<boolean> {
      const result = await guarded('d1', 'record webhook attempt', () =>
        db
          .prepare(
            `UPDATE webhook_deliveries
             SET status = ?, attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
                 last_error = ?, next_attempt_at = ?
             WHERE id = ? AND round = ? AND status = 'pending'`,
          )
          .bind(
            outcome.status,
            outcome.at,
            outcome.lastStatus,
            outcome.lastError,
            outcome.nextAttemptAt,
            id,
            round,
          )
          .run(),
      )
      return result.meta.changes === 1
    },

    /** Settles a pending delivery of `round` without an attempt (dead letter, endpoint disabled). */
    async settle(
      id: string,
      round: number,
      status: 'dead' | 'cancelled',
      reason: string,
    ): Promise<boolean> {
      const result = await guarded('d1', 'settle webhook delivery', () =>
        db
          .prepare(
            `UPDATE webhook_deliveries SET status = ?, last_error = coalesce(last_error, ?), next_attempt_at = NULL
             WHERE id = ? AND round = ? AND status = 'pending'`,
          )
          .bind(status, reason, id, round)
          .run(),
      )
      return result.meta.changes === 1
    },

    /**
     * Starts a new round of a settled delivery (a manual redelivery): pending again, same id and
     * payload. Answers the new round, or null when there is no such row or it is still pending.
     */
    async reopen(id: string): Promise<WebhookDelivery | null> {
      const row = await guarded('d1', 'reopen webhook delivery', () =>
        db
          .prepare(
            `UPDATE webhook_deliveries SET status = 'pending', round = round + 1, next_attempt_at = NULL
             WHERE id = ? AND status != 'pending' RETURNING *`,
          )
          .bind(id)
          .first<Row>(),
      )
      return row ? toDelivery(row) : null
    },

    /** One endpoint's deliveries, newest first, before `after`; at most `limit`. */
    async listForEndpoint(
      endpointId: string,
      limit: number,
      after?: DeliveryCursor,
    ): Promise<WebhookDelivery[]> {
      const { results } = await guarded('d1', 'list webhook deliveries', () =>
        (after
          ? db
              .prepare(
                `SELECT * FROM webhook_deliveries
                 WHERE endpoint_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
                 ORDER BY created_at DESC, id DESC LIMIT ?`,
              )
              .bind(endpointId, after.createdAt, after.createdAt, after.id, limit)
          : db
              .prepare(
                `SELECT * FROM webhook_deliveries WHERE endpoint_id = ?
                 ORDER BY created_at DESC, id DESC LIMIT ?`,
              )
              .bind(endpointId, limit)
        ).all<Row>(),
      )
      return results.map(toDelivery)
    },

    /** Deletes up to `limit` settled deliveries made before `before` (the Cron Trigger's purge). */
    purgeBefore: (before: number, limit: number) =>
      purgeSome(
        db,
        'webhook_deliveries',
        "created_at < ? AND status != 'pending'",
        [before],
        limit,
      ),
  }
}
