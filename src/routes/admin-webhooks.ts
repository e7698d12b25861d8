// Webhook endpoints, by API (scope webhooks:manage): register, list, read, change, delete, rotate
// the signing secret, read an endpoint's delivery log, redeliver one, send a test ping. A secret
// is in exactly two answers, creation and rotation; never in any other. Thin: services/webhooks.ts
// decides, the queue consumer delivers.
import * as z from 'zod'
import { ADMIN_ERRORS, adminOperation, requireAdmin } from './admin-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import { BODY_ERRORS, jsonContent, jsonRequest, problems } from '../http/openapi'
import { jsonOnly } from '../http/validate'
import { type DeliveryView, type EndpointView, WEBHOOK_TEST_TYPE } from '../services/webhooks'
import { WEBHOOK_EVENT_TYPES } from '../store/webhook-queue'
import { PAGE_LIMIT_DEFAULT, PageQuery } from '../schemas'
import { webhookService } from './services'

/** Long enough for any real receiver's URL; D1 rows and log lines stay small. */
const URL_MAX = 2048
const DESCRIPTION_MAX = 200
/** Ids are wh_ or msg_ and 22 base64url characters (services/webhooks.ts); any other is unknown. */
const ID = /^[A-Za-z0-9_-]+$/
const ID_MAX = 64

const EventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: 'must be a webhook event type' }))
  .min(1, 'must name at least one event type')
  .max(WEBHOOK_EVENT_TYPES.length * 2, 'is too long')
  .meta({ description: 'The event types to receive', example: ['user.created', 'user.deleted'] })

const Url = z.string().min(1).max(URL_MAX, 'is too long').meta({
  description:
    'https to a public host name on the default port: no IP address, userinfo, fragment or private name',
  example: 'https://hooks.example.com/edge-auth',
})

const Description = z
  .string()
  .min(1, 'must not be empty')
  .max(DESCRIPTION_MAX, 'is too long')
  .regex(/^[^\x00-\x1f\x7f]+$/, 'must not be empty or contain control characters')
  .meta({ description: 'A note for admins', example: 'CRM sync' })

const CreateBody = z
  .object({ url: Url, eventTypes: EventTypes, description: Description.optional() })
  .strict()

const UpdateBody = z
  .object({
    url: Url.optional(),
    eventTypes: EventTypes.optional(),
    description: Description.optional(),
    disabled: z.boolean().optional().meta({ description: 'Pause deliveries (true) or resume' }),
  })
  .strict()

const EndpointParam = z.object({
  id: z
    .string()
    .min(1)
    .max(ID_MAX, 'is too long')
    .regex(ID, 'is not a webhook id')
    .meta({ param: { name: 'id', in: 'path' }, example: 'wh_3q2-7wEvRx6cNf0aZk1YbA' }),
})

const DeliveryParam = z.object({
  id: z
    .string()
    .min(1)
    .max(ID_MAX, 'is too long')
    .regex(ID, 'is not a delivery id')
    .meta({ param: { name: 'id', in: 'path' }, example: 'msg_Q8n2Zr0cVb7xKp1sLm4TaW' }),
})

const Time = z.string().datetime()

const EndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    description: z.string(),
    disabled: z.boolean(),
    createdAt: Time,
    updatedAt: Time,
    previousSecretExpiresAt: Time.nullable().meta({
      description: 'While a rotated-out secret still signs (a second signature): until when',
    }),
  })
  .meta({ id: 'WebhookEndpoint' })

const SecretField = z.string().meta({
  description:
    'The signing secret (whsec_ + base64), shown only now: keep it where the receiver verifies deliveries',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
})

const CreatedSchema = EndpointSchema.extend({ secret: SecretField }).meta({
  id: 'WebhookEndpointCreated',
})

const RotatedSchema = z
  .object({ secret: SecretField, previousSecretExpiresAt: Time })
  .meta({ id: 'WebhookSecretRotated' })

