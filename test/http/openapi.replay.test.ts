// Replays /openapi.json against the app: requests generated from each operation's schemas get
// only the statuses, bodies and headers the document declares, and every constraint the document
// publishes is enforced (a request just outside it is refused with 400).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES } from '../../src/app'
import { bearer, call, callWithEnv, signedIn } from '../helpers'
import { ADMIN_SCOPES } from '../../src/env'
import { createKey } from '../routes/admin-callers'
import {
  type Document,
  type Schema,
  breakingValues,
  conforming,
  stringOfLength,
  conformingString,
  resolve,
  violations,
} from './json-schema'

type Response_ = {
  description: string
  headers?: Record<string, { required?: boolean }>
  content?: Record<string, { schema: Schema }>
}
type Operation = {
  operationId: string
  security?: unknown[]
  parameters?: { name: string; in: 'path' | 'query'; required?: boolean; schema: Schema }[]
  requestBody?: { content: Record<string, { schema: Schema }> }
  responses: Record<string, Response_>
}
type Spec = Document & { paths: Record<string, Record<string, Operation>> }

/** What the test sends: path and query parameters, and a body in the operation's media type. */
type Sent = { params: Record<string, string>; query: Record<string, string>; body?: unknown }

/** Conforming requests per operation; a few, because sign-up and sign-in run PBKDF2. */
const RUNS = 8

const spec = (await (await call('/openapi.json')).json()) as Spec
const operations = Object.entries(spec.paths).flatMap(([path, byMethod]) =>
  Object.entries(byMethod).map(([method, op]) => ({ path, method, op })),
)

const mediaType = (op: Operation) => Object.keys(op.requestBody?.content ?? {})[0]
const bodySchema = (op: Operation) => {
  const type = mediaType(op)
  return type ? resolve(spec, op.requestBody!.content[type]!.schema) : undefined
}
const parameters = (op: Operation, where: 'path' | 'query') =>
  (op.parameters ?? []).filter((p) => p.in === where)

/** `.` and `..` are path segments a URL resolves away, not values a client can send. */
const segment = (s: Schema) => conformingString(s).filter((v) => v !== '.' && v !== '..')

function conformingRequest(op: Operation): fc.Arbitrary<Sent> {
  const params = Object.fromEntries(parameters(op, 'path').map((p) => [p.name, segment(p.schema)]))
  const query = fc.record(
    Object.fromEntries(parameters(op, 'query').map((p) => [p.name, conformingString(p.schema)])),
    { requiredKeys: parameters(op, 'query').flatMap((p) => (p.required ? [p.name] : [])) },
  )
  const schema = bodySchema(op)
  return fc.record({
    params: fc.record(params),
    query: query as fc.Arbitrary<Record<string, string>>,
    body: schema ? conforming(spec, schema) : fc.constant(undefined),
  })
}

type Fetch = (path: string, init?: RequestInit) => Promise<Response>

async function send(
  path: string,
  method: string,
  op: Operation,
  sent: Sent,
  auth: Record<string, string>,
  fetch: Fetch = call,
): Promise<Response> {
  const url =
    path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(sent.params[name]!)) +
    (Object.keys(sent.query).length ? `?${new URLSearchParams(sent.query)}` : '')
  const type = mediaType(op)
  if (!type) return fetch(url, { method: method.toUpperCase(), headers: auth })
  const body =
    type === 'application/json'
      ? JSON.stringify(sent.body)
      : new URLSearchParams(sent.body as Record<string, string>).toString()
  return fetch(url, {
    method: method.toUpperCase(),
    headers: { ...auth, 'Content-Type': type },
    body,
  })
}

