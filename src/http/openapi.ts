// The OpenAPI side of the routes: shared response declarations, and GET /openapi.json and /docs.
// The document itself is generated at build time from every declared route (openapi-document.ts,
// run by scripts/assets.mjs) and served from the worker's static assets, so the generator is not
// in the worker.
import type { RouteConfig } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { z } from 'zod'
import { type AppEnv, requestOrigin } from '../env'
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

/**
 * An error response's description as the worker holds it: its codes. The build-time document
 * words each with its meaning (openapi-document.ts, from error-meanings.ts, which the worker does
 * not carry).
 */
const codeList = (codes: ErrorCode[]) => codes.map((code) => `\`${code}\``).join('; ')

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
        description: codeList(group.codes),
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
        description: codeList(group.codes),
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

/**
 * Where scripts/assets.mjs writes the document among the static assets. wrangler.toml's
 * `run_worker_first` claims this path, so the file is only ever served through the route below
 * (with `servers` and this worker's headers), never as a bare asset.
 */
export const OPENAPI_ASSET = '/openapi.json'

/**
 * The generated document's text, read once per isolate (the assets are deployed with this
 * version of the worker, so they cannot change under it), and again only for another binding
 * (a test's). Only a text read in full is kept: a read in flight belongs to its own request
 * (workerd cancels it with that request), so requests at a cold start each read it once.
 */
let cached: { assets: Fetcher; text: string } | undefined

async function readDocument(assets: Fetcher, url: string): Promise<string> {
  const res = await assets.fetch(new URL(OPENAPI_ASSET, url))
  const text = await res.text()
  // Fail closed on a missing or foreign file rather than serve it as the API's description.
  if (!res.ok || !text.startsWith('{"openapi":"3.1.0"') || !text.endsWith('}')) {
    throw new Error(`${OPENAPI_ASSET} is not among the static assets (node scripts/assets.mjs)`)
  }
  return text
}

async function documentText(c: Context<AppEnv>): Promise<string> {
  // The static assets binding, read here as http/rate-limit.ts reads the limiters: it holds
  // files of this deployment, not data (test/layers.test.ts allows it).
  const assets = c.env.ASSETS
  if (cached?.assets === assets) return cached.text
  const text = await readDocument(assets, c.req.url)
  cached = { assets, text }
  return text
}

/** GET /openapi.json (OpenAPI 3.1) and GET /docs (Swagger UI) for every route `app` declares. */
export function serveDocs(app: DocumentedRoutes): void {
  app.get('/openapi.json', async (c) => {
    const text = await documentText(c)
    // The servers entry is the request's own origin (appended: CORS may vary it on Origin too),
    // added as the last member, where `{...document, servers}` put it.
    const servers = JSON.stringify([{ url: requestOrigin(c) }])
    c.header('Vary', 'Host', { append: true })
    return c.body(`${text.slice(0, -1)},"servers":${servers}}`, 200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'public, max-age=300',
    })
  })
  app.get('/docs', (c) => c.html(DOCS_PAGE, 200, { 'Content-Security-Policy': DOCS_CSP }))
}