const DeliverySchema = z
  .object({
    id: z.string().meta({ description: 'The webhook-id header: the same on every attempt' }),
    endpointId: z.string(),
    eventId: z.string(),
    eventType: z.string().meta({ example: 'user.created' }),
    payload: z.string().meta({ description: 'The exact body every attempt sends' }),
    status: z.enum(['pending', 'succeeded', 'dead', 'cancelled']),
    attempts: z.number().int(),
    lastAttemptAt: Time.nullable(),
    lastStatus: z.number().int().nullable().meta({ description: "The receiver's HTTP status" }),
    lastError: z.string().nullable().meta({
      description:
        'Why the last attempt failed: http_status, timeout, redirect_refused, network, url_refused, dead_letter, endpoint_disabled',
    }),
    nextAttemptAt: Time.nullable(),
    createdAt: Time,
  })
  .meta({ id: 'WebhookDelivery' })

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

const endpointJson = (e: EndpointView) => ({
  ...e,
  createdAt: iso(e.createdAt)!,
  updatedAt: iso(e.updatedAt)!,
  previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
})

const deliveryJson = (d: DeliveryView) => ({
  ...d,
  lastAttemptAt: iso(d.lastAttemptAt),
  nextAttemptAt: iso(d.nextAttemptAt),
  createdAt: iso(d.createdAt)!,
})

const create = createRoute({
  ...adminOperation,
  method: 'post',
  path: '/admin/webhooks',
  operationId: 'createWebhook',
  summary: 'Register a webhook endpoint; the answer holds its signing secret, shown only this once',
  middleware: [requireAdmin('webhooks:manage'), jsonOnly] as const,
  request: { body: jsonRequest(CreateBody) },
  responses: {
    201: jsonContent(CreatedSchema, 'Registered'),
    ...problems(ADMIN_ERRORS, [...BODY_ERRORS, 'webhook_url_refused']),
  },
})

const list = createRoute({
  ...adminOperation,
  method: 'get',
  path: '/admin/webhooks',
  operationId: 'listWebhooks',
  summary: 'The webhook endpoints, oldest first (never their secrets)',
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { query: PageQuery },
  responses: {
    200: jsonContent(
      z.object({ webhooks: z.array(EndpointSchema), nextCursor: z.string().nullable() }),
      'A page of endpoints',
    ),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'invalid_cursor']),
  },
})

const read = createRoute({
  ...adminOperation,
  method: 'get',
  path: '/admin/webhooks/{id}',
  operationId: 'getWebhook',
  summary: 'One webhook endpoint (never its secret)',
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { params: EndpointParam },
  responses: {
    200: jsonContent(EndpointSchema, 'The endpoint'),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'webhook_not_found']),
  },
})

const update = createRoute({
  ...adminOperation,
  method: 'patch',
  path: '/admin/webhooks/{id}',
  operationId: 'updateWebhook',
  summary: 'Change an endpoint: its URL, event types, description, or pause it',
  middleware: [requireAdmin('webhooks:manage'), jsonOnly] as const,
  request: { params: EndpointParam, body: jsonRequest(UpdateBody) },
  responses: {
    200: jsonContent(EndpointSchema, 'The endpoint as it now is'),
    ...problems(ADMIN_ERRORS, [...BODY_ERRORS, 'webhook_not_found', 'webhook_url_refused']),
  },
})

const remove = createRoute({
  ...adminOperation,
  method: 'delete',
  path: '/admin/webhooks/{id}',
  operationId: 'deleteWebhook',
  summary: 'Delete an endpoint and its delivery log; queued deliveries to it are dropped',
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { params: EndpointParam },
  responses: {
    204: { description: 'Deleted' },
    ...problems(ADMIN_ERRORS, ['validation_failed', 'webhook_not_found']),
  },
})

