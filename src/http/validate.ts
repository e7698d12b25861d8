// The first check on a JSON body: its media type and syntax, each with its own stable error code.
// The route's zod schema then validates it (see openapi.ts), so one schema validates and documents.
import type { HonoRequest } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

/** 415 unless the body is declared JSON, 400 unless it parses; the parsed body is cached. */
export const jsonOnly = createMiddleware<AppEnv>(async (c, next) => {
  await checkJson(c.req)
  await next()
})

/**
 * The same, but a request with no body at all passes (and validates as `{}`): for the routes
 * where a browser in cookie mode sends nothing, such as POST /token.
 */
export const jsonOrEmpty = createMiddleware<AppEnv>(async (c, next) => {
  const empty = c.req.raw.body === null || c.req.header('content-length') === '0'
  if (!(empty && c.req.header('content-type') === undefined)) await checkJson(c.req)
  await next()
})

async function checkJson(req: HonoRequest) {
  if (!JSON_TYPE.test(req.header('content-type') ?? '')) {
    throw new ApiError('unsupported_media_type', 'The body must be application/json')
  }
  try {
    await req.json()
  } catch {
    throw new ApiError('invalid_json', 'The body is not valid JSON')
  }
}
