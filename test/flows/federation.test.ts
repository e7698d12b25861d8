// Signing in at another provider, end to end against a real OpenID provider (panva's
// oidc-provider on a loopback port): the round trip, one account per identity, and every way a
// callback must sign no one in (missing, tampered, replayed or another provider's state; a
// cancelled sign-in; an unreachable provider).
import { describe, expect, it } from 'vitest'
import { REFRESH_COOKIE, captureLogs, freezeTime } from '../helpers'
import { JWKS_REFETCH_MIN_INTERVAL_MS } from '../../src/federation/discovery'
import {
  STATE_COOKIE,
  begin,
  browse,
  callback,
  federatedSignIn,
  providerEnv,
  sessionOf,
  setCookie,
} from '../federation/flow'
import {
  denyAtProvider,
  rotateKeys,
  signInAtProvider,
  signInAtProviderFormPost,
} from '../federation/openid-provider'
import { json, script, serverOrigin, uniquePath } from '../global/scripted'

const env = providerEnv({ local: {}, other: {} })
const person = (label = 'p') => ({
  sub: `${label}-${crypto.randomUUID()}`,
  email: `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`,
  email_verified: true,
  name: 'Ada Lovelace',
  preferred_username: `ada${crypto.randomUUID().slice(0, 6)}`,
})