const rotate = createRoute({
  ...adminOperation,
  method: 'post',
  path: '/admin/webhooks/{id}/rotate-secret',
  operationId: 'rotateWebhookSecret',
  summary:
    'A new signing secret, shown only now; the old one keeps signing too (two signatures) for 24 hours',
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { params: EndpointParam },
  responses: {
    200: jsonContent(RotatedSchema, 'The new secret'),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'webhook_not_found']),
  },
})

const deliveries = createRoute({
  ...adminOperation,
  method: 'get',
  path: '/admin/webhooks/{id}/deliveries',
  operationId: 'listWebhookDeliveries',
  summary: "An endpoint's delivery log, newest first",
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { params: EndpointParam, query: PageQuery },
  responses: {
    200: jsonContent(
      z.object({ deliveries: z.array(DeliverySchema), nextCursor: z.string().nullable() }),
      'A page of deliveries',
    ),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'invalid_cursor', 'webhook_not_found']),
  },
})

const redeliver = createRoute({
  ...adminOperation,
  method: 'post',
  path: '/admin/webhooks/deliveries/{id}/redeliver',
  operationId: 'redeliverWebhook',
  summary: 'Queue a settled delivery again: the same webhook-id and body, a new series of attempts',
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { params: DeliveryParam },
  responses: {
    202: jsonContent(DeliverySchema, 'Queued'),
    ...problems(ADMIN_ERRORS, [
      'validation_failed',
      'webhook_delivery_not_found',
      'webhook_delivery_pending',
    ]),
  },
})

const test = createRoute({
  ...adminOperation,
  method: 'post',
  path: '/admin/webhooks/{id}/test',
  operationId: 'testWebhook',
  summary: `Queue a ${WEBHOOK_TEST_TYPE} ping to the endpoint, whatever it subscribes to`,
  middleware: [requireAdmin('webhooks:manage')] as const,
  request: { params: EndpointParam },
  responses: {
    202: jsonContent(DeliverySchema, 'Queued'),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'webhook_not_found']),
  },
})

export const adminWebhookRoutes = documentedRoutes()
  .openapi(create, async (c) => {
    const { endpoint, secret } = await webhookService(c).create(c.req.valid('json'))
    return c.json({ ...endpointJson(endpoint), secret }, 201, NO_STORE)
  })
  .openapi(list, async (c) => {
    const { limit = PAGE_LIMIT_DEFAULT, cursor } = c.req.valid('query')
    const { items, nextCursor } = await webhookService(c).list({ limit, cursor })
    return c.json({ webhooks: items.map(endpointJson), nextCursor }, 200, NO_STORE)
  })
  .openapi(read, async (c) =>
    c.json(endpointJson(await webhookService(c).get(c.req.valid('param').id)), 200, NO_STORE),
  )
  .openapi(update, async (c) => {
    const updated = await webhookService(c).update(c.req.valid('param').id, c.req.valid('json'))
    return c.json(endpointJson(updated), 200, NO_STORE)
  })
  .openapi(remove, async (c) => {
    await webhookService(c).remove(c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(rotate, async (c) => {
    const rotated = await webhookService(c).rotateSecret(c.req.valid('param').id)
    return c.json(
      { secret: rotated.secret, previousSecretExpiresAt: iso(rotated.previousSecretExpiresAt)! },
      200,
      NO_STORE,
    )
  })
  .openapi(deliveries, async (c) => {
    const { limit = PAGE_LIMIT_DEFAULT, cursor } = c.req.valid('query')
    const { items, nextCursor } = await webhookService(c).deliveries(c.req.valid('param').id, {
      limit,
      cursor,
    })
    return c.json({ deliveries: items.map(deliveryJson), nextCursor }, 200, NO_STORE)
  })
  .openapi(redeliver, async (c) =>
    c.json(deliveryJson(await webhookService(c).redeliver(c.req.valid('param').id)), 202, NO_STORE),
  )
  .openapi(test, async (c) =>
    c.json(deliveryJson(await webhookService(c).test(c.req.valid('param').id)), 202, NO_STORE),
  )
