// Every SDK method fails with AuthError and a stable code, and only a 401 about the access token
// itself refreshes: a wrong password is sent once, refreshes nothing and changes no state.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthError, createAuthClient } from '../src/index'
import { ceremony } from '../src/errors'
import { accessAnswer, fakeApi, installFakeLocks, json, problem, resumeAnswer } from './fakes'

const password = 'correct horse battery staple'
let base: string

beforeEach(() => {
  base = `https://auth-${crypto.randomUUID().slice(0, 8)}.example`
  installFakeLocks()
})

afterEach(() => vi.unstubAllGlobals())

/** What our API answers for a wrong password on a bearer route (its challenge included). */
const wrongPassword = () =>
  problem(401, 'invalid_credentials', {
    'WWW-Authenticate': 'Bearer realm="edge-auth", error="invalid_token", error_description="x"',
  })

async function signedInClient(routes: Parameters<typeof fakeApi>[0]) {
  const api = fakeApi({
    'POST /session/resume': () => resumeAnswer(),
    'POST /login': () => accessAnswer(),
    'POST /token': () => accessAnswer(),
    ...routes,
  })
  const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
  await auth.ready()
  await auth.signIn({ username: 'alice', password })
  const states: string[] = []
  auth.onChange((state) => states.push(state.status))
  return { api, auth, states }
}

describe('a wrong password on a signed-in call', () => {
  it.each([
    ['passkeys.register', 'POST /users/me/passkeys/options'],
    ['totp.enrol', 'POST /users/me/totp'],
    ['totp.disable', 'DELETE /users/me/totp'],
    ['email.set', 'PUT /users/me/email'],
  ])('%s: sent exactly once, no refresh, no onChange', async (method, route) => {
    const { api, auth, states } = await signedInClient({ [route]: wrongPassword })
    const run = {
      'passkeys.register': () => auth.passkeys.register({ password: 'wrong' }),
      'totp.enrol': () => auth.totp.enrol('wrong'),
      'totp.disable': () => auth.totp.disable({ password: 'wrong' }),
      'email.set': () => auth.email.set({ email: 'a@example.com', password: 'wrong' }),
    }[method]!
    const err = (await run().catch((e: unknown) => e)) as AuthError
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ status: 401, code: 'invalid_credentials' })
    expect(api.count(route)).toBe(1)
    expect(api.count('POST /token')).toBe(0)
    expect(states).toEqual([])
    expect(auth.status).toBe('signed-in')
  })
})

