// better-auth 1.7.25 on D1: email and password sign-in, and the session check. See README.md.
import { readFileSync } from 'node:fs'
import { json } from '../../harness/load.mjs'

const here = (file) => new URL(file, import.meta.url).pathname
const version = JSON.parse(
  readFileSync(here('../../../node_modules/better-auth/package.json'), 'utf8'),
).version

const EMAIL = 'bench@example.com'
const PASSWORD = 'correct horse battery staple'

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
const cookiesOf = (res) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((c) => !c.endsWith('='))
    .join('; ')

async function call(url, path, body, headers = {}) {
  const res = await fetch(url + path, json('POST', body, headers))
  if (!res.ok) throw new Error(`better-auth ${path}: ${res.status} ${await res.text()}`)
  return { body: await res.json(), cookie: cookiesOf(res) }
}

export const peer = {
  name: 'better-auth',
  label: `better-auth@${version}, D1`,
  entry: here('./worker.mjs'),
  // node:crypto (scrypt) and AsyncLocalStorage; the docs' Cloudflare guide asks for it.
  compatibilityFlags: ['nodejs_compat'],
  kvNamespaces: [],
  d1Databases: ['DB'],
  bindings: {
    BETTER_AUTH_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'),
    NODE_ENV: 'production',
  },
  sql: [readFileSync(here('./schema.sql'), 'utf8')],

  /** A user through the real sign-up, then a sign-in for the session the checks present. */
  async setup(worker) {
    const origin = { origin: worker.url }
    const signUp = await call(
      worker.url,
      '/api/auth/sign-up/email',
      { name: 'Bench User', email: EMAIL, password: PASSWORD },
      origin,
    )
    if (!signUp.body.user?.id) throw new Error('better-auth sign-up: no user')
    const signIn = await call(
      worker.url,
      '/api/auth/sign-in/email',
      { email: EMAIL, password: PASSWORD },
      origin,
    )
    if (!/session_token=/.test(signIn.cookie))
      throw new Error(`better-auth sign-in: no session cookie (${signIn.cookie})`)
    return { url: worker.url, sessionCookie: signIn.cookie, sessionToken: signIn.body.token }
  },

  operations: {
    // POST /api/auth/sign-in/email: scrypt check, then a new session row (like POST /login).
    signIn: (ctx) => () => ({
      path: '/api/auth/sign-in/email',
      ...json('POST', { email: EMAIL, password: PASSWORD }, { origin: ctx.url }),
    }),
    // GET /api/auth/get-session with the session cookie (like a protected GET /users).
    tokenCheck: (ctx) => () => ({
      path: '/api/auth/get-session',
      method: 'GET',
      headers: { cookie: ctx.sessionCookie },
    }),
  },
}
