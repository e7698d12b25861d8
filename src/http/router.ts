// The app's Hono, matched by Hono's TrieRouter alone, with the routing of paths that take no
// parameter remembered.
//
// `hono`'s default tries the RegExpRouter first, on the first request, and falls back to the
// TrieRouter for routes like ours (the RegExpRouter refuses /admin/webhooks/deliveries/:id/redeliver
// beside /admin/webhooks/:id/...): each cold isolate built a regular expression for every route and
// threw it away, and the bundle carried a router never used (about 1.5 KB gzip). The SmartRouter
// around the trie keeps what the default did well: routes are only collected as the modules load
// (a route group's own router is never matched: the app copies its routes), and the trie is built
// on the first request.
import type { BlankSchema, Env, Schema } from 'hono/types'
import { HonoBase } from 'hono/hono-base'
import type { Result, Router } from 'hono/router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'

/** Paths remembered per isolate; any path may be asked for, so the memory is emptied when full. */
export const REMEMBERED_PATHS = 256

/**
 * Remembers what `inner` matched for a method and path when no parameter was taken from the
 * path (/users, /token, /health…: most requests), so the trie is searched once per such path
 * and isolate. A result with parameters is not kept: it would tie one request's values to the
 * next. Results are only read (Hono copies nothing out of them but handlers and values).
 */
export class RememberingRouter<T> implements Router<T> {
  readonly name = 'RememberingRouter'
  readonly #paths = new Map<string, Result<T>>()

  constructor(private readonly inner: Router<T>) {}

  add(method: string, path: string, handler: T): void {
    this.inner.add(method, path, handler)
    this.#paths.clear()
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`
    const known = this.#paths.get(key)
    if (known) return known
    const result = this.inner.match(method, path)
    if (result.length === 1 && result[0].every(([, params]) => isEmpty(params))) {
      if (this.#paths.size >= REMEMBERED_PATHS) this.#paths.clear()
      this.#paths.set(key, result)
    }
    return result
  }
}

const isEmpty = (params: object): boolean => {
  for (const _ in params) return false
  return true
}

export class Hono<
  E extends Env = Env,
  S extends Schema = BlankSchema,
  B extends string = '/',
> extends HonoBase<E, S, B> {
  constructor() {
    super({ router: new RememberingRouter(new SmartRouter({ routers: [new TrieRouter()] })) })
  }
}
