// The app's Hono, matched by Hono's TrieRouter alone. `hono`'s default (SmartRouter) tries the
// RegExpRouter first, on the first request, and falls back to the TrieRouter for routes like ours
// (the RegExpRouter refuses /admin/webhooks/deliveries/:id/redeliver beside
// /admin/webhooks/:id/...): each cold isolate built a regular expression for every route and threw
// it away, and the bundle carried a router never used (about 1.5 KB gzip).
import type { BlankSchema, Env, Schema } from 'hono/types'
import { HonoBase } from 'hono/hono-base'
import { TrieRouter } from 'hono/router/trie-router'

export class Hono<
  E extends Env = Env,
  S extends Schema = BlankSchema,
  B extends string = '/',
> extends HonoBase<E, S, B> {
  constructor() {
    super({ router: new TrieRouter() })
  }
}
