// better-auth on Cloudflare Workers with D1, as its docs set it up: the D1 binding passed
// straight as `database` (better-auth's Kysely adapter recognises a D1 binding and uses its own
// D1 dialect: no kysely-d1, no Drizzle), `auth.handler` mounted on /api/auth/*, nodejs_compat on.
// The docs build the auth at module scope from `import { env } from 'cloudflare:workers'`; here
// it is built from fetch's `env` instead (the bench counts storage through that argument) and kept
// per env object, which is the same for every request of an isolate: one instance per isolate,
// as at module scope.
import { betterAuth } from 'better-auth'
import { authOptions } from './auth-options.mjs'

let authFor = null
let auth = null

function getAuth(env, request) {
  if (authFor !== env) {
    authFor = env
    auth = betterAuth({
      ...authOptions({
        secret: env.BETTER_AUTH_SECRET,
        // A deployment names its public URL (BETTER_AUTH_URL); the bench's port is only known
        // once the worker runs, so the first request's origin stands in for it.
        baseURL: env.BETTER_AUTH_URL || new URL(request.url).origin,
      }),
      database: env.DB,
    })
  }
  return auth
}

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname.startsWith('/api/auth/')) {
      return getAuth(env, request).handler(request)
    }
    return new Response('Not Found', { status: 404 })
  },
}
