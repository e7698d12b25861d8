// A Hono router whose routes are declared once (createRoute) with the zod schemas that validate
// their requests; the same declarations describe them in /openapi.json (see openapi.ts).
//
// Routes are declared in @hono/zod-openapi's shape and their handlers typed by its RouteHandler,
// but mounted here: the package itself keeps all of zod in the bundle (it extends zod's whole
// namespace object), which doubled the worker, 65 KB to 134 KB gzip.
import type { RouteConfig, RouteHandler } from '@hono/zod-openapi'
import { zValidator } from '@hono/zod-validator'
import { type MiddlewareHandler } from 'hono'
import { Hono } from './router'
import * as z from 'zod'
import type { AppEnv } from '../env'
import { ApiError, type FieldError } from '../errors'

/** A route's declaration: method, path, operationId, the schemas that validate it, its responses. */
export const createRoute = <R extends RouteConfig & { operationId: string }>(route: R): R => route

type Target = 'json' | 'form' | 'query' | 'param'

/** Zod failures become our 400 validation_failed (invalid_request on the OAuth routes). */
const failed = (result: { success: boolean; error?: unknown; target: Target }) => {
  if (!result.success) {
    const part = result.target === 'json' || result.target === 'form' ? 'body' : result.target
    throw new ApiError('validation_failed', `The request ${part} is invalid`, {
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
    ...Object.entries(request.body?.content ?? {}).map(([type, media]) => {
      const schema = (media as { schema?: unknown }).schema
      // A body the router cannot validate must not be documented as if it were.
      if (!BODY_TARGETS[type] || !(schema instanceof z.ZodType)) {
        throw new Error(`${route.method} ${route.path}: no validator for a ${type} body`)
      }
      return [BODY_TARGETS[type], schema] as [Target, unknown]
    }),
  ]
  return parts
    .filter(([, schema]) => schema instanceof z.ZodType)
    .map(
      ([target, schema]) =>
        zValidator(target, schema as z.ZodType, failed as never) as MiddlewareHandler,
    )
}

type On = (method: string, path: string, ...handlers: MiddlewareHandler[]) => unknown

/** Mounts declared routes and remembers their declarations, and those of the routers it includes. */
export class DocumentedRoutes extends Hono<AppEnv> {
  readonly declarations: RouteConfig[] = []

  /** Declares, validates and mounts one route. */
  openapi<R extends RouteConfig>(route: R, handler: RouteHandler<R, AppEnv>): this {
    this.declarations.push(route)
    const middleware = [route.middleware ?? []].flat() as MiddlewareHandler[]
    const path = route.path.replace(/\{(\w+)\}/g, ':$1')
    const on = this.on.bind(this) as unknown as On
    on(route.method.toUpperCase(), path, ...middleware, ...validators(route), handler as never)
    return this
  }

  /** Mounts another router's routes at the root, declarations included. */
  include(routes: DocumentedRoutes): this {
    this.route('/', routes)
    this.declarations.push(...routes.declarations)
    return this
  }
}

export const documentedRoutes = () => new DocumentedRoutes()
