// The audit log, by API: GET /admin/audit (scope audit:read), newest first, filtered, a page at a
// time with an opaque cursor. Read-only; the events themselves are written by services/events.ts
// (and by scripts/admin.mjs for keys and roles).
import * as z from 'zod'
import { ADMIN_ERRORS, adminOperation, requireAdmin } from './admin-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import { jsonContent, problems } from '../http/openapi'
import { AUDIT_TYPES } from '../services/events'
import type { AuditEvent } from '../store/audit-events'
import { PAGE_LIMIT_DEFAULT, PageQuery } from '../schemas'
import { auditLogService } from './services'

/** An id in a filter: user, key and event ids are far shorter. */
const ID_MAX = 64

const Id = z.string().min(1).max(ID_MAX, 'is too long')
const Time = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time' })

export const AuditQuery = PageQuery.extend({
  userId: Id.optional().meta({ description: 'Only events about this user' }),
  type: z
    .enum(AUDIT_TYPES as [string, ...string[]], { error: 'must be an audit event type' })
    .optional()
    .meta({ description: 'Only events of this type' }),
  actorId: Id.optional().meta({ description: 'Only events caused by this user, admin or key id' }),
  since: Time.optional().meta({ description: 'Events at or after this time' }),
  until: Time.optional().meta({ description: 'Events before this time' }),
})

const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.string().datetime(),
    type: z.string(),
    userId: z.string().nullable(),
    actor: z.object({
      type: z.enum(['user', 'admin', 'api_key', 'system', 'anonymous']),
      id: z.string().nullable(),
    }),
    requestId: z.string().nullable(),
    userAgent: z.string().nullable(),
    country: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' })

const AuditPage = z.object({
  events: z.array(AuditEventSchema),
  nextCursor: z.string().nullable().meta({ description: 'Null on the last page' }),
})

const shape = (event: AuditEvent) => ({
  ...event,
  at: new Date(event.at).toISOString(),
})

const list = createRoute({
  method: 'get',
  path: '/admin/audit',
  operationId: 'listAuditEvents',
  summary: 'The audit log, newest first: sign-ins, changes to accounts, admin actions',
  ...adminOperation,
  middleware: [requireAdmin('audit:read')] as const,
  request: { query: AuditQuery },
  responses: {
    200: jsonContent(AuditPage, 'A page of events'),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'invalid_cursor']),
  },
})

export const adminAuditRoutes = documentedRoutes().openapi(list, async (c) => {
  const { since, until, limit, ...filter } = c.req.valid('query')
  const { events, nextCursor } = await auditLogService(c).list({
    ...filter,
    ...(since !== undefined ? { since: Date.parse(since) } : {}),
    ...(until !== undefined ? { until: Date.parse(until) } : {}),
    limit: limit ?? PAGE_LIMIT_DEFAULT,
  })
  return c.json({ events: events.map(shape), nextCursor }, 200, NO_STORE)
})
