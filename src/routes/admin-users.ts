// The admin users API (tag `admin`): find, read, create, disable and enable accounts, end their
// sessions, reset their two-factor, delete them. Reads need the users:read scope, changes
// users:write; every change is audited with the calling key or admin as its actor. Thin: the
// rules are in services/admin-users.ts. The schemas live here, as the audit API's do, being
// this API's alone.
import * as z from 'zod'
import { ADMIN_ERRORS, adminOperation, requireAdmin } from './admin-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { NO_STORE } from '../http/headers'
import { BODY_ERRORS, jsonContent, jsonRequest, problems } from '../http/openapi'
import { LANGUAGES } from '../i18n/languages'
import { EmailAddress, PAGE_LIMIT_DEFAULT, PageQuery, Password, Username } from '../schemas'
import { jsonOnly } from '../http/validate'
import { adminUserService } from './services'

/** A user id: the service writes UUIDs; anything else printable and short is simply not found. */
const UserIdParam = z.object({
  id: z
    .string()
    .min(1, 'must be a user id')
    .max(64, 'must be a user id')
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a user id')
    .meta({ param: { name: 'id', in: 'path' }, example: '0f8fad5b-d9cb-469f-a165-70867728950e' }),
})

const AdminUsersQuery = PageQuery.extend({
  query: z.string().max(320, 'is too long').optional().meta({
    description:
      'A username prefix (ignoring case), a verified email address (exact, ignoring case), or a provider identity as `provider:subject`',
    example: 'ali',
  }),
  order: z
    .enum(['created', 'username'], { error: 'must be created or username' })
    .optional()
    .meta({ description: 'Newest first (`created`, the default) or by username' }),
})

const AdminUserCreateBody = z
  .strictObject({
    username: Username,
    password: Password.optional(),
    email: EmailAddress.optional().meta({
      description: 'Taken as verified: the importer vouches for it',
    }),
    language: z.enum(LANGUAGES, { error: 'must be one of en, fr, es' }).optional(),
  })
  .meta({ id: 'AdminUserCreate' })

const Time = z.string().datetime()

const AdminUserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    createdAt: Time,
    email: z.string().nullable().meta({ description: 'The verified address, if any' }),
    language: z.enum(LANGUAGES).nullable(),
    role: z.enum(['admin']).nullable(),
    hasPassword: z.boolean(),
    disabledAt: Time.nullable().meta({ description: 'When it was disabled; null: it may sign in' }),
  })
  .meta({ id: 'AdminUser' })

const AdminUserDetailSchema = AdminUserSchema.extend({
  sessions: z.array(
    z.object({
      id: z.string(),
      createdAt: Time,
      lastUsedAt: Time,
      expiresAt: Time,
      userAgent: z.string().nullable(),
      country: z.string().nullable(),
      city: z.string().nullable(),
    }),
  ),
  passkeys: z.array(
    z.object({ id: z.string(), name: z.string(), createdAt: Time, lastUsedAt: Time.nullable() }),
  ),
  twoFactor: z.object({
    totp: z.enum(['off', 'pending', 'on']),
    recoveryCodesLeft: z.number().int(),
  }),
  identities: z.array(
    z.object({
      provider: z.string(),
      subject: z.string(),
      email: z.string().nullable(),
      linkedAt: Time,
      lastUsedAt: Time.nullable(),
    }),
  ),
  grants: z.array(
    z.object({
      id: z.string(),
      clientId: z.string(),
      clientName: z.string().nullable(),
      resource: z.string(),
      scopes: z.array(z.string()),
      createdAt: Time,
      lastUsedAt: Time,
    }),
  ),
}).meta({ id: 'AdminUserDetail' })

const AdminUserPageSchema = z
  .object({
    users: z.array(AdminUserSchema),
    nextCursor: z.string().nullable().meta({ description: 'Null on the last page' }),
  })
  .meta({ id: 'AdminUserPage' })

const list = createRoute({
  ...adminOperation,
  method: 'get',
  path: '/admin/users',
  operationId: 'adminListUsers',
  summary: 'Find users: newest first or by username, by username prefix, address or identity',
  middleware: [requireAdmin('users:read')] as const,
  request: { query: AdminUsersQuery },
  responses: {
    200: jsonContent(AdminUserPageSchema, 'A page of users'),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'invalid_cursor']),
  },
})

