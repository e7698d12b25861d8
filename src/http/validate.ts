// Request-body validation at the edge of a route: JSON only, strict zod schemas, 4xx on any mistake.
import type { Context, MiddlewareHandler } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from '../env'
import { ApiError, type FieldError } from './errors'

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

// Field names and reasons only: a zod message never carries the rejected value.
const fieldErrors = (error: z.ZodError): FieldError[] =>
  error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }))

/** Parses and validates a JSON body; the handler reads it with `c.req.valid('json')`. */
export function jsonBody<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<AppEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      throw new ApiError(415, 'unsupported_media_type', 'The body must be application/json')
    }
    let body: unknown
    try {
      body = JSON.parse(await c.req.text())
    } catch {
      throw new ApiError(400, 'invalid_json', 'The body is not valid JSON')
    }
    const result = schema.safeParse(body)
    if (!result.success) {
      throw new ApiError(400, 'validation_failed', 'The request body is invalid', {
        errors: fieldErrors(result.error),
      })
    }
    c.req.addValidatedData('json', result.data as object)
    await next()
  }
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i

/**
 * Parses an `application/x-www-form-urlencoded` body as RFC 6749 §3.2 reads it: a parameter
 * sent without a value is omitted, and one sent twice is an error.
 */
export async function formParams(c: Context<AppEnv>): Promise<Map<string, string>> {
  if (!FORM_TYPE.test(c.req.header('content-type') ?? '')) {
    throw new ApiError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded')
  }
  const params = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(await c.req.text())) {
    if (value === '') continue
    if (params.has(name)) {
      throw new ApiError(400, 'invalid_request', `The ${name} parameter appears more than once`)
    }
    params.set(name, value)
  }
  return params
}
