// OpenAuth 0.4.3 on Cloudflare Workers, set up as its example examples/issuer/cloudflare/issuer.ts
// (openauthjs/openauth): issuer({ storage: CloudflareStorage({ namespace: env.<KV> }), subjects,
// providers: { password: PasswordProvider(PasswordUI({ sendCode })) }, success }), answered by
// the issuer's own Hono app. Beside it, in the same worker, two routes of "the app" that uses it:
//
//   GET  /api/me        a protected route: createClient({ clientID, issuer, fetch }).verify(subjects,
//                       token), as examples/client/cloudflare-api/api.ts does, its `fetch` pointed at
//                       the issuer app in-process (the example uses a service binding) so the JWKS
//                       comes from this worker; no `refresh` option, so a check never refreshes.
//   POST /app/sign-in   one password sign-in through the issuer's real routes, in-process: GET
//                       /authorize (the encrypted authorization cookie), POST /password/authorize
//                       (the password form: scrypt check, a code stored in KV, 302 to the
//                       redirect URI), then client.exchange(code) (POST /token). Only because the
//                       bench counts a 302 as a failure; see README.md.
//   GET  /dev/outbox    the last sign-up code "mailed" to ?email= (sendCode keeps it in memory),
//                       so setup can register through the real /password/register flow.
//
// The issuer is built once per isolate (per env object) rather than on every request as the
// example does; OPENAUTH_ISSUER_PER_REQUEST=1 builds it (and the client) per request, exactly
// as the examples do, to measure what that costs.
import { issuer } from '@openauthjs/openauth'
import { createClient } from '@openauthjs/openauth/client'
import { PasswordProvider } from '@openauthjs/openauth/provider/password'
import { CloudflareStorage } from '@openauthjs/openauth/storage/cloudflare'
import { createSubjects } from '@openauthjs/openauth/subject'
import { PasswordUI } from '@openauthjs/openauth/ui/password'
import { z } from 'zod'

export const subjects = createSubjects({
  user: z.object({ id: z.string() }),
})

export const CLIENT_ID = 'bench-app'

/** Sign-up codes, as an email would carry them (memory only: one isolate under Miniflare). */
const outbox = new Map()

/**
 * The KV namespace as CloudflareStorage sees it, with one fix: OpenAuth 0.4.3 (still the latest
 * release) computes expirationTtl as floor((expiry - now) / 1000), which is 59 for its 60 s
 * records (the authorization code, a used refresh token kept for the reuse interval) whenever
 * the clock ticks between the two reads, and KV refuses a TTL under 60 (openauthjs/openauth
 * issues #133, #204, #302). Upstream's fix, merged after 0.4.3 (PR #219), clamps it to 60; so
 * does this. Every call still goes to env.AUTH_KV, so the bench counts it.
 */
const kvMin60 = (kv) => ({
  get: (...args) => kv.get(...args),
  getWithMetadata: (...args) => kv.getWithMetadata(...args),
  put: (key, value, options) =>
    kv.put(
      key,
      value,
      options?.expirationTtl === undefined
        ? options
        : { ...options, expirationTtl: Math.max(options.expirationTtl, 60) },
    ),
  delete: (...args) => kv.delete(...args),
  list: (...args) => kv.list(...args),
})

function build(env) {
  const app = issuer({
    storage: CloudflareStorage({ namespace: kvMin60(env.AUTH_KV) }),
    subjects,
    providers: {
      password: PasswordProvider(
        PasswordUI({
          sendCode: async (email, code) => {
            outbox.set(email, code)
          },
        }),
      ),
    },
    // Default lifetimes, stated: access 30 days, refresh 1 year, reuse 60 s, retention 0.
    ttl: { access: 60 * 60 * 24 * 30, refresh: 60 * 60 * 24 * 365, reuse: 60, retention: 0 },
    success: async (ctx, value) => {
      if (value.provider === 'password') {
        // The example's getUser(email) looks the user up in the app's database; the email is the
        // user's id here, so no storage is added to OpenAuth's own.
        return ctx.subject('user', { id: value.email })
      }
      throw new Error('Invalid provider')
    },
  })
  const clients = new Map() // per issuer URL; each keeps its own JWKS cache for its lifetime
  const clientFor = (issuerUrl) => {
    let client = clients.get(issuerUrl)
    if (!client) {
      client = createClient({
        clientID: CLIENT_ID,
        issuer: issuerUrl,
        // Worker-to-worker as in examples/client/cloudflare-api: the issuer's discovery document,
        // JWKS and /token are answered by the issuer app in this isolate, not over the network.
        fetch: (input, init) => app.fetch(new Request(input, init), env),
      })
      clients.set(issuerUrl, client)
    }
    return client
  }
  return { app, clientFor }
}

let built = null
let builtFor = null

function instance(env) {
  if (env.OPENAUTH_ISSUER_PER_REQUEST === '1') return build(env)
  if (builtFor !== env) {
    builtFor = env
    built = build(env)
  }
  return built
}

const cookieOf = (res) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => !c.endsWith('='))
    .join('; ')

async function signIn(request, env, { app, clientFor }) {
  const origin = new URL(request.url).origin
  const form = await request.formData()
  const redirectURI = `${origin}/callback`
  const client = clientFor(origin)
  const { url } = await client.authorize(redirectURI, 'code', { provider: 'password' })
  const started = await app.fetch(new Request(url), env)
  if (started.status !== 302) return new Response('authorize failed', { status: 502 })
  const answered = await app.fetch(
    new Request(`${origin}/password/authorize`, {
      method: 'POST',
      headers: { cookie: cookieOf(started) },
      body: new URLSearchParams({
        email: form.get('email') ?? '',
        password: form.get('password') ?? '',
      }),
    }),
    env,
  )
  const location = answered.headers.get('location')
  const code = location && new URL(location).searchParams.get('code')
  if (!code) return new Response('invalid credentials', { status: 401 })
  const exchanged = await client.exchange(code, redirectURI)
  if (exchanged.err) return new Response('exchange failed', { status: 502 })
  return Response.json({
    access_token: exchanged.tokens.access,
    refresh_token: exchanged.tokens.refresh,
    expires_in: exchanged.tokens.expiresIn,
  })
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const parts = instance(env)
    if (url.pathname === '/api/me' && request.method === 'GET') {
      const header = request.headers.get('authorization') ?? ''
      const token = header.startsWith('Bearer ') ? header.slice(7) : ''
      const verified = await parts.clientFor(url.origin).verify(subjects, token)
      if (verified.err) return Response.json({ error: 'unauthorized' }, { status: 401 })
      return Response.json(verified.subject)
    }
    if (url.pathname === '/app/sign-in' && request.method === 'POST') {
      return signIn(request, env, parts)
    }
    if (url.pathname === '/dev/outbox') {
      const code = outbox.get(url.searchParams.get('email') ?? '')
      return code ? Response.json({ code }) : new Response('no mail', { status: 404 })
    }
    return parts.app.fetch(request, env, ctx)
  },
}
