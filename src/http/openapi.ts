// The OpenAPI side of the routes: shared response declarations, and GET /openapi.json and /docs
// built from every declared route. The document comes from zod-to-openapi, the generator
// @hono/zod-openapi is built on, reading schemas' `.meta()`.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import type { RouteConfig } from '@hono/zod-openapi'
import * as z from 'zod'
import { requestOrigin } from '../env'
import { ERRORS, type ErrorCode, type OAuthErrorCode } from '../errors'
import type { DocumentedRoutes } from './documented-routes'

type Responses = RouteConfig['responses']

/** `{description, content}` for a JSON response. */
export const jsonContent = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/** A JSON request body described by `schema`, which also validates it. */
export const jsonRequest = <S extends z.ZodType>(schema: S, required = true) => ({
  required,
  content: { 'application/json': { schema } },
})

/** The same for an `application/x-www-form-urlencoded` body, as OAuth endpoints take. */
export const formRequest = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema } },
})

/**
 * What any route may answer: a bug, or a setting every request may read (ALLOWED_ORIGINS for a
 * browser's, RATE_LIMITS behind a limiter) that is invalid.
 */
const ALWAYS: ErrorCode[] = ['internal_error', 'server_misconfigured']

/** What any route that reads the token settings may answer. */
export const CONFIG_ERRORS: ErrorCode[] = ['server_misconfigured']

/** What any route that touches KV or D1 may answer. */
export const STORAGE_ERRORS: ErrorCode[] = ['temporarily_unavailable']

/** What any route with a JSON body may answer about the body itself. */
export const BODY_ERRORS: ErrorCode[] = [
  'validation_failed',
  'invalid_json',
  'bad_request',
  'payload_too_large',
  'unsupported_media_type',
]

/** What any route behind requireAuth may answer about the access token. */
export const BEARER_ERRORS: ErrorCode[] = ['invalid_token', ...CONFIG_ERRORS, ...STORAGE_ERRORS]

export const bearerSecurity: RouteConfig['security'] = [{ bearerAuth: [] }]

const RETRY_AFTER = {
  'Retry-After': {
    required: true,
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 1 },
  },
} as const

const challenge = (description: string) =>
  ({ 'WWW-Authenticate': { required: true, description, schema: { type: 'string' } } }) as const

/** The headers an error response carries, by status. */
function errorHeaders(status: number, oauth: boolean) {
  if (status === 429 || status === 503) return RETRY_AFTER
  if (status === 401 && oauth) return challenge('Basic realm="edge-auth" (RFC 6749 §5.2)')
  if (status === 401)
    return challenge('Bearer realm="edge-auth", with error="invalid_token" (RFC 6750 §3)')
  return undefined
}

const string = { type: 'string' } as const
type SchemaObject = Parameters<OpenAPIRegistry['registerComponent']>[2]