describe('auth.fetch against any API', () => {
  it.each([
    ['a problem code invalid_token', () => problem(401, 'invalid_token')],
    [
      "jose's challenge, no problem body",
      () =>
        new Response('Unauthorized', {
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="exp"' },
        }),
    ],
    [
      'a JSON body without a code, and the challenge among others',
      () =>
        json({ error: 'invalid_token' }, 401, {
          'WWW-Authenticate': 'Basic realm="x", Bearer realm="app", error=invalid_token',
        }),
    ],
  ])('refreshes once and retries once on %s', async (_, rejected) => {
    let calls = 0
    const { api, auth } = await signedInClient({
      'GET /app': () => (++calls === 1 ? rejected() : json({ ok: true })),
    })
    expect((await auth.fetch(`${base}/app`)).status).toBe(200)
    expect(api.count('POST /token')).toBe(1)
    expect(api.count('GET /app')).toBe(2)
  })

  it.each([
    ['another problem code', () => problem(401, 'invalid_credentials')],
    ['our wrong-password answer, challenge and all', wrongPassword],
    [
      'a bare challenge',
      () =>
        new Response('', { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="app"' } }),
    ],
    ['no challenge at all', () => new Response('no', { status: 401 })],
    [
      'another scheme',
      () =>
        new Response('', {
          status: 401,
          headers: { 'WWW-Authenticate': 'Basic error="invalid_token"' },
        }),
    ],
    ['a 403', () => problem(403, 'invalid_token')],
  ])('returns %s as it is, sending once and refreshing nothing', async (_, answer) => {
    const { api, auth } = await signedInClient({ 'POST /app': answer })
    const res = await auth.fetch(`${base}/app`, { method: 'POST', body: 'once' })
    expect(res.status).toBe(answer().status)
    expect(api.count('POST /app')).toBe(1)
    expect(api.count('POST /token')).toBe(0)
  })

  it('refreshes once for two calls refused together', async () => {
    const sent = new Map<string, number>()
    const { api, auth } = await signedInClient({
      'GET /app': (req) => {
        const token = req.headers.get('authorization')!
        sent.set(token, (sent.get(token) ?? 0) + 1)
        return sent.size === 1 ? problem(401, 'invalid_token') : json({})
      },
    })
    const answers = await Promise.all([auth.fetch(`${base}/app`), auth.fetch(`${base}/app`)])
    expect(answers.map((res) => res.status)).toEqual([200, 200])
    expect(api.count('POST /token')).toBe(1)
  })
})

describe('AuthError for every failure', () => {
  const down = () => Promise.reject(new TypeError('Failed to fetch'))

  it.each([
    ['auth.fetch', (auth: Client) => auth.fetch(`${base}/app`)],
    ['passkeys.list', (auth: Client) => auth.passkeys.list()],
    ['passkeys.rename', (auth: Client) => auth.passkeys.rename('p1', 'x')],
    ['email.get', (auth: Client) => auth.email.get()],
    ['sessions', (auth: Client) => auth.sessions()],
    ['totp.confirm', (auth: Client) => auth.totp.confirm('123456')],
  ])('%s: network_error, the TypeError as cause', async (_, run) => {
    let online = true
    const api = fakeApi({ 'POST /login': () => accessAnswer() })
    const auth = createAuthClient({
      baseUrl: base,
      fetch: (input, init) => (online ? api.fetch(input, init) : down()),
    })
    await auth.signIn({ username: 'alice', password })
    online = false
    const err = (await run(auth).catch((e: unknown) => e)) as AuthError
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ status: 0, code: 'network_error' })
    expect(err.cause).toBeInstanceOf(TypeError)
    expect(auth.status).toBe('signed-in')
  })

  it('a success answer that is not JSON (a proxy page) is unexpected_response', async () => {
    const api = fakeApi({
      'POST /login': () => new Response('<html>', { status: 200 }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await expect(auth.signIn({ username: 'a', password })).rejects.toMatchObject({
      code: 'unexpected_response',
      status: 200,
    })
    expect(auth.status).toBe('loading')
  })

  it('a passkey sign-in where WebAuthn is missing is passkey_unsupported (Node has none)', async () => {
    const api = fakeApi({ 'POST /login/passkey/options': () => json({ challenge: 'c' }) })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const err = (await auth.signInWithPasskey().catch((e: unknown) => e)) as AuthError
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ status: 0, code: 'passkey_unsupported' })
    expect(err.cause).toBeInstanceOf(Error)
    expect(api.count('POST /login/passkey')).toBe(0)
  })
})

describe('WebAuthn refusals', () => {
  it.each([
    ['NotAllowedError', 'passkey_cancelled'],
    ['AbortError', 'passkey_cancelled'],
    ['InvalidStateError', 'passkey_exists_on_device'],
    ['NotSupportedError', 'passkey_unsupported'],
    ['ConstraintError', 'passkey_unsupported'],
    ['SecurityError', 'passkey_wrong_domain'],
    ['UnknownError', 'passkey_failed'],
  ])('%s becomes %s, keeping the browser error as cause', async (name, code) => {
    vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {})
    const thrown = new DOMException('the browser said no', name)
    const err = (await ceremony(() => Promise.reject(thrown)).catch((e: unknown) => e)) as AuthError
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ status: 0, code, message: 'the browser said no' })
    expect(err.cause).toBe(thrown)
  })

  it('any failure where the browser has no WebAuthn is passkey_unsupported', async () => {
    const thrown = new Error('WebAuthn is not supported in this browser')
    await expect(ceremony(() => Promise.reject(thrown))).rejects.toMatchObject({
      code: 'passkey_unsupported',
      cause: thrown,
    })
  })

  it('passes a success through', async () => {
    expect(await ceremony(async () => 42)).toBe(42)
  })
})

type Client = ReturnType<typeof createAuthClient>
