// The audit log as operators read it (GET /admin/audit): every event, filtered, newest first, a
// page at a time. Events are written by services/events.ts; this only reads. No Hono.
import type { AuditEvent, AuditFilter, AuditStore } from '../store/audit-events'
import { decodeCursor, pageOf, readTimeAndId } from './cursor'

export type AuditLogDeps = { audit: AuditStore }

export type AuditQuery = Omit<AuditFilter, 'after' | 'limit'> & { limit: number; cursor?: string }

export class AuditLogService {
  constructor(private readonly deps: AuditLogDeps) {}

  async list(query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    const { cursor, limit, ...filter } = query
    const after = cursor === undefined ? undefined : decodeCursor(cursor, readTimeAndId)
    const rows = await this.deps.audit.list({ ...filter, after, limit: limit + 1 })
    const { items, nextCursor } = pageOf(rows, limit, ({ at, id }) => ({ at, id }))
    return { events: items, nextCursor }
  }
}
