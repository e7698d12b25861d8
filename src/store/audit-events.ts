// The audit log in D1: the only code that reads or writes the audit_events table. Rows are
// written after the response (services/events.ts) and never updated; the Cron Trigger purges
// those past retention. Listing is newest first with an opaque (at, id) cursor.
import { guarded } from './errors'
import { purgeSome } from './purge'

/** Who caused an event: the user themself, an admin user, a server's API key, the service, nobody known. */
export type ActorType = 'user' | 'admin' | 'api_key' | 'system' | 'anonymous'
export type Actor = { type: ActorType; id: string | null }

/** Bounded, non-secret values only (services/events.ts decides which fields become detail). */
export type AuditDetail = Record<string, string | number | boolean | string[]>

export type AuditEvent = {
  id: string
  /** Epoch ms. */
  at: number
  type: string
  userId: string | null
  actor: Actor
  requestId: string | null
  userAgent: string | null
  country: string | null
  detail: AuditDetail
}

type Row = {
  id: string
  at: number
  type: string
  user_id: string | null
  actor_type: string
  actor_id: string | null
  request_id: string | null
  user_agent: string | null
  country: string | null
  detail: string | null
}

/** A row's detail, or none: a row edited by hand into something that is not an object reads as {}. */
function detailOf(text: string | null): AuditDetail {
  if (!text) return {}
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as AuditDetail)
      : {}
  } catch {
    return {}
  }
}

const toEvent = (row: Row): AuditEvent => ({
  id: row.id,
  at: row.at,
  type: row.type,
  userId: row.user_id,
  actor: { type: row.actor_type as ActorType, id: row.actor_id },
  requestId: row.request_id,
  userAgent: row.user_agent,
  country: row.country,
  detail: detailOf(row.detail),
})

/** Where a page of the log ends: the last row's time and id (rows at one millisecond are ordered by id). */
export type AuditCursor = { at: number; id: string }

export type AuditFilter = {
  userId?: string
  type?: string
  actorId?: string
  /** Epoch ms, inclusive. */
  since?: number
  /** Epoch ms, exclusive. */
  until?: number
  /** Rows strictly older than this position (the previous page's last). */
  after?: AuditCursor
  limit: number
}

export type AuditStore = ReturnType<typeof auditStore>

/**
 * Where a store's listings read: the primary, or any D1 read replica (the Sessions API, a fresh
 * `first-unconstrained` session per listing). A replica may lag the primary by a moment: only
 * for readers that a moment's lag cannot mislead (docs/scaling.md says which).
 */
export type AuditReads = 'primary' | 'replica'

export function auditStore(db: D1Database, reads: AuditReads = 'primary') {
  const reader = () => (reads === 'replica' ? db.withSession('first-unconstrained') : db)
  return {
    /** Writes events in one batch (one round trip, one transaction). */
    async add(events: readonly AuditEvent[]): Promise<void> {
      if (events.length === 0) return
      await guarded('d1', 'insert audit events', () =>
        db.batch(
          events.map((e) =>
            db
              .prepare(
                `INSERT INTO audit_events (id, at, type, user_id, actor_type, actor_id, request_id, user_agent, country, detail)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              )
              .bind(
                e.id,
                e.at,
                e.type,
                e.userId,
                e.actor.type,
                e.actor.id,
                e.requestId,
                e.userAgent,
                e.country,
                Object.keys(e.detail).length === 0 ? null : JSON.stringify(e.detail),
              ),
          ),
        ),
      )
    },

    /** Newest first, filtered; at most `limit` rows. */
    async list(filter: AuditFilter): Promise<AuditEvent[]> {
      const where: string[] = []
      const args: unknown[] = []
      const add = (clause: string, ...values: unknown[]) => {
        where.push(clause)
        args.push(...values)
      }
      if (filter.userId !== undefined) add('user_id = ?', filter.userId)
      if (filter.type !== undefined) add('type = ?', filter.type)
      if (filter.actorId !== undefined) add('actor_id = ?', filter.actorId)
      if (filter.since !== undefined) add('at >= ?', filter.since)
      if (filter.until !== undefined) add('at < ?', filter.until)
      if (filter.after !== undefined) {
        add('(at < ? OR (at = ? AND id < ?))', filter.after.at, filter.after.at, filter.after.id)
      }
      const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                   ORDER BY at DESC, id DESC LIMIT ?`
      const { results } = await guarded('d1', 'list audit events', () =>
        reader()
          .prepare(sql)
          .bind(...args, filter.limit)
          .all<Row>(),
      )
      return results.map(toEvent)
    },

    /** Deletes up to `limit` events older than `before` (epoch ms); returns how many went. */
    purgeBefore: (before: number, limit: number) =>
      purgeSome(db, 'audit_events', 'at < ?', [before], limit),
  }
}
