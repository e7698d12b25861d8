// OpenAuth as a bench peer: its issuer on Workers KV (worker.mjs), a user registered and signed
// in through its real password flow over plain HTTP (GET /authorize → the password form's POSTs
// → 302 with a code → POST /token), and the three operations.
import { randomBytes } from 'node:crypto'
import { refreshChains } from '../../harness/load.mjs'

const CLIENT_ID = 'bench-app'
const EMAIL = 'bench@example.com'
const PASSWORD = randomBytes(12).toString('base64url')
const form = (fields) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
})

/** A browser's cookies for one flow: each Set-Cookie replaces (or, when emptied, drops) its name. */
function cookieJar() {
  const jar = new Map()
  return {
    take(res) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';')
        const at = pair.indexOf('=')
        const name = pair.slice(0, at)
        const value = pair.slice(at + 1)
        if (value && !/max-age=0/i.test(line)) jar.set(name, value)
        else jar.delete(name)
      }
      return res
    },
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
  }
}

async function call(url, path, init, jar, expect) {
  const res = jar.take(
    await fetch(url + path, {
      redirect: 'manual',
      ...init,
      headers: { ...init?.headers, cookie: jar.header() },
    }),
  )
  if (res.status !== expect) throw new Error(`openauth ${path}: ${res.status} ${await res.text()}`)
  return res
}

/** The code the issuer put on the redirect to the app's callback, exchanged at POST /token. */
async function exchange(url, redirectURI, res) {
  const code = new URL(res.headers.get('location')).searchParams.get('code')
  if (!code) throw new Error(`openauth: no code in ${res.headers.get('location')}`)
  const tokens = await fetch(`${url}/token`, {
    method: 'POST',
    ...form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectURI,
      client_id: CLIENT_ID,
    }),
  })
  if (!tokens.ok) throw new Error(`openauth /token: ${tokens.status} ${await tokens.text()}`)
  return tokens.json()
}

const authorizePath = (redirectURI) =>
  '/authorize?' +
  new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectURI,
    response_type: 'code',
    state: randomBytes(8).toString('hex'),
    provider: 'password',
  })

/** Sign-up: the register form, the emailed code (read from the worker's outbox), verify. */
async function register(url) {
  const redirectURI = `${url}/callback`
  const jar = cookieJar()
  await call(url, authorizePath(redirectURI), {}, jar, 302)
  await call(url, '/password/register', {}, jar, 200)
  const body = { action: 'register', email: EMAIL, password: PASSWORD, repeat: PASSWORD }
  await call(url, '/password/register', { method: 'POST', ...form(body) }, jar, 200)
  const mail = await fetch(`${url}/dev/outbox?email=${encodeURIComponent(EMAIL)}`)
  if (!mail.ok) throw new Error(`openauth: no sign-up code (${mail.status})`)
  const { code } = await mail.json()
  const verified = await call(
    url,
    '/password/register',
    { method: 'POST', ...form({ action: 'verify', code }) },
    jar,
    302,
  )
  return exchange(url, redirectURI, verified)
}

/** Sign-in as a browser makes it: /authorize, then the password form, then the code exchange. */
async function signIn(url) {
  const redirectURI = `${url}/callback`
  const jar = cookieJar()
  await call(url, authorizePath(redirectURI), {}, jar, 302)
  const res = await call(
    url,
    '/password/authorize',
    { method: 'POST', ...form({ email: EMAIL, password: PASSWORD }) },
    jar,
    302,
  )
  return exchange(url, redirectURI, res)
}

export const peer = {
  name: 'openauth',
  label: '@openauthjs/openauth@0.4.3, KV',
  entry: new URL('./worker.mjs', import.meta.url).pathname,
  // The password provider's default hasher is node:crypto's scrypt; the issuer reads process.env.
  compatibilityFlags: ['nodejs_compat'],
  kvNamespaces: ['AUTH_KV'],
  d1Databases: [],
  bindings: { OPENAUTH_ISSUER_PER_REQUEST: '0' },
  sql: [],

  async setup(worker, { chains }) {
    const first = await register(worker.url)
    const refreshTokens = [first.refresh_token]
    // Every further chain is a sign-in of its own (its own refresh-token family), one at a time.
    while (refreshTokens.length < chains)
      refreshTokens.push((await signIn(worker.url)).refresh_token)
    return { accessToken: first.access_token, refreshTokens, email: EMAIL, password: PASSWORD }
  },

  operations: {
    // OpenAuth's refresh_token grant: the token is read from KV, marked used (kept for the 60 s
    // reuse interval), its pre-reserved successor written, and a new ES256 access token signed.
    // One pool per ctx, however often this is called: a token presented again within 60 s is
    // answered with its old successor and no write (less work than a refresh), and after 60 s
    // OpenAuth takes it for theft and deletes every refresh token of the user (every chain).
    refresh: (ctx) =>
      (ctx.refreshLoad ??= refreshChains({
        path: '/token',
        tokens: ctx.refreshTokens,
        present: (token) => form({ grant_type: 'refresh_token', refresh_token: token }),
        nextToken: (body) => JSON.parse(body).refresh_token,
      })),
    // The app's protected route: client.verify(subjects, token) against the issuer's JWKS.
    tokenCheck: (ctx) => () => ({
      method: 'GET',
      path: '/api/me',
      headers: { authorization: `Bearer ${ctx.accessToken}` },
    }),
    // One password sign-in through the issuer's real routes, driven in-process (see README.md).
    signIn: (ctx) => () => ({
      method: 'POST',
      path: '/app/sign-in',
      ...form({ email: ctx.email, password: ctx.password }),
    }),
  },
}
