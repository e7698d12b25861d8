// The audit log, by API: GET /admin/audit (scope audit:read), newest first, filtered, a page at a
// time with an opaque cursor. Read-only; the events themselves are written by services/events.ts
// (and by scripts/admin.mjs for keys and roles).
import * as z from 'zod'
import { fromBase64Url, toBase64Url, utf8 } from '../auth/encoding'
import { requireAdmin } from '../http/admin-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import { BEARER_ERRORS, bearerSecurity, jsonContent, problems } from '../http/openapi'
import { ApiError } from '../errors'
import { AUDIT_TYPES } from '../services/events'
import type { AuditCursor, AuditEvent } from '../store/audit-events'
import { serviceDeps } from './services'

const DEFAULT_LIMIT = 50
const MAX_LIMIT = 100
/** An id in a filter or cursor: user, key and event ids are far shorter. */
const ID_MAX = 64
/** A cursor is base64url of `{"at":…,"id":"…"}`: well under this. */
const CURSOR_MAX = 200

const Id = z.string().min(1).max(ID_MAX, 'is too long')
const Time = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time' })

export const AuditQuery = z.object({
  userId: Id.optional().meta({ description: 'Only events about this user' }),
  type: z
    .enum(AUDIT_TYPES as [string, ...string[]], { error: 'must be an audit event type' })
    .optional()
    .meta({ description: 'Only events of this type' }),
  actorId: Id.optional().meta({ description: 'Only events caused by this user, admin or key id' }),
  since: Time.optional().meta({ description: 'Events at or after this time' }),
  until: Time.optional().meta({ description: 'Events before this time' }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_LIMIT}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, `must be from 1 to ${MAX_LIMIT}`)
        .max(MAX_LIMIT, `must be from 1 to ${MAX_LIMIT}`),
    )
    .optional()
    .meta({ description: `Events per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})` }),
  cursor: z
    .string()
    .max(CURSOR_MAX, 'is not a cursor this service gave')
    .optional()
    .meta({ description: "The previous page's nextCursor" }),
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

/** The opaque cursor for a page that ends at `event`. */
export const encodeCursor = (event: { at: number; id: string }): string =>
  toBase64Url(utf8(JSON.stringify({ at: event.at, id: event.id })))

/** A cursor this service gave, or a 400: never a 500, whatever the client sends. */
export function decodeCursor(cursor: string): AuditCursor {
  const refused = () =>
    new ApiError('validation_failed', 'The request query is invalid', {
      errors: [{ field: 'cursor', message: 'is not a cursor this service gave' }],
    })
  const bytes = fromBase64Url(cursor)
  if (!bytes) throw refused()
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
  } catch {
    throw refused()
  }
  const { at, id } = (value ?? {}) as Record<string, unknown>
  if (
    typeof value !== 'object' ||
    !Number.isSafeInteger(at) ||
    (at as number) < 0 ||
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > ID_MAX
  ) {
    throw refused()
  }
  return { at: at as number, id }
}

const shape = (event: AuditEvent) => ({
  ...event,
  at: new Date(event.at).toISOString(),
})

const list = createRoute({
  method: 'get',
  path: '/admin/audit',
  operationId: 'listAuditEvents',
  summary: 'The audit log, newest first: sign-ins, changes to accounts, admin actions',
  tags: ['admin'],
  security: bearerSecurity,
  middleware: [requireAdmin('audit:read')] as const,
  request: { query: AuditQuery },
  responses: {
    200: jsonContent(AuditPage, 'A page of events'),
    ...problems(BEARER_ERRORS, [
      'validation_failed',
      'insufficient_scope',
      'admin_required',
      'step_up_required',
    ]),
  },
})

export const adminAuditRoutes = documentedRoutes().openapi(list, async (c) => {
  const query = c.req.valid('query')
  const limit = query.limit ?? DEFAULT_LIMIT
  // One more than the page: whether there is a next page is known without an empty last one.
  const rows = await serviceDeps(c).audit.list({
    ...(query.userId !== undefined ? { userId: query.userId } : {}),
    ...(query.type !== undefined ? { type: query.type } : {}),
    ...(query.actorId !== undefined ? { actorId: query.actorId } : {}),
    ...(query.since !== undefined ? { since: Date.parse(query.since) } : {}),
    ...(query.until !== undefined ? { until: Date.parse(query.until) } : {}),
    ...(query.cursor !== undefined ? { after: decodeCursor(query.cursor) } : {}),
    limit: limit + 1,
  })
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return c.json(
    {
      events: page.map(shape),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    },
    200,
    NO_STORE,
  )
})
