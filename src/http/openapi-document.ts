// The OpenAPI document: every declared route's schemas and responses, turned into OpenAPI 3.1 by
// zod-to-openapi (the generator @hono/zod-openapi is built on, reading schemas' `.meta()`).
// Build time only: scripts/assets.mjs bundles this with src/app.ts for Node and writes
// public/openapi.json, which GET /openapi.json serves (openapi.ts). The worker never imports this
// file, so the generator (27 KB minified) stays out of its bundle; the tests import it to check
// that the served document is what the declarations make now.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import type { RouteConfig } from '@hono/zod-openapi'
import * as z from 'zod'
import type { DocumentedRoutes } from './documented-routes'
import { ERROR_MEANINGS } from '../error-meanings'
import type { ErrorCode } from '../errors'
import { problems } from './openapi'

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

const INFO = {
  title: 'edge-auth',
  version: '0.1.0',
  description:
    'Sign-up, login, short-lived JWT access tokens and rotating refresh tokens on Cloudflare Workers.',
}

/** An error response's description as declared (http/openapi.ts problems): its codes. */
const CODE_LIST = /^`\w+`(?:; `\w+`)*$/

/** Each error response's codes, each with what it means (error-meanings.ts). */
function withMeanings(responses: RouteConfig['responses']): RouteConfig['responses'] {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const { description } = response as { description?: unknown }
      if (typeof description !== 'string' || !CODE_LIST.test(description)) {
        return [status, response]
      }
      const codes = description.split('; ').map((code) => code.slice(1, -1) as ErrorCode)
      const meanings = codes.map((code) => `\`${code}\`: ${ERROR_MEANINGS[code]}`).join('; ')
      return [status, { ...response, description: meanings }]
    }),
  )
}

/** The OpenAPI 3.1 document for `routes`, without `servers` (which depend on the request). */
function openApiDocument(routes: RouteConfig[]) {
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
  registry.registerComponent('schemas', 'Problem', PROBLEM)
  registry.registerComponent('schemas', 'OAuthError', OAUTH_ERROR)
  for (const { middleware: _, ...route } of routes) {
    registry.registerPath({ ...route, responses: withMeanings(route.responses) })
  }
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

/** The document for every route `app` declares and the two documentation routes. */
export const openApiDocumentOf = (app: DocumentedRoutes) =>
  openApiDocument([...app.declarations, ...DOC_ROUTES])

/**
 * The same as the text public/openapi.json holds: compact JSON, as c.json wrote it when the
 * worker generated it, so GET /openapi.json only appends `servers` to it.
 */
export const openApiDocumentText = (app: DocumentedRoutes): string =>
  JSON.stringify(openApiDocumentOf(app))