const get = createRoute({
  ...adminOperation,
  method: 'get',
  path: '/admin/users/{id}',
  operationId: 'adminGetUser',
  summary: 'A user with its sessions, passkeys, two-factor state, identities and grants',
  middleware: [requireAdmin('users:read')] as const,
  request: { params: UserIdParam },
  responses: {
    200: jsonContent(AdminUserDetailSchema, 'The user'),
    ...problems(ADMIN_ERRORS, ['validation_failed', 'user_not_found']),
  },
})

const create = createRoute({
  ...adminOperation,
  method: 'post',
  path: '/admin/users',
  operationId: 'adminCreateUser',
  summary: 'Create a user (an import): a password optional, an address taken as verified',
  middleware: [requireAdmin('users:write'), jsonOnly] as const,
  request: { body: jsonRequest(AdminUserCreateBody) },
  responses: {
    201: jsonContent(AdminUserSchema, 'Created'),
    ...problems(ADMIN_ERRORS, BODY_ERRORS, ['username_taken', 'email_taken']),
  },
})

/** A POST on one user that answers its new state or nothing. */
const action = (path: string, operationId: string, summary: string, answers: 'user' | 'none') =>
  createRoute({
    ...adminOperation,
    method: 'post',
    path: `/admin/users/{id}${path}`,
    operationId,
    summary,
    middleware: [requireAdmin('users:write')] as const,
    request: { params: UserIdParam },
    responses: {
      ...(answers === 'user'
        ? { 200: jsonContent(AdminUserSchema, 'The user as it is now') }
        : { 204: { description: 'Done' } }),
      ...problems(ADMIN_ERRORS, ['validation_failed', 'payload_too_large', 'user_not_found']),
    },
  })

const disable = action(
  '/disable',
  'adminDisableUser',
  'Disable a user: no sign-in by any method, every session ends now',
  'user',
)
const enable = action(
  '/enable',
  'adminEnableUser',
  'Enable a user again (the sessions the disable ended stay ended)',
  'user',
)
const endSessions = action(
  '/sessions/end',
  'adminEndUserSessions',
  "End every session of a user, third-party apps' included",
  'none',
)
const resetMfa = action(
  '/mfa/reset',
  'adminResetUserMfa',
  'Turn two-factor (TOTP) off and remove the recovery codes; passkeys stay',
  'none',
)

const remove = createRoute({
  ...adminOperation,
  method: 'delete',
  path: '/admin/users/{id}',
  operationId: 'adminDeleteUser',
  summary: 'Delete a user and end every session, as the owner deleting the account does',
  middleware: [requireAdmin('users:write')] as const,
  request: { params: UserIdParam },
  responses: {
    204: { description: 'Deleted' },
    ...problems(ADMIN_ERRORS, ['validation_failed', 'payload_too_large', 'user_not_found']),
  },
})

export const adminUserRoutes = documentedRoutes()
  .openapi(list, async (c) => {
    const { query, order, limit, cursor } = c.req.valid('query')
    const page = await adminUserService(c).list({
      ...(query !== undefined ? { query } : {}),
      ...(order !== undefined ? { order } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
      limit: limit ?? PAGE_LIMIT_DEFAULT,
    })
    return c.json(page, 200, NO_STORE)
  })
  .openapi(get, async (c) =>
    c.json(await adminUserService(c).get(c.req.valid('param').id), 200, NO_STORE),
  )
  .openapi(create, async (c) => {
    const body = c.req.valid('json')
    return c.json(await adminUserService(c).create(body), 201, NO_STORE)
  })
  .openapi(disable, async (c) =>
    c.json(await adminUserService(c).disable(c.req.valid('param').id), 200, NO_STORE),
  )
  .openapi(enable, async (c) =>
    c.json(await adminUserService(c).enable(c.req.valid('param').id), 200, NO_STORE),
  )
  .openapi(endSessions, async (c) => {
    await adminUserService(c).endSessions(c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(resetMfa, async (c) => {
    await adminUserService(c).resetMfa(c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(remove, async (c) => {
    await adminUserService(c).delete(c.req.valid('param').id)
    return c.body(null, 204)
  })