describe('a first sign-in at a provider', () => {
  it('creates a password-less account, signs it in, and lands on return_to', async () => {
    const ada = person()
    const { res, refresh } = await federatedSignIn(env, ada, { returnTo: '/account?tab=1' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/account?tab=1')
    expect(refresh).toBeTruthy()
    // The state cookie is cleared on the way back.
    expect(setCookie(res, STATE_COOKIE('local'))).toBe('')
    const { claims } = await sessionOf(env, refresh!)
    expect(claims.amr).toEqual(['fed'])
    expect(claims.idp).toBe('local')
    expect(claims.username).toBe(ada.preferred_username)
  })

  it('signs the same subject in to the same account every time', async () => {
    const ada = person()
    const first = await federatedSignIn(env, ada)
    const again = await federatedSignIn(env, { ...ada, preferred_username: 'renamed-there' })
    const [a, b] = await Promise.all([
      sessionOf(env, first.refresh!),
      sessionOf(env, again.refresh!),
    ])
    expect(b.claims.sub).toBe(a.claims.sub)
  })

  it("joins a second provider whose verified address is the account's to that account", async () => {
    const ada = person()
    const here = await federatedSignIn(env, ada, { id: 'local' })
    const there = await federatedSignIn(env, ada, { id: 'other' })
    const [a, b] = await Promise.all([
      sessionOf(env, here.refresh!),
      sessionOf(env, there.refresh!),
    ])
    // The provider's verified address joined the second to the first: one account.
    expect(b.claims.sub).toBe(a.claims.sub)
    expect(b.claims.idp).toBe('other')
  })

  it('lists the identity, and will not disconnect the only way in', async () => {
    const { refresh } = await federatedSignIn(env, person())
    const { accessToken } = await sessionOf(env, refresh!)
    const auth = { Authorization: `Bearer ${accessToken}` }
    const list = await browse(env, '/users/me/identities', { headers: auth })
    expect(list.status).toBe(200)
    const identities = (await list.json()) as { provider: string; name: string }[]
    expect(identities).toMatchObject([{ provider: 'local', name: 'Local local' }])
    const remove = await browse(env, '/users/me/identities/local', {
      method: 'DELETE',
      headers: auth,
    })
    expect(remove.status).toBe(409)
    expect(((await remove.json()) as { code: string }).code).toBe('last_sign_in_method')
  })
})

describe('a form_post callback (Apple answers this way)', () => {
  it('turns the cross-site POST into a same-site GET that brings the state cookie', async () => {
    const { authorizeUrl, state } = await begin(env)
    const url = new URL(authorizeUrl)
    url.searchParams.set('response_mode', 'form_post')
    const { action, fields } = await signInAtProviderFormPost(url.href, person())
    // The provider's page posts cross-site: no cookies, another Origin.
    const post = await browse(env, new URL(action).pathname, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: new URL(authorizeUrl).origin,
      },
      body: new URLSearchParams(fields).toString(),
    })
    expect(post.status).toBe(303)
    expect(post.headers.getSetCookie()).toEqual([])
    const next = new URL(post.headers.get('location')!, 'https://auth.example')
    expect(next.pathname).toBe('/signin/local/callback')
    const res = await callback(env, next, { [STATE_COOKIE('local')]: state })
    expect(res.status).toBe(303)
    expect(setCookie(res, REFRESH_COOKIE)).toBeTruthy()
  })

  it('decides nothing itself: the GET it sends to still needs the cookie', async () => {
    const { authorizeUrl } = await begin(env)
    const url = new URL(authorizeUrl)
    url.searchParams.set('response_mode', 'form_post')
    const { action, fields } = await signInAtProviderFormPost(url.href, person())
    const post = await browse(env, new URL(action).pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
    const next = new URL(post.headers.get('location')!, 'https://auth.example')
    const res = await callback(env, next, {})
    expect(res.status).toBe(400)
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })
})

describe('what is written down', () => {
  it('logs no code, state, nonce or token of the sign-in', async () => {
    const logs = captureLogs()
    const { res, back, state } = await federatedSignIn(env, person())
    expect(res.status).toBe(303)
    const text = logs.join('\n')
    expect(text).toContain('login_succeeded')
    for (const secret of [back.searchParams.get('code')!, back.searchParams.get('state')!, state]) {
      expect(text).not.toContain(secret)
    }
  })
})

describe('a callback that must sign no one in', () => {
  const refused = async (res: Response) => {
    expect(res.status).toBe(400)
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
    expect(await res.text()).toContain('start it again')
  }

  it('arrives without the state cookie (another browser: login CSRF)', async () => {
    const { authorizeUrl } = await begin(env)
    const back = await signInAtProvider(authorizeUrl, person())
    await refused(await callback(env, back, {}))
  })

  it('is replayed with its cookie', async () => {
    const { res, back, state } = await federatedSignIn(env, person())
    expect(res.status).toBe(303)
    await refused(await callback(env, back, { [STATE_COOKIE('local')]: state }))
  })

  it('carries a state the cookie was not made for', async () => {
    const { authorizeUrl, state } = await begin(env)
    const back = await signInAtProvider(authorizeUrl, person())
    const sent = back.searchParams.get('state')!
    // Another first character, whatever the first one is.
    back.searchParams.set('state', (sent.startsWith('x') ? 'y' : 'x') + sent.slice(1))
    await refused(await callback(env, back, { [STATE_COOKIE('local')]: state }))
  })

  it('brings a state cookie sealed for another provider (mix-up)', async () => {
    const { state: otherState } = await begin(env, 'other')
    const { authorizeUrl } = await begin(env, 'local')
    const back = await signInAtProvider(authorizeUrl, person())
    await refused(await callback(env, back, { [STATE_COOKIE('local')]: otherState }))
  })

  it('brings a state cookie that was altered', async () => {
    const { authorizeUrl, state } = await begin(env)
    const back = await signInAtProvider(authorizeUrl, person())
    const altered = state.slice(0, -2) + (state.at(-2) === 'A' ? 'B' : 'A') + state.slice(-1)
    await refused(await callback(env, back, { [STATE_COOKIE('local')]: altered }))
  })

  it('names another issuer than the provider (RFC 9207)', async () => {
    const { authorizeUrl, state } = await begin(env)
    const back = await signInAtProvider(authorizeUrl, person())
    back.searchParams.set('iss', 'https://evil.example')
    const res = await callback(env, back, { [STATE_COOKIE('local')]: state })
    expect(res.status).toBe(400)
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })

  it('says the person cancelled at the provider', async () => {
    const { authorizeUrl, state } = await begin(env)
    const back = await denyAtProvider(authorizeUrl)
    const res = await callback(env, back, { [STATE_COOKIE('local')]: state })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('was cancelled')
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })

  it('comes with a code swapped from another sign-in', async () => {
    // Two sign-ins started in this browser; the second's code presented with the first's state.
    const first = await begin(env)
    const second = await begin(env)
    const backFirst = await signInAtProvider(first.authorizeUrl, person())
    const backSecond = await signInAtProvider(second.authorizeUrl, person())
    backFirst.searchParams.set('code', backSecond.searchParams.get('code')!)
    const res = await callback(env, backFirst, { [STATE_COOKIE('local')]: first.state })
    // The provider refuses the code: it was issued for the other PKCE challenge.
    expect(res.status).toBe(400)
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })
})

describe('a provider that rotates its keys', () => {
  const rotating = providerEnv({ rotating: { at: 'rotating' } })

  it('is followed to its new keys: the set is refetched for a kid it has not seen', async () => {
    const ada = person()
    const first = await federatedSignIn(rotating, ada, { id: 'rotating' })
    expect(first.res.status).toBe(303)
    await rotateKeys('rotating')
    const clock = freezeTime()
    try {
      // Signed with a key we have not seen, a minute after we fetched the set: refetched once.
      clock.advance(JWKS_REFETCH_MIN_INTERVAL_MS + 1000)
      const again = await federatedSignIn(rotating, ada, { id: 'rotating' })
      expect(again.res.status).toBe(303)
      const [a, b] = await Promise.all([
        sessionOf(rotating, first.refresh!),
        sessionOf(rotating, again.refresh!),
      ])
      expect(b.claims.sub).toBe(a.claims.sub)
    } finally {
      clock.restore()
    }
  })
})

describe('a provider that cannot be used', () => {
  it('answers a page naming no such provider with 404', async () => {
    const res = await browse(env, '/signin/nobody?return_to=/account')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('text/html')
  })

  it('answers 503 with a page, not a 500, when discovery fails', async () => {
    const base = uniquePath('broken-idp')
    await script(json(`${base}/.well-known/openid-configuration`, { error: 'down' }, 500))
    const broken = {
      AUTH_PROVIDERS: JSON.stringify({
        broken: { type: 'oidc', name: 'Broken', issuer: `${serverOrigin()}${base}`, clientId: 'c' },
      }),
      PROVIDER_BROKEN_CLIENT_SECRET: 's',
    } as never
    const logs = captureLogs()
    const res = await browse(broken, '/signin/broken')
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('cannot be reached')
    expect(setCookie(res, STATE_COOKIE('broken'))).toBeNull()
    expect(logs.join('\n')).toContain('provider_failed')
  })

  it('answers 503 when its settings are broken, and the other providers still work', async () => {
    const half = {
      ...env,
      ...providerEnv({ local: {} }),
      AUTH_PROVIDERS: JSON.stringify({
        ...JSON.parse(providerEnv({ local: {} }).AUTH_PROVIDERS as string),
        bad: { type: 'oidc', issuer: 'http://idp.example', clientId: 'c' },
      }),
    }
    expect((await browse(half, '/signin/bad')).status).toBe(503)
    expect((await browse(half, '/signin/local')).status).toBe(302)
  })
})
