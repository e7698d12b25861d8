// The OpenAPI side of the routes. Each route is declared once (createRoute) with the zod schemas
// that validate its request; the same declaration mounts it and describes it in /openapi.json.
//
// Routes are declared in @hono/zod-openapi's shape and typed by its OpenAPIHono, but mounted by
// the small router below: the package itself keeps all of zod in the bundle (it extends zod's
// whole namespace object), which doubled the worker, 65 KB to 134 KB gzip. The document comes
// from zod-to-openapi, the generator @hono/zod-openapi is built on, reading schemas' `.meta()`.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi'
import { swaggerUI } from '@hono/swagger-ui'
import { zValidator } from '@hono/zod-validator'
import { Hono, type MiddlewareHandler } from 'hono'
import * as z from 'zod'
import type { AppEnv } from '../env'
import { ApiError, type FieldError } from '../errors'

/** A route's declaration: method, path, the schemas that validate it, and its responses. */
export const createRoute = <R extends RouteConfig>(route: R): R => route

type Target = 'json' | 'form' | 'query' | 'param'

/** Zod failures become our 400 validation_failed (invalid_request on the OAuth routes). */
const failed = (result: { success: boolean; error?: unknown; target: Target }) => {
  if (!result.success) {
    const part = result.target === 'json' || result.target === 'form' ? 'body' : result.target
    throw new ApiError(400, 'validation_failed', `The request ${part} is invalid`, {
      errors: fieldErrors(result.error as z.ZodError),
    })
  }
}

// Field names and reasons only: a zod message never carries the rejected value.
const fieldErrors = (error: z.ZodError): FieldError[] =>
  error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }))

const BODY_TARGETS: Record<string, Target> = {
  'application/json': 'json',
  'application/x-www-form-urlencoded': 'form',
}

/** The validators a declaration implies, in the order @hono/zod-openapi runs them. */
function validators(route: RouteConfig): MiddlewareHandler[] {
  const request = route.request ?? {}
  const parts: [Target, unknown][] = [
    ['query', request.query],
    ['param', request.params],
    ...Object.entries(request.body?.content ?? {}).map(
      ([type, media]) =>
        [BODY_TARGETS[type]!, (media as { schema?: unknown }).schema] as [Target, unknown],
    ),
  ]
  return parts
    .filter(([target, schema]) => target && schema instanceof z.ZodType)
    .map(
      ([target, schema]) =>
        zValidator(target, schema as z.ZodType, failed as never) as MiddlewareHandler,
    )
}

type Mount = (path: string, app: Hono<AppEnv>) => unknown
type On = (method: string, path: string, ...handlers: MiddlewareHandler[]) => unknown

/** Mounts declared routes and remembers the declarations, its own and those of routers it mounts. */
class DocumentedRoutes extends Hono<AppEnv> {
  readonly declarations: RouteConfig[] = []

  constructor() {
    super()
    const mount = this.route.bind(this) as Mount
    const route: Mount = (path, app) => {
      mount(path, app)
      if (app instanceof DocumentedRoutes) {
        const prefix = path === '/' ? '' : path
        for (const r of app.declarations) this.declarations.push({ ...r, path: prefix + r.path })
      }
      return this
    }
    this.route = route as unknown as typeof this.route
  }

  openapi(route: RouteConfig, handler: MiddlewareHandler): this {
    this.declarations.push(route)
    const middleware = [route.middleware ?? []].flat() as MiddlewareHandler[]
    const path = route.path.replace(/\{(\w+)\}/g, ':$1')
    const on = this.on.bind(this) as unknown as On
    on(route.method.toUpperCase(), path, ...middleware, ...validators(route), handler)
    return this
  }
}

/** A router whose routes are declared and documented; typed as @hono/zod-openapi's. */
export const documentedRoutes = () => new DocumentedRoutes() as unknown as OpenAPIHono<AppEnv>

export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: 'urn:edge-auth:problem:invalid_token' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable, machine-readable error code' }),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem' })

export const OAuthErrorSchema = z
  .object({
    error: z.enum([
      'invalid_request',
      'invalid_grant',
      'unsupported_grant_type',
      'invalid_client',
      'temporarily_unavailable',
      'server_error',
    ]),
    error_description: z.string(),
  })
  .meta({ id: 'OAuthError' })

/** `{description, content}` for a JSON response. */
export const jsonContent = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/** Problem JSON responses, by status, with what each means on this route. */
export const problems = (described: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(described).map(([status, description]) => [
      status,
      { description, content: { 'application/problem+json': { schema: ProblemSchema } } },
    ]),
  ) as Record<
    number,
    {
      description: string
      content: { 'application/problem+json': { schema: typeof ProblemSchema } }
    }
  >

/** A required JSON request body described by `schema`, which also validates it. */
export const jsonRequest = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { 'application/json': { schema } },
})

/** The same for an `application/x-www-form-urlencoded` body, as OAuth endpoints take. */
export const formRequest = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
})

/** What any route with a JSON body may answer about the body itself. */
export const BODY_PROBLEMS = {
  400: 'validation_failed or invalid_json',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/** What any route behind requireAuth may answer about the access token. */
export const BEARER_PROBLEMS = {
  401: 'invalid_token, with a WWW-Authenticate: Bearer challenge',
}

export const bearerSecurity: RouteConfig['security'] = [{ bearerAuth: [] }]

/** Pinned, so the page cannot change under us; the test that renders it uses the same version. */
export const SWAGGER_UI_VERSION = '5.35.0'

/** GET /openapi.json (OpenAPI 3.1) and GET /docs (Swagger UI) for every declared route. */
export function serveDocs(app: OpenAPIHono<AppEnv>): void {
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
  // The two documentation routes describe themselves too, so the document lists every route.
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    tags: ['service'],
    responses: { 200: { description: 'The OpenAPI document' } },
  })
  registry.registerPath({
    method: 'get',
    path: '/docs',
    summary: 'Interactive documentation (Swagger UI)',
    tags: ['service'],
    responses: {
      200: {
        description: 'An HTML page',
        content: { 'text/html': { schema: { type: 'string' } } },
      },
    },
  })
  // Generating the document costs milliseconds of CPU, so each isolate does it once.
  let document: ReturnType<OpenApiGeneratorV31['generateDocument']> | undefined
  const generate = () => {
    for (const { middleware: _, ...route } of (app as unknown as DocumentedRoutes).declarations) {
      registry.registerPath(route)
    }
    return new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: {
        title: 'edge-auth',
        version: '0.1.0',
        description:
          'Sign-up, login, short-lived JWT access tokens and rotating refresh tokens on Cloudflare Workers.',
      },
    })
  }
  app.get('/openapi.json', (c) => {
    document ??= generate()
    const servers = [{ url: new URL(c.req.url).origin }]
    return c.json({ ...document, servers }, 200, { 'Cache-Control': 'public, max-age=300' })
  })
  app.get(
    '/docs',
    swaggerUI({ url: '/openapi.json', title: 'edge-auth API', version: SWAGGER_UI_VERSION }),
  )
}
