// The first check on a JSON body: its media type and syntax, each with its own stable error code.
// The route's zod schema then validates it (see openapi.ts), so one schema validates and documents.
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

/** 415 unless the body is declared JSON, 400 unless it parses; the parsed body is cached. */
export const jsonOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    throw new ApiError('unsupported_media_type', 'The body must be application/json')
  }
  try {
    await c.req.json()
  } catch {
    throw new ApiError('invalid_json', 'The body is not valid JSON')
  }
  await next()
})
