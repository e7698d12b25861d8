// The OpenAPI side of the routes: the validation hook that turns zod failures into our errors,
// the response shapes the document shows, and the /openapi.json and /docs routes.
import { OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi'
import { swaggerUI } from '@hono/swagger-ui'
import type { AppEnv } from '../env'
import { ApiError, type FieldError } from './errors'

/** A router whose routes are documented; request validation failures become our 400. */
export const documentedRoutes = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const part = result.target === 'json' || result.target === 'form' ? 'body' : result.target
        throw new ApiError(400, 'validation_failed', `The request ${part} is invalid`, {
          errors: fieldErrors(result.error),
        })
      }
    },
  })

// Field names and reasons only: a zod message never carries the rejected value.
const fieldErrors = (error: z.ZodError): FieldError[] =>
  error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }))

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:edge-auth:problem:invalid_token' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: 'Stable, machine-readable error code' }),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .openapi('Problem')

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
  .openapi('OAuthError')

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

/** What any route with a JSON body may answer about the body itself. */
export const BODY_PROBLEMS = {
  400: 'validation_failed or invalid_json',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

export const bearerSecurity: RouteConfig['security'] = [{ bearerAuth: [] }]

/** Pinned, so the page cannot change under us; the test that renders it uses the same version. */
export const SWAGGER_UI_VERSION = '5.35.0'

/** GET /openapi.json (OpenAPI 3.1) and GET /docs (Swagger UI) for every documented route. */
export function serveDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
  // The two documentation routes describe themselves too, so the document lists every route.
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    tags: ['service'],
    responses: { 200: { description: 'The OpenAPI document' } },
  })
  app.openAPIRegistry.registerPath({
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
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'edge-auth',
        version: '0.1.0',
        description:
          'Sign-up, login, short-lived JWT access tokens and rotating refresh tokens on Cloudflare Workers.',
      },
    })
    const servers = [{ url: new URL(c.req.url).origin }]
    return c.json({ ...document, servers }, 200, { 'Cache-Control': 'public, max-age=300' })
  })
  app.get(
    '/docs',
    swaggerUI({ url: '/openapi.json', title: 'edge-auth API', version: SWAGGER_UI_VERSION }),
  )
}
