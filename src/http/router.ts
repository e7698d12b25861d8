// The app's Hono, matched by Hono's TrieRouter alone. `hono`'s default tries the RegExpRouter
// first, on the first request, and falls back to the TrieRouter for routes like ours (the
// RegExpRouter refuses /admin/webhooks/deliveries/:id/redeliver beside /admin/webhooks/:id/...):
// each cold isolate built a regular expression for every route and threw it away, and the bundle
// carried a router never used (about 1.5 KB gzip). The SmartRouter around it keeps what the
// default did well: routes are only collected as the modules load (a route group's own router
// is never matched: the app copies its routes), and the trie is built on the first request.
import type { BlankSchema, Env, Schema } from 'hono/types'
import { HonoBase } from 'hono/hono-base'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'

export class Hono<
  E extends Env = Env,
  S extends Schema = BlankSchema,
  B extends string = '/',
> extends HonoBase<E, S, B> {
  constructor() {
    super({ router: new SmartRouter({ routers: [new TrieRouter()] }) })
  }
}
