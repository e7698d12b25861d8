// The SDK against a scripted API: what it sends, when it refreshes, how it fails, and that two
// tabs (two clients sharing Node's BroadcastChannel and a Web Locks double) refresh once.
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { bundle } from '../build.mjs'
import { AuthError, type ErrorCode, createAuthClient } from '../src/index'
import { accessAnswer, fakeApi, installFakeLocks, json, problem, resumeAnswer } from './fakes'

const credentials = { username: 'alice', password: 'correct horse battery staple' }
let base: string
let locks: ReturnType<typeof installFakeLocks>

beforeEach(() => {
  // A fresh origin per test, so tabs of different tests never share a channel or a lock.
  base = `https://auth-${crypto.randomUUID().slice(0, 8)}.example`
  locks = installFakeLocks()
})

afterEach(() => {
  vi.useRealTimers()
})

const bodyOf = async (req: Request) => (await req.clone().text()) || null

describe('createAuthClient in cookie mode', () => {
  it('signs in with mode cookie, sending cookies, and keeps the access token in memory', async () => {
    const api = fakeApi({ 'POST /login': () => accessAnswer() })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    const [login] = api.requests
    expect(JSON.parse((await bodyOf(login!))!)).toEqual({ ...credentials, mode: 'cookie' })
    expect(login!.credentials).toBe('include')
    const token = await auth.getAccessToken()
    expect(token).toMatch(/^at-/)
    expect(api.count('POST /token')).toBe(0)
  })

  it('refreshes a few seconds before expiry, once for any number of callers', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const api = fakeApi({
      'POST /login': () => accessAnswer(20),
      'POST /token': () => accessAnswer(20),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    const first = await auth.getAccessToken()
    vi.setSystemTime(Date.now() + 14_000) // 6 s left: still fresh with a 5 s margin
    expect(await auth.getAccessToken()).toBe(first)
    vi.setSystemTime(Date.now() + 2_000) // 4 s left
    const tokens = await Promise.all([
      auth.getAccessToken(),
      auth.getAccessToken(),
      auth.getAccessToken(),
    ])
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(first)
    expect(api.count('POST /token')).toBe(1)
    // Cookie mode sends no body: the cookie is the credential.
    const refresh = api.requests.find((r) => new URL(r.url).pathname === '/token')!
    expect(await bodyOf(refresh)).toBeNull()
  })

  it('fetches with the Bearer header and, on a 401, refreshes once and retries once', async () => {
    let calls = 0
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'POST /token': () => accessAnswer(),
      'GET /users/me': (req) =>
        ++calls === 1
          ? problem(401, 'invalid_token')
          : json({ auth: req.headers.get('authorization') }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    const res = await auth.fetch(`${base}/users/me`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { auth: string }).auth).toMatch(/^Bearer at-/)
    expect(api.count('POST /token')).toBe(1)
    expect(api.count('GET /users/me')).toBe(2)
  })

  it('does not send a stream body twice', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'POST /upload': () => problem(401, 'invalid_token'),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    const body = new ReadableStream({
      start: (c) => (c.enqueue(new TextEncoder().encode('x')), c.close()),
    })
    const res = await auth.fetch(`${base}/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(401)
    expect(api.count('POST /upload')).toBe(1)
  })

  it('does not loop when the retry is refused too', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'POST /token': () => accessAnswer(),
      'GET /users/me': () => problem(401, 'invalid_token'),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    expect((await auth.fetch(`${base}/users/me`)).status).toBe(401)
    expect(api.count('GET /users/me')).toBe(2)
  })

  it('turns problem JSON into a typed AuthError, with Retry-After', async () => {
    const api = fakeApi({
      'POST /login': () => problem(429, 'rate_limited', { 'Retry-After': '60' }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const err = (await auth.signIn(credentials).catch((e: unknown) => e)) as AuthError
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 60 })
    expectTypeOf<'refresh_token_reused'>().toMatchTypeOf<ErrorCode>()
    expectTypeOf<'csrf_rejected'>().toMatchTypeOf<ErrorCode>()
  })

  it('signs out when a refresh finds the session over (a reused token), and says so', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const api = fakeApi({
      'POST /login': () => accessAnswer(20),
      'POST /token': () => problem(401, 'refresh_token_reused'),
      'POST /session/resume': () => resumeAnswer(),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.ready()
    const states: boolean[] = []
    auth.onChange((state) => states.push(state.signedIn))
    await auth.signIn(credentials)
    vi.setSystemTime(Date.now() + 30_000)
    const err = (await auth.getAccessToken().catch((e: unknown) => e)) as AuthError
    expect(err.code).toBe('refresh_token_reused')
    expect(states).toEqual([true, false])
  })

  it('reports a network failure as network_error', async () => {
    const auth = createAuthClient({
      baseUrl: base,
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    })
    await expect(auth.signIn(credentials)).rejects.toMatchObject({
      code: 'network_error',
      status: 0,
    })
  })

  it('signs up by registering, then signing in', async () => {
    const api = fakeApi({
      'POST /register': () => json({ id: 'u1', username: 'alice', createdAt: '' }, 201),
      'POST /login': () => accessAnswer(),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signUp(credentials)
    expect(api.requests.map((r) => new URL(r.url).pathname)).toEqual(['/register', '/login'])
  })
})

describe('createAuthClient in token mode', () => {
  it('keeps the refresh token in the given storage and sends it in the body', async () => {
    let stored: string | null = null
    const storage = { get: () => stored, set: (t: string | null) => void (stored = t) }
    const api = fakeApi({
      'POST /login': () =>
        json({ accessToken: 'a1', refreshToken: 'r1', tokenType: 'Bearer', expiresIn: 1 }),
      'POST /token': () =>
        json({ accessToken: 'a2', refreshToken: 'r2', tokenType: 'Bearer', expiresIn: 20 }),
      'POST /logout': () => new Response(null, { status: 204 }),
    })
    const auth = createAuthClient({ baseUrl: base, mode: 'token', storage, fetch: api.fetch })
    await auth.signIn(credentials)
    expect(stored).toBe('r1')
    expect(await auth.getAccessToken()).toBe('a2') // 1 s left: inside the margin
    const refresh = api.requests.find((r) => new URL(r.url).pathname === '/token')!
    expect(JSON.parse((await bodyOf(refresh))!)).toEqual({ token: 'r1' })
    expect(refresh.credentials).toBe('same-origin')
    expect(stored).toBe('r2')
    await auth.signOut()
    const logout = api.requests.at(-1)!
    expect(JSON.parse((await bodyOf(logout))!)).toEqual({ token: 'r2' })
    expect(stored).toBeNull()
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'signed_out' })
  })
})

describe('signing out', () => {
  it('keeps the session when the server could not end it, since script cannot clear the cookie', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'POST /logout': () => problem(503, 'temporarily_unavailable', { 'Retry-After': '2' }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    await expect(auth.signOut()).rejects.toMatchObject({ code: 'temporarily_unavailable' })
    expect(await auth.getAccessToken()).toMatch(/^at-/)
  })

  it('stays signed in after ending the other sessions', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'POST /logout': () => new Response(null, { status: 204 }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn(credentials)
    await auth.signOut('others')
    expect(new URL(api.requests.at(-1)!.url).search).toBe('?scope=others')
    expect(await auth.getAccessToken()).toMatch(/^at-/)
  })
})

describe('two clients in token mode', () => {
  it('share nothing, though in one process and for one URL (a server with a client per user)', async () => {
    const api = fakeApi({
      'POST /login': () =>
        json({
          accessToken: 'alice-at',
          refreshToken: 'alice-rt',
          tokenType: 'Bearer',
          expiresIn: 20,
        }),
      'POST /logout': () => new Response(null, { status: 204 }),
    })
    const alice = createAuthClient({ baseUrl: base, mode: 'token', fetch: api.fetch })
    const bob = createAuthClient({ baseUrl: base, mode: 'token', fetch: api.fetch })
    const bobSaw: string[] = []
    bob.onChange((state) => bobSaw.push(state.status))
    await alice.signIn(credentials)
    await new Promise((resolve) => setTimeout(resolve, 50)) // any broadcast would have landed
    await expect(bob.getAccessToken()).rejects.toMatchObject({ code: 'signed_out' })
    await alice.signOut()
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Bob learns from his own (empty) storage that he is signed out, and never hears of Alice.
    expect(bobSaw).toEqual(['signed-out'])
    expect(api.count('POST /token')).toBe(0)
  })
})

describe('two tabs', () => {
  it('make one /token request between them when their tokens expire together', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const api = fakeApi({
      'POST /login': () => accessAnswer(20),
      // The first refresh is held until both tabs have asked.
      'POST /token': async () => (await gate, accessAnswer(20)),
      'POST /session/resume': () => resumeAnswer(),
    })
    const tab1 = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const tab2 = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const tab2SignedIn = new Promise((resolve) =>
      tab2.onChange((state) => state.signedIn && resolve(state)),
    )
    await tab1.signIn(credentials)
    await tab2SignedIn // by tab1's broadcast, with no request of its own
    expect(api.count('POST /token')).toBe(0)
    vi.setSystemTime(Date.now() + 30_000)
    const both = Promise.all([tab1.getAccessToken(), tab2.getAccessToken()])
    await vi.waitFor(() => expect(api.count('POST /token')).toBe(1))
    release()
    const [one, two] = await both
    expect(one).toBe(two)
    expect(api.count('POST /token')).toBe(1)
  })

  it('do not wait for ever on a tab that hangs holding the lock', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(1),
      'POST /token': () => accessAnswer(20),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch, lockTimeoutMs: 50 })
    await auth.signIn(credentials)
    const letGo = locks.hold(`edge-auth:${base}`)
    expect(await auth.getAccessToken()).toMatch(/^at-/)
    expect(api.count('POST /token')).toBe(1)
    letGo()
  })

  it('sign out together', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'POST /logout': () => new Response(null, { status: 204 }),
      'POST /session/resume': () => resumeAnswer(),
    })
    const tab1 = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const tab2 = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const seen: boolean[] = []
    await tab2.ready() // signed out: no listener yet, so nothing heard
    tab2.onChange((state) => seen.push(state.signedIn))
    await tab1.signIn(credentials)
    await vi.waitFor(() => expect(seen).toEqual([true]))
    await tab1.signOut()
    await vi.waitFor(() => expect(seen).toEqual([true, false]))
  })
})

describe('account recovery', () => {
  it('asks for a reset link and resets with its token, sending exactly the API shapes', async () => {
    const api = fakeApi({
      'POST /password/forgot': () => json({ message: 'sent if it exists' }, 202),
      'POST /password/reset': () => new Response(null, { status: 204 }),
      'POST /email/verify': () => problem(400, 'invalid_email_token'),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.forgotPassword('alice')
    await auth.resetPassword('t'.repeat(43), 'a new passphrase')
    const [forgot, reset] = api.requests
    expect(JSON.parse((await bodyOf(forgot!))!)).toEqual({ login: 'alice' })
    expect(JSON.parse((await bodyOf(reset!))!)).toEqual({
      token: 't'.repeat(43),
      newPassword: 'a new passphrase',
    })
    await expect(auth.email.verify('x')).rejects.toMatchObject({ code: 'invalid_email_token' })
  })

  it('shows what a reset would leave, and removes what the owner names with it', async () => {
    const ways = {
      passkeys: [{ id: 'pk1', name: 'Laptop', createdAt: '2026-12-01T00:00:00.000Z' }],
      totp: { enabled: true },
    }
    const api = fakeApi({
      'POST /password/reset/inspect': () => json(ways),
      'POST /password/reset': () => new Response(null, { status: 204 }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    expect(await auth.inspectReset('t'.repeat(43))).toEqual(ways)
    await auth.resetPassword('t'.repeat(43), 'a new passphrase', {
      removePasskeys: ['pk1'],
      disableTotp: true,
      code: '123456',
    })
    const [inspect, reset] = api.requests
    expect(JSON.parse((await bodyOf(inspect!))!)).toEqual({ token: 't'.repeat(43) })
    expect(JSON.parse((await bodyOf(reset!))!)).toEqual({
      token: 't'.repeat(43),
      newPassword: 'a new passphrase',
      removePasskeys: ['pk1'],
      disableTotp: true,
      code: '123456',
    })
  })
})

describe('the package', () => {
  it('is one ES module under 5 KB gzip, with no imports', async () => {
    const code = (await bundle()) as string
    expect(gzipSync(code).length).toBeLessThan(5 * 1024)
    expect(code).not.toMatch(/\bimport\s*[{*\w]|require\(/)
  })

  it('edge-auth/react is under 2 KB gzip, importing only react and the SDK beside it', async () => {
    const code = (await bundle({ entry: 'react' })) as string
    expect(gzipSync(code).length).toBeLessThan(2 * 1024)
    // The SDK is imported, not copied in: an app has one SDK, however it imports it.
    const imports = [...code.matchAll(/\bimport\s*[^'"]*?from\s*["']([^"']+)["']/g)].map(
      (m) => m[1],
    )
    expect(imports.sort()).toEqual(['./index.js', 'react'])
    expect(code).not.toMatch(/require\(/)
    expect(code.length).toBeLessThan(4 * 1024) // the SDK alone is three times that
  })
})
