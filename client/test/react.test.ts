// edge-auth/react without a browser: a server render (nothing asked, nothing shown for either
// state), the hooks outside a provider, and the SDK's endSession() that useSessions calls.
import { createElement as h } from 'react'
import { renderToString } from 'react-dom/server'
import { beforeEach, describe, expect, it } from 'vitest'
import { createAuthClient } from '../src/index'
import { AuthProvider, SignedIn, SignedOut, useAuth, useSessions } from '../src/react'
import { accessAnswer, fakeApi, installFakeLocks, json, problem } from './fakes'

let base: string

beforeEach(() => {
  base = `https://auth-${crypto.randomUUID().slice(0, 8)}.example`
  installFakeLocks()
})

function Status() {
  const { status, user } = useAuth()
  const { sessions, loading } = useSessions()
  return h('p', null, `${status} ${user?.username ?? '-'} ${sessions.length} ${loading}`)
}

describe('edge-auth/react on a server', () => {
  it('renders the loading state, neither <SignedIn> nor <SignedOut>, and sends nothing', () => {
    const api = fakeApi({})
    const client = createAuthClient({ baseUrl: base, fetch: api.fetch })
    const html = renderToString(
      h(
        AuthProvider,
        { client },
        h(Status),
        h(SignedIn, null, 'signed in'),
        h(SignedOut, null, 'signed out'),
      ),
    )
    expect(html).toBe('<p>loading - 0 true</p>')
    expect(api.requests).toEqual([])
  })

  it('refuses the hooks outside an <AuthProvider>', () => {
    expect(() => renderToString(h(Status))).toThrow(/needs an <AuthProvider>/)
    expect(() => renderToString(h(SignedIn, null, 'x'))).toThrow(/needs an <AuthProvider>/)
  })
})

describe('endSession', () => {
  it('sends DELETE /sessions/{id} with the Bearer token, the id encoded', async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'DELETE /sessions/a%2F..%2Fb': () => new Response(null, { status: 204 }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await auth.signIn({ username: 'alice', password: 'correct horse battery staple' })
    await expect(auth.endSession('a/../b')).resolves.toBeUndefined()
    const end = api.requests.at(-1)!
    expect(end.method).toBe('DELETE')
    expect(new URL(end.url).pathname).toBe('/sessions/a%2F..%2Fb')
    expect(end.headers.get('authorization')).toMatch(/^Bearer at-/)
    expect(auth.status).toBe('signed-in') // another session's end is not this one's
  })

  it("fails with the API's code, and signed out sends nothing", async () => {
    const api = fakeApi({
      'POST /login': () => accessAnswer(),
      'DELETE /sessions/nope': () => problem(404, 'session_not_found'),
      'POST /session/resume': () => json({ signedIn: false }),
    })
    const auth = createAuthClient({ baseUrl: base, fetch: api.fetch })
    await expect(auth.endSession('nope')).rejects.toMatchObject({ code: 'signed_out' })
    expect(api.count('DELETE /sessions/nope')).toBe(0)
    await auth.signIn({ username: 'alice', password: 'correct horse battery staple' })
    await expect(auth.endSession('nope')).rejects.toMatchObject({
      status: 404,
      code: 'session_not_found',
    })
  })
})