/** RFC 9457 problem JSON, as http/errors.ts renders it; each response narrows `code`. */
const PROBLEM: SchemaObject = {
  type: 'object',
  properties: {
    type: { ...string, example: 'urn:edge-auth:problem:invalid_token' },
    title: string,
    status: { type: 'integer' },
    detail: string,
    code: { ...string, description: 'Stable, machine-readable error code (docs/errors.md)' },
    errors: {
      type: 'array',
      description: 'With validation_failed: which fields, and why',
      items: {
        type: 'object',
        properties: { field: string, message: string },
        required: ['field', 'message'],
      },
    },
    mfaToken: {
      ...string,
      description:
        'With mfa_required: opaque, single use, 5 minutes; send it with a code to POST /login/mfa',
    },
    requestId: string,
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
}

/** RFC 6749 §5.2 error JSON, on the OAuth routes. */
const OAUTH_ERROR: SchemaObject = {
  type: 'object',
  properties: { error: string, error_description: string },
  required: ['error', 'error_description'],
}

/** Groups codes by the status they answer with (on the OAuth routes, OAuth's status). */
function byStatus<T>(codes: ErrorCode[], pick: (code: ErrorCode) => [number, T]) {
  const groups = new Map<number, { codes: ErrorCode[]; values: Set<T> }>()
  for (const code of new Set([...codes, ...ALWAYS])) {
    const [status, value] = pick(code)
    const group = groups.get(status) ?? { codes: [], values: new Set<T>() }
    group.codes.push(code)
    group.values.add(value)
    groups.set(status, group)
  }
  return [...groups].sort(([a], [b]) => a - b)
}

const meanings = (codes: ErrorCode[]) =>
  codes.map((code) => `\`${code}\`: ${ERRORS[code].meaning}`).join('; ')

/**
 * One status's error body: the shared schema narrowed to that status and its codes. Written as
 * JSON Schema (allOf a $ref) so the document names Problem once rather than copying it.
 */
const narrowed = (ref: string, status: number, member: string, values: string[]) => ({
  allOf: [
    { $ref: `#/components/schemas/${ref}` },
    {
      type: 'object' as const,
      required: ref === 'Problem' ? [member, 'status'] : [member],
      properties: {
        ...(ref === 'Problem' ? { status: { type: 'integer' as const, const: status } } : {}),
        [member]: { type: 'string' as const, enum: values },
      },
    },
  ],
})

/** Problem JSON responses for the codes a route can answer, each status with its enum of codes. */
export function problems(...codes: ErrorCode[][]): Responses {
  return Object.fromEntries(
    byStatus(codes.flat(), (code) => [ERRORS[code].status, code]).map(([status, group]) => [
      status,
      {
        description: meanings(group.codes),
        headers: errorHeaders(status, false),
        content: {
          'application/problem+json': { schema: narrowed('Problem', status, 'code', group.codes) },
        },
      },
    ]),
  )
}

/** RFC 6749 §5.2 error responses for the codes an OAuth route can answer. */
export function oauthProblems(...codes: ErrorCode[][]): Responses {
  return Object.fromEntries(
    byStatus<OAuthErrorCode>(codes.flat(), (code) => [
      ERRORS[code].oauth.status,
      ERRORS[code].oauth.error,
    ]).map(([status, group]) => [
      status,
      {
        description: meanings(group.codes),
        headers: errorHeaders(status, true),
        content: {
          'application/json': {
            schema: narrowed('OAuthError', status, 'error', [...group.values]),
          },
        },
      },
    ]),
  )
}

/**
 * /docs: Swagger UI, served from this worker's static assets (public/docs/, its files copied
 * from node_modules by scripts/assets.mjs), so no third-party script runs in the origin that
 * may spend the refresh cookie. No inline script: the policy allows this origin's files only.
 */
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-auth API</title>
<link rel="stylesheet" href="/docs/vendor/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/vendor/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`

/** Swagger UI sets style attributes and draws data: images; nothing else leaves this origin. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const INFO = {
  title: 'edge-auth',
  version: '0.1.0',
  description:
    'Sign-up, login, short-lived JWT access tokens and rotating refresh tokens on Cloudflare Workers.',
}

/** The OpenAPI 3.1 document for `routes`, without `servers` (which depend on the request). */
export function openApiDocument(routes: RouteConfig[]) {
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
  registry.registerComponent('schemas', 'Problem', PROBLEM)
  registry.registerComponent('schemas', 'OAuthError', OAUTH_ERROR)
  for (const { middleware: _, ...route } of routes) registry.registerPath(route)
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: INFO,
  })
}

// The two documentation routes describe themselves too, so the document lists every route.
const DOC_ROUTES: RouteConfig[] = [
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document (OpenAPI 3.1)',
    tags: ['service'],
    responses: {
      200: {
        description: 'The OpenAPI document',
        content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } },
      },
      ...problems(),
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getDocs',
    summary: 'Interactive documentation (Swagger UI)',
    tags: ['service'],
    responses: {
      200: { description: 'An HTML page', content: { 'text/html': { schema: z.string() } } },
      ...problems(),
    },
  },
]

/** GET /openapi.json (OpenAPI 3.1) and GET /docs (Swagger UI) for every route `app` declares. */
export function serveDocs(app: DocumentedRoutes): void {
  // Generating the document costs milliseconds of CPU, so each isolate does it once.
  let document: ReturnType<typeof openApiDocument> | undefined
  app.get('/openapi.json', (c) => {
    document ??= openApiDocument([...app.declarations, ...DOC_ROUTES])
    const servers = [{ url: requestOrigin(c) }]
    // The servers entry is the request's own origin (appended: CORS may vary it on Origin too).
    c.header('Vary', 'Host', { append: true })
    return c.json({ ...document, servers }, 200, { 'Cache-Control': 'public, max-age=300' })
  })
  app.get('/docs', (c) => c.html(DOCS_PAGE, 200, { 'Content-Security-Policy': DOCS_CSP }))
}
