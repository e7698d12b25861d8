// Who is signed in: status and user from the access token's claims, learnt once on first need
// (cookie mode: POST /session/resume, which answers 200 either way; token mode: the storage),
// with onChange firing once per real change, and one resume across tabs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthState, createAuthClient } from '../src/index'
import {
  ALICE,
  accessAnswer,
  fakeApi,
  installFakeLocks,
  json,
  problem,
  resumeAnswer,
} from './fakes'

const credentials = { username: 'alice', password: 'correct horse battery staple' }
const aliceUser = { id: ALICE.sub, username: ALICE.username, amr: ALICE.amr }
let base: string

beforeEach(() => {
  base = `https://auth-${crypto.randomUUID().slice(0, 8)}.example`
  installFakeLocks()
})

afterEach(() => vi.useRealTimers())

const paths = (api: ReturnType<typeof fakeApi>) =>
  api.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)

describe('status and user in cookie mode', () => {
  it('starts loading and sends nothing until asked', async () => {
    const api = fakeApi({})
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    expect(auth.status).toBe('loading')
    expect(auth.user).toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(api.requests).toEqual([])
  })

  it('a signed-out first load: one 200 resume, onChange once, no /token and no failure', async () => {
    const api = fakeApi({ 'POST /session/resume': () => resumeAnswer() })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const states: AuthState[] = []
    auth.onChange((state) => states.push(state))
    auth.onChange(() => undefined) // a second subscriber asks nothing more
    expect(await auth.ready()).toEqual({ signedIn: false, status: 'signed-out', user: null })
    expect(states).toEqual([{ signedIn: false, status: 'signed-out', user: null }])
    expect(paths(api)).toEqual(['POST /session/resume'])
    const [resume] = api.requests
    expect(resume!.credentials).toBe('include')
    expect(await resume!.clone().text()).toBe('')
    expect(await auth.ready()).toMatchObject({ status: 'signed-out' }) // asked once only
    expect(api.requests).toHaveLength(1)
  })

  it('a signed-in first load: the user from the claims, and a token with no second request', async () => {
    const api = fakeApi({ 'POST /session/resume': () => resumeAnswer(ALICE) })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const states: AuthState[] = []
    auth.onChange((state) => states.push(state))
    await auth.ready()
    expect(states).toEqual([{ signedIn: true, status: 'signed-in', user: aliceUser }])
    expect(auth.user).toEqual(aliceUser)
    expect(await auth.getAccessToken()).toMatch(/^at-/)
    expect(paths(api)).toEqual(['POST /session/resume'])
  })

  it('reads a username in any script from the claims (UTF-8, base64url)', async () => {
    const claims = { sub: 'u2', username: 'zoë_日本', amr: ['hwk'] }
    const api = fakeApi({ 'POST /session/resume': () => resumeAnswer(claims) })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    expect((await auth.ready()).user).toEqual({ id: 'u2', username: 'zoë_日本', amr: ['hwk'] })
  })

  it('getAccessToken before any ready() resumes instead of calling /token, and says signed_out', async () => {
    const api = fakeApi({ 'POST /session/resume': () => resumeAnswer() })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'signed_out' })
    expect(auth.status).toBe('signed-out')
    expect(api.count('POST /token')).toBe(0)
  })

  it('a failed resume (network down) reads as signed out, and a later call asks again', async () => {
    let up = false
    const api = fakeApi({ 'POST /session/resume': () => resumeAnswer(ALICE) })
    const auth = createAuthClient({
      baseUrl: base,
      fetch: (input, init) => (up ? api.fetch(input, init) : Promise.reject(new TypeError('x'))),
    })
    expect((await auth.ready()).status).toBe('signed-out')
    up = true
    expect(await auth.getAccessToken()).toMatch(/^at-/)
    expect(auth.status).toBe('signed-in')
  })

  it('a sign-in while the resume is in flight waits for it, and the old answer cannot undo it', async () => {
    let answer!: () => void
    const held = new Promise<void>((resolve) => (answer = resolve))
    const api = fakeApi({
      'POST /session/resume': async () => (await held, resumeAnswer()),
      'POST /login': () => accessAnswer(),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const states: string[] = []
    auth.onChange((state) => states.push(state.status))
    const signingIn = auth.signIn(credentials)
    await new Promise((resolve) => setTimeout(resolve, 10))
    // Its cookie must not race the resume's: the login waits.
    expect(paths(api)).toEqual(['POST /session/resume'])
    answer()
    await signingIn
    expect(paths(api)).toEqual(['POST /session/resume', 'POST /login'])
    expect(auth.status).toBe('signed-in')
    expect(states).toEqual(['signed-out', 'signed-in'])
  })

  it('fires onChange once per change: not again on a refresh or a retried 401', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let calls = 0
    const api = fakeApi({
      'POST /session/resume': () => resumeAnswer(),
      'POST /login': () => accessAnswer(20),
      'POST /token': () => accessAnswer(20),
      'GET /users/me': () => (++calls === 1 ? problem(401, 'invalid_token') : json({})),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.ready()
    const states: string[] = []
    auth.onChange((state) => states.push(state.status))
    await auth.signIn(credentials)
    vi.setSystemTime(Date.now() + 30_000)
    await auth.getAccessToken()
    expect((await auth.fetch(`${base}/users/me`)).status).toBe(200)
    expect(api.count('POST /token')).toBe(2)
    expect(states).toEqual(['signed-in'])
  })

  it('tells listeners when another user signs in (the user changed, the status did not)', async () => {
    const api = fakeApi({
      'POST /session/resume': () => resumeAnswer(ALICE),
      'POST /login': () => accessAnswer(20, { sub: 'u-bob', username: 'bob', amr: ['pwd'] }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.ready()
    const users: (string | undefined)[] = []
    auth.onChange((state) => users.push(state.user?.username))
    await auth.signIn({ username: 'bob', password: credentials.password })
    expect(users).toEqual(['bob'])
  })
})

describe('two tabs loading together', () => {
  it('resume once between them: the other tab gets the token by broadcast', async () => {
    let answer!: () => void
    const held = new Promise<void>((resolve) => (answer = resolve))
    const api = fakeApi({ 'POST /session/resume': async () => (await held, resumeAnswer(ALICE)) })
    const tab1 = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const tab2 = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const both = Promise.all([tab1.ready(), tab2.ready()])
    await vi.waitFor(() => expect(api.count('POST /session/resume')).toBe(1))
    answer()
    const [one, two] = await both
    expect(one).toEqual({ signedIn: true, status: 'signed-in', user: aliceUser })
    expect(two).toEqual(one)
    expect(await tab1.getAccessToken()).toBe(await tab2.getAccessToken())
    expect(api.count('POST /session/resume')).toBe(1)
  })
})

describe('status and user in token mode', () => {
  it('is signed out with nothing stored, asking no one', async () => {
    const api = fakeApi({})
    const auth = createAuthClient({ baseUrl: base, mode: 'token', fetch: api.fetch })
    expect(await auth.ready()).toEqual({ signedIn: false, status: 'signed-out', user: null })
    expect(api.requests).toEqual([])
  })

  it('with a stored refresh token, refreshes once (POST /token, never /session/resume)', async () => {
    let stored: string | null = 'r1'
    const storage = { get: () => stored, set: (t: string | null) => void (stored = t) }
    const api = fakeApi({
      'POST /token': () =>
        json({ ...ALICE_ANSWER, refreshToken: 'r2', tokenType: 'Bearer', expiresIn: 20 }),
    })
    const auth = createAuthClient({ baseUrl: base, mode: 'token', storage, fetch: api.fetch })
    expect(await auth.ready()).toMatchObject({ status: 'signed-in', user: aliceUser })
    expect(paths(api)).toEqual(['POST /token'])
    expect(stored).toBe('r2')
  })

  it('with a dead stored token: signed out, the token dropped', async () => {
    let stored: string | null = 'r1'
    const storage = { get: () => stored, set: (t: string | null) => void (stored = t) }
    const api = fakeApi({ 'POST /token': () => problem(401, 'invalid_refresh_token') })
    const auth = createAuthClient({ baseUrl: base, mode: 'token', storage, fetch: api.fetch })
    expect((await auth.ready()).status).toBe('signed-out')
    expect(stored).toBeNull()
  })
})

const ALICE_ANSWER = {
  accessToken: `x.${Buffer.from(JSON.stringify(ALICE)).toString('base64url')}.y`,
}
