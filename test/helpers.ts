// Shared test helpers: requests through the real worker, and users made per test.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { sign } from 'hono/jwt'
import { expect, vi } from 'vitest'
import worker from '../src/index'
import type { Bindings, Config, Signing } from '../src/env'
import type { TokenPair } from '../src/schemas'
import { toBase64Url } from '../src/auth/encoding'
import { loadLanguage } from '../src/http/catalog-assets'

export const ORIGIN = 'https://auth.example'
export const PASSWORD = 'correct horse battery staple'

let counter = 0
/** KV and D1 are shared inside a test file, so every test registers its own user. */
export const uniqueUsername = (prefix = 'user'): string =>
  `${prefix}_${Date.now().toString(36)}${(counter++).toString(36)}`.slice(0, 32)

/**
 * Each request comes from its own client address unless the test names one, so the per-client
 * rate limits (on, as in production) only bite in the tests that aim at them. The addresses
 * share one network (2001:db8:1::/48), so limits per network (the login backoff) see one client.
 */
function request(path: string, init?: RequestInit): Request {
  const req = new Request(ORIGIN + path, init)
  if (!req.headers.has('cf-connecting-ip')) {
    const id = crypto.randomUUID()
    req.headers.set('cf-connecting-ip', `2001:db8:1::${id.slice(0, 4)}:${id.slice(4, 8)}`)
  }
  return req
}

/**
 * Installs the French and Spanish catalogs from the static assets, for a test that renders a view
 * or a mail itself rather than through a request (whose middleware would have).
 */
export const installCatalogs = async () => {
  await Promise.all((['fr', 'es'] as const).map((lang) => loadLanguage(env.ASSETS, lang)))
}

/** A request through the deployed worker's own fetch handler. */
export const call = (path: string, init?: RequestInit): Promise<Response> =>
  exports.default.fetch(request(path, init))

/** The same, with a different environment: for fail-closed configuration tests. */
export const callWithEnv = (overrides: Partial<Bindings>, path: string, init?: RequestInit) =>
  worker.fetch(request(path, init), { ...env, ...overrides } as Bindings, createExecutionContext())

/**
 * The same, resolving when the response is ready (`answered`, as the client sees it) and again
 * once the work it left for after the response (waitUntil) is done (`settled`).
 */
export function callSettling(overrides: Partial<Bindings>, path: string, init?: RequestInit) {
  const ctx = createExecutionContext()
  const answered = Promise.resolve(
    worker.fetch(request(path, init), { ...env, ...overrides } as Bindings, ctx),
  )
  return { answered, settled: answered.then(() => waitOnExecutionContext(ctx)) }
}

export const jsonInit = (
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

export const sendJson = (
  method: string,
  path: string,
  body: unknown,
  headers?: Record<string, string>,
) => call(path, jsonInit(method, body, headers))

export const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

export async function registerUser(username = uniqueUsername(), password = PASSWORD) {
  const res = await sendJson('POST', '/register', { username, password })
  expect(res.status).toBe(201)
  return { username, password, user: (await res.json()) as { id: string; username: string } }
}

export async function loginUser(username: string, password = PASSWORD): Promise<TokenPair> {
  const res = await sendJson('POST', '/login', { username, password })
  expect(res.status).toBe(200)
  return res.json()
}

/** A registered, logged-in user. */
export async function signedIn(prefix?: string) {
  const account = await registerUser(uniqueUsername(prefix))
  return { ...account, tokens: await loginUser(account.username) }
}

export const refresh = (token: string) => sendJson('POST', '/token', { token })

/** The refresh cookie's name in cookie mode. */
export const REFRESH_COOKIE = '__Host-refresh_token'

/** The refresh cookie a response sets (its value and attributes), or null. */
export function refreshCookieOf(res: Response): { value: string; attributes: string[] } | null {
  const header = res.headers.getSetCookie().find((line) => line.startsWith(`${REFRESH_COOKIE}=`))
  if (!header) return null
  const [pair, ...attributes] = header.split(/;\s*/)
  return { value: pair!.slice(REFRESH_COOKIE.length + 1), attributes }
}

/** The worker's configured signing key (the newest in JWT_PRIVATE_KEYS), as a signing JWK. */
/** A user signed in in cookie mode from this origin: the cookie's value and the access token. */
export async function cookieSession() {
  const { username, user } = await registerUser()
  const res = await call('/login', {
    ...jsonInit('POST', { username, password: PASSWORD, mode: 'cookie' }),
    headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
  })
  expect(res.status).toBe(200)
  const { accessToken } = (await res.json()) as { accessToken: string }
  return { username, user, cookie: refreshCookieOf(res)!.value, accessToken }
}

/** Every key in the refresh-token KV namespace, sorted: to assert that nothing was written. */
export const kvKeys = async () =>
  (await env.REFRESH_TOKENS.list()).keys.map((key) => key.name).sort()

export const serverSigningKey = () =>
  (JSON.parse(env.JWT_PRIVATE_KEYS) as { keys: (JsonWebKey & { kid: string; alg: 'ES256' })[] })
    .keys[0]!

/** Signs arbitrary claims exactly as the worker would: for tokens the worker cannot be made to mint. */
export const signAsServer = (claims: Record<string, unknown>) => sign(claims, serverSigningKey())

/** Asserts an RFC 9457 problem response with the given status and code, and returns its body. */
export async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  const body = (await res.json()) as Record<string, unknown>
  expect(body).toMatchObject({ status, code, type: `urn:edge-auth:problem:${code}` })
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  return body
}

/** Moves only Date (the service's clock) so KV and D1 I/O keep their real timers. */
export function freezeTime(at = Date.now()) {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(at)
  return {
    advance: (ms: number) => vi.setSystemTime(Date.now() + ms),
    restore: () => vi.useRealTimers(),
  }
}

/**
 * Collects the worker's log lines (it writes each with console.log) instead of printing them, and
 * anything written to console.warn or console.error too, so no stray line escapes the checks.
 */
export function captureLogs(): string[] {
  const lines: string[] = []
  for (const method of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((line: string) => void lines.push(line))
  }
  return lines
}

/** A complete Config for unit tests of the token modules, with the defaults the worker uses. */
export const unitConfig = (signing: Signing, overrides: Partial<Config> = {}): Config => ({
  accessTokenTtl: 20,
  refreshTokenTtl: 1209600,
  sessionMaxAge: 2592000,
  refreshReuseWindow: 10,
  jwtLeeway: 0,
  rateLimits: true,
  loginMaxFailures: 5,
  issuer: 'edge-auth',
  issuerFromHost: false,
  audience: 'edge-auth',
  signing,
  idTokenRsaKeys: null,
  refreshTokenSecret: 'b'.repeat(64),
  ...overrides,
})

/**
 * Stores a PBKDF2 hash of `password` with 50,000 iterations for the user, as an older version of
 * the service would have: the next sign-in that knows the password upgrades it.
 */
export async function storeLegacyHash(userId: string, password = PASSWORD): Promise<void> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 50_000 },
    key,
    256,
  )
  const legacy = `pbkdf2-sha256$50000$${toBase64Url(salt)}$${toBase64Url(bits)}`
  await env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ?').bind(legacy, userId).run()
}

/** What `promise` rejects with; a resolution fails the test. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => err,
  )
}
