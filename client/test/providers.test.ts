// The SDK's other-provider calls against a scripted API: where signInWith() sends the browser,
// the native ID-token sign-in, and the identities list and removal.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthError, createAuthClient } from '../src/index'
import { accessAnswer, fakeApi, json, problem } from './fakes'

const base = 'https://auth.example'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('signInWith', () => {
  it('sends the browser to /signin/{id}, coming back to this page by default', () => {
    const assign = vi.fn()
    vi.stubGlobal('location', { href: 'https://app.example/dash?x=1', assign })
    const auth = createAuthClient({ baseUrl: `${base}/`, fetch: fakeApi({}).fetch })
    auth.signInWith('google')
    expect(assign).toHaveBeenCalledWith(
      `${base}/signin/google?return_to=${encodeURIComponent('https://app.example/dash?x=1')}`,
    )
    auth.signInWith('acme corp', { returnTo: 'https://app.example/welcome' })
    expect(assign).toHaveBeenLastCalledWith(
      `${base}/signin/acme%20corp?return_to=${encodeURIComponent('https://app.example/welcome')}`,
    )
  })
})

describe('signInWithIdToken', () => {
  it('posts the token and nonce in the client mode, and is signed in', async () => {
    const api = fakeApi({ 'POST /login/google/id-token': () => accessAnswer() })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signInWithIdToken('google', 'h.p.s', 'n-1')
    const body = JSON.parse(await api.requests[0]!.text()) as Record<string, unknown>
    expect(body).toEqual({ idToken: 'h.p.s', nonce: 'n-1', mode: 'cookie' })
    expect(auth.status).toBe('signed-in')
  })

  it('throws mfa_required with its token, signed out', async () => {
    const api = fakeApi({
      'POST /login/google/id-token': () =>
        json(
          { code: 'mfa_required', status: 401, title: 'Unauthorized', detail: 'd', mfaToken: 'm' },
          401,
        ),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const err = await auth.signInWithIdToken('google', 'h.p.s').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect(err).toMatchObject({ code: 'mfa_required', mfaToken: 'm' })
    expect(auth.status).not.toBe('signed-in')
  })
})

describe('providers and identities', () => {
  it('lists the providers without being signed in', async () => {
    const providers = [{ id: 'google', name: 'Google', type: 'google' }]
    const api = fakeApi({ 'GET /providers': () => json(providers) })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    expect(await auth.providers()).toEqual(providers)
  })

  it('lists and removes identities with the Bearer token; a refusal is an AuthError', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'GET /users/me/identities': () => json([{ provider: 'github', name: 'GitHub' }]),
      'DELETE /users/me/identities/github': () => problem(409, 'last_sign_in_method'),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn({ username: 'alice', password: 'correct horse battery staple' })
    expect(await auth.identities.list()).toMatchObject([{ provider: 'github' }])
    expect(api.requests.at(-1)!.headers.get('authorization')).toMatch(/^Bearer /)
    await expect(auth.identities.remove('github')).rejects.toMatchObject({
      code: 'last_sign_in_method',
      status: 409,
    })
  })
})

describe('email codes', () => {
  it('asks for a code, then signs in with it in the client mode', async () => {
    const api = fakeApi({
      'POST /login/email-code': () => json({ message: 'sent' }, 202),
      'POST /login/email-code/verify': () => accessAnswer(),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.requestEmailCode('ada@example.org')
    await auth.signInWithEmailCode('ada@example.org', '042517')
    const bodies = await Promise.all(api.requests.map((req) => req.text()))
    expect(bodies.map((body) => JSON.parse(body) as unknown)).toEqual([
      { email: 'ada@example.org' },
      { email: 'ada@example.org', code: '042517', mode: 'cookie' },
    ])
    expect(auth.status).toBe('signed-in')
  })
})

describe('signUpWithPasskey', () => {
  it('asks for options with the username, and gives up with passkey_unsupported without WebAuthn', async () => {
    const api = fakeApi({
      'POST /register/passkey/options': () => json({ challenge: 'c', rp: { name: 'x' } }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const err = await auth.signUpWithPasskey({ username: 'ada' }).catch((e: unknown) => e)
    expect(JSON.parse(await api.requests[0]!.text())).toEqual({ username: 'ada' })
    // Node has no navigator.credentials: the ceremony's failure is an AuthError, not a crash.
    expect(err).toBeInstanceOf(AuthError)
    expect(api.count('POST /register/passkey')).toBe(0)
  })
})