/** The response is one the operation declares: status, media type, body schema and headers. */
async function expectDeclared(op: Operation, res: Response): Promise<unknown> {
  const declared = op.responses[String(res.status)]
  const text = await res.text()
  expect(declared, `${op.operationId} answered an undeclared ${res.status}: ${text}`).toBeDefined()
  for (const [header, { required }] of Object.entries(declared!.headers ?? {})) {
    if (!required) continue
    expect(res.headers.has(header), `${op.operationId} ${res.status} lacks ${header}`).toBe(true)
  }
  if (!declared!.content) {
    expect(text, `${op.operationId} ${res.status} declares no body`).toBe('')
    return undefined
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!
  const media = declared!.content[type]
  expect(media, `${op.operationId} ${res.status} answered ${type}`).toBeDefined()
  if (type === 'text/html') return text
  const body: unknown = JSON.parse(text)
  expect(violations(spec, media!.schema, body), `${op.operationId} ${res.status}`).toEqual([])
  return body
}

/** OAuth's error format, chosen by path (/oauth/*): what its 400 declares. */
const isForm = (op: Operation) =>
  JSON.stringify(op.requestBody ?? {}).includes('application/x-www-form-urlencoded')

const isOAuth = (op: Operation) => JSON.stringify(op.responses['400'] ?? {}).includes('OAuthError')

type ErrorBody = { code?: string; error?: string; error_description?: string }

/** The schema validators' refusal, in either format (OAuth's shares invalid_request). */
const isSchemaRefusal = (body: ErrorBody) =>
  body.code === 'validation_failed' ||
  body.code === 'invalid_json' ||
  (body.error === 'invalid_request' && /^The request \w+ is invalid$/.test(body.error_description!))

/** A request outside the document is refused with 400, in the operation's error format. */
async function expectRefused(op: Operation, res: Response, why: string) {
  expect(res.status, `${op.operationId}: ${why}`).toBe(400)
  const body = (await expectDeclared(op, res)) as ErrorBody
  expect(isSchemaRefusal(body), `${op.operationId}: ${why}: ${JSON.stringify(body)}`).toBe(true)
  if (!isOAuth(op)) expect(body.code).toBe('validation_failed')
}

/** A request inside the document passes the schema validators, whatever the route makes of it. */
async function expectAccepted(op: Operation, res: Response, what: string) {
  const body = (await expectDeclared(op, res)) as ErrorBody | undefined
  if (body && typeof body === 'object') {
    expect(isSchemaRefusal(body), `${op.operationId}: ${what}: ${JSON.stringify(body)}`).toBe(false)
  }
}

/** A user's access token; for /admin, an API key holding every scope (its check comes first). */
async function credentials(op: Operation, path: string): Promise<Record<string, string>> {
  if (!op.security) return {}
  if (path.startsWith('/admin/')) return bearer((await createKey([...ADMIN_SCOPES])).key).headers
  return bearer((await signedIn('replay')).tokens.accessToken).headers
}

describe('the OpenAPI document, replayed against the app', () => {
  it('covers every operation, each with an operationId', () => {
    expect(operations.length).toBeGreaterThanOrEqual(18)
    const ids = operations.map(({ op }) => op.operationId)
    expect(ids.every(Boolean)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  describe.each(operations)('$method $path', ({ path, method, op }) => {
    it('answers requests inside the document only as it declares', async () => {
      const auth = await credentials(op, path)
      await fc.assert(
        fc.asyncProperty(conformingRequest(op), async (sent) => {
          await expectAccepted(op, await send(path, method, op, sent, auth), 'a generated request')
        }),
        { numRuns: RUNS },
      )
    })

    it('accepts every member at exactly its published limits', async () => {
      const auth = await credentials(op, path)
      const [base] = fc.sample(conformingRequest(op), { numRuns: 1, seed: 7 })
      for (const [name, property] of Object.entries(bodySchema(op)?.properties ?? {})) {
        const s = resolve(spec, property)
        for (const length of [s.minLength, s.maxLength]) {
          if (length === undefined) continue
          const body = { ...(base!.body as object), [name]: stringOfLength(s, length) }
          const res = await send(path, method, op, { ...base!, body }, auth)
          await expectAccepted(op, res, `${name} of ${length}`)
        }
      }
    })

    it('declares what it answers when a setting every request may read is invalid', async () => {
      const broken: Fetch = async (url, init) =>
        callWithEnv({ ALLOWED_ORIGINS: '*', RATE_LIMITS: 'maybe' }, url, {
          ...init,
          headers: { ...(init?.headers as object), Origin: 'https://app.example' },
        })
      const [sent] = fc.sample(conformingRequest(op), { numRuns: 1, seed: 3 })
      const res = await send(path, method, op, sent!, await credentials(op, path), broken)
      expect(res.status).toBe(500)
      const body = (await expectDeclared(op, res)) as ErrorBody
      expect(isOAuth(op) ? body.error : body.code).toBe(
        isOAuth(op) ? 'server_error' : 'server_misconfigured',
      )
    })

    it('refuses a request just outside each published constraint', async () => {
      const auth = await credentials(op, path)
      const [base] = fc.sample(conformingRequest(op), { numRuns: 1, seed: 42 })
      const schema = bodySchema(op)
      const cases: { why: string; sent: Sent }[] = []
      for (const p of parameters(op, 'path')) {
        for (const { why, value } of breakingValues(p.schema)) {
          if (typeof value === 'string' && value !== '') {
            cases.push({ why: `${p.name} ${why}`, sent: { ...base!, params: { [p.name]: value } } })
          }
        }
      }
      for (const p of parameters(op, 'query')) {
        for (const { why, value } of breakingValues(p.schema)) {
          const query = { ...base!.query, [p.name]: String(value) }
          if (why !== 'a number') cases.push({ why: `${p.name} ${why}`, sent: { ...base!, query } })
        }
      }
      for (const [name, property] of Object.entries(schema?.properties ?? {})) {
        const body = base!.body as Record<string, unknown>
        for (const { why, value } of breakingValues(resolve(spec, property))) {
          // A form carries only strings, so "the wrong type" cannot be sent there.
          if (isForm(op) && typeof value !== 'string') continue
          cases.push({
            why: `${name} ${why}`,
            sent: { ...base!, body: { ...body, [name]: value } },
          })
        }
        if (schema!.required?.includes(name)) {
          const { [name]: _, ...rest } = body
          cases.push({ why: `${name} missing`, sent: { ...base!, body: rest } })
        }
      }
      if (schema?.additionalProperties === false) {
        const body = { ...(base!.body as object), admin: true }
        cases.push({ why: 'an undeclared member', sent: { ...base!, body } })
      }
      for (const { why, sent } of cases) {
        await expectRefused(op, await send(path, method, op, sent, auth), why)
      }
    })

    // Only operations that take a body; the others have nothing to send.
    if (mediaType(op)) {
      it('declares what it answers to a body it cannot read', async () => {
        const auth = await credentials(op, path)
        const url = path.replace('{id}', 'x')
        const type = mediaType(op)!
        const post = (contentType: string, body: string) =>
          call(url, {
            method: method.toUpperCase(),
            headers: { ...auth, 'Content-Type': contentType },
            body,
          })
        // Over the size limit: refused in the route's own error format.
        const big = await post(type, 'x'.repeat(MAX_BODY_BYTES + 1))
        expect(big.status).toBe(413)
        const refused = (await expectDeclared(op, big)) as { code?: string; error?: string }
        expect(isOAuth(op) ? refused.error : refused.code).toBe(
          isOAuth(op) ? 'invalid_request' : 'payload_too_large',
        )
        if (type === 'application/json') {
          const plain = (await expectDeclared(op, await post('text/plain', '{}'))) as ErrorBody
          expect(isOAuth(op) ? plain.error : plain.code).toBe(
            isOAuth(op) ? 'invalid_request' : 'unsupported_media_type',
          )
          const broken = (await expectDeclared(op, await post(type, '{"unterminated'))) as ErrorBody
          expect(isOAuth(op) ? broken.error : broken.code).toBe(
            isOAuth(op) ? 'invalid_request' : 'invalid_json',
          )
        }
      })
    }
  })
})
