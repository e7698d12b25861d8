// Two relying-party libraries nobody here wrote, Auth.js (@auth/core) and better-auth (its
// genericOAuth plugin), each in a tiny Node app, sign people in through edge-auth as their
// OpenID Provider: discovery, registration by RFC 7591, edge-auth's sign-in and consent pages
// (a scripted browser), the callback, and the app's own session. And what must not happen: a
// denied consent, a changed state, a replayed or injected code, or an unverified address never
// gives an app a session or an email.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../mcp-server/test/harness'
import { startAuthJsApp } from '../src/authjs-app'
import { startBetterAuthApp } from '../src/better-auth-app'
import type { RunningApp } from '../src/serve'
import { Browser } from './browser'
import {
  type Person,
  type Provider,
  newPerson,
  onEdgeAuthPages,
  registerClient,
  startProvider,
} from './edge-auth'

let op: Provider
let authjs: RunningApp
let better: RunningApp
// Few accounts, each signing in a few times: edge-auth limits sign-ups per address and
// sign-ins per address and username (10 a minute each), and these all come from 127.0.0.1.
let alice: Person
let bob: Person
let carol: Person
let dave: Person
/** Gave an address at sign-up and never opened the link: edge-auth must not release it. */
let unverified: Person

beforeAll(async () => {
  const [opPort, authjsPort, betterPort] = [await freePort(), await freePort(), await freePort()]
  op = await startProvider(opPort)
  ;[alice, bob, carol, dave, unverified] = [
    await newPerson(op, 'verified'),
    await newPerson(op, 'verified'),
    await newPerson(op, 'verified'),
    await newPerson(op, 'verified'),
    await newPerson(op, 'unverified'),
  ]
  const authjsClient = await registerClient(op, {
    client_name: 'Auth.js app',
    redirect_uris: [`http://127.0.0.1:${authjsPort}/auth/callback/edge-auth`],
    token_endpoint_auth_method: 'client_secret_basic',
  })
  const betterClient = await registerClient(op, {
    client_name: 'better-auth app',
    redirect_uris: [`http://127.0.0.1:${betterPort}/api/auth/callback/edge-auth`],
    token_endpoint_auth_method: 'client_secret_post',
  })
  authjs = await startAuthJsApp(
    {
      issuer: op.issuer,
      clientId: authjsClient.client_id,
      clientSecret: authjsClient.client_secret!,
    },
    authjsPort,
  )
  better = await startBetterAuthApp(
    {
      issuer: op.issuer,
      clientId: betterClient.client_id,
      clientSecret: betterClient.client_secret!,
    },
    betterPort,
  )
}, 60_000)

afterAll(async () => {
  await authjs?.stop()
  await better?.stop()
  await op?.stop()
})

const json = async (res: Response) => (await res.json()) as Record<string, unknown> | null

/** The `code` of `callback` swapped for `code`, as an attacker with another sign-in's code would. */
const withCode = (callback: URL, code: string) => {
  const url = new URL(callback)
  url.searchParams.set('code', code)
  return url
}

describe('Auth.js (@auth/core) with edge-auth as its OpenID Provider', () => {
  /** The sign-in button: POST /auth/signin/edge-auth with Auth.js's CSRF token. */
  async function start(browser: Browser): Promise<Response> {
    const csrf = await browser.fetch(`${authjs.origin}/auth/csrf`)
    const { csrfToken } = (await csrf.json()) as { csrfToken: string }
    const res = await browser.fetch(`${authjs.origin}/auth/signin/edge-auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: authjs.origin },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${authjs.origin}/home` }),
    })
    expect(res.status).toBe(302)
    return res
  }

  /** From the button to edge-auth's answer at the app's callback (not yet opened). */
  async function signIn(browser: Browser, person: Person, decision: 'allow' | 'deny' = 'allow') {
    const first = await start(browser)
    const authorize = new URL(first.headers.get('location')!)
    expect(authorize.origin).toBe(op.issuer)
    expect(authorize.pathname).toBe('/authorize')
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('nonce')).toBeTruthy()
    expect(authorize.searchParams.get('state')).toBeTruthy()
    return browser.walk(
      new URL(authjs.origin),
      (url) => url.origin === authjs.origin,
      onEdgeAuthPages(person, decision),
      first,
    )
  }

  const session = async (browser: Browser) =>
    json(await browser.fetch(`${authjs.origin}/auth/session`))

  it('signs a person in: the session holds their edge-auth id, username and verified email', async () => {
    const person = alice
    const browser = new Browser()
    const callback = await signIn(browser, person)
    expect(callback.pathname).toBe('/auth/callback/edge-auth')
    expect(callback.searchParams.get('iss')).toBe(op.issuer)
    const done = await browser.fetch(callback)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe(`${authjs.origin}/home`)
    expect(await session(browser)).toMatchObject({
      user: {
        id: person.id,
        preferred_username: person.username,
        name: person.username,
        email: person.email,
      },
    })
  }, 20_000)

  it('gives no session when the person denies the app', async () => {
    const browser = new Browser()
    const callback = await signIn(browser, bob, 'deny')
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.has('code')).toBe(false)
    const done = await browser.fetch(callback)
    expect(new URL(done.headers.get('location')!).searchParams.get('error')).toBeTruthy()
    expect(await session(browser)).toBeNull()
  }, 20_000)

  it('refuses a callback whose state was changed, and starts no session', async () => {
    const browser = new Browser()
    const callback = await signIn(browser, alice)
    callback.searchParams.set('state', `${callback.searchParams.get('state')}x`)
    const done = await browser.fetch(callback)
    expect(done.headers.get('location')).toContain('/auth/error')
    expect(await session(browser)).toBeNull()
  }, 20_000)

  it('refuses another browser’s finished sign-in (login CSRF): its state is not this one’s', async () => {
    // The attacker signs in as themselves and hands the callback URL to a victim mid-sign-in.
    const attackers = await signIn(new Browser(), bob)
    const victim = new Browser()
    await start(victim)
    const done = await victim.fetch(attackers)
    expect(done.headers.get('location')).toContain('/auth/error')
    expect(await session(victim)).toBeNull()
  }, 20_000)

  it('refuses a used code, and another sign-in’s code, in its own callback', async () => {
    const person = alice
    // The first sign-in completes: its code is now used.
    const first = new Browser()
    const used = await signIn(first, person)
    await first.fetch(used)
    expect(await session(first)).toMatchObject({ user: { id: person.id } })
    // Opening the same callback again: the state and PKCE cookies are gone with the first use.
    const replay = await first.fetch(used)
    expect(replay.headers.get('location')).toContain('/auth/error')
    // An attacker's browser with its own sign-in under way, handed the used code.
    const attacker = new Browser()
    const own = await signIn(attacker, bob)
    const injected = await attacker.fetch(withCode(own, used.searchParams.get('code')!))
    expect(injected.headers.get('location')).toContain('/auth/error')
    expect(await session(attacker)).toBeNull()
    // An unused code from someone else's sign-in: bound to their PKCE verifier, not this one.
    const victim = new Browser()
    const fresh = await signIn(victim, person)
    const thief = new Browser()
    const thiefs = await signIn(thief, bob)
    const stolen = await thief.fetch(withCode(thiefs, fresh.searchParams.get('code')!))
    expect(stolen.headers.get('location')).toContain('/auth/error')
    expect(await session(thief)).toBeNull()
  }, 30_000)

  it('signs in a person with no verified address without an email', async () => {
    const person = unverified
    const browser = new Browser()
    await browser.fetch(await signIn(browser, person))
    const signedIn = await session(browser)
    expect(signedIn).toMatchObject({ user: { id: person.id, preferred_username: person.username } })
    expect((signedIn!.user as Record<string, unknown>).email).toBeUndefined()
  }, 20_000)
})

describe('better-auth (genericOAuth) with edge-auth as its OpenID Provider', () => {
  /** The sign-in button: POST /api/auth/sign-in/social answers edge-auth's authorization URL. */
  async function start(browser: Browser): Promise<URL> {
    const res = await browser.fetch(`${better.origin}/api/auth/sign-in/social`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: better.origin },
      body: JSON.stringify({ provider: 'edge-auth', callbackURL: '/home' }),
    })
    expect(res.status).toBe(200)
    const { url } = (await res.json()) as { url: string }
    return new URL(url)
  }

  async function signIn(browser: Browser, person: Person, decision: 'allow' | 'deny' = 'allow') {
    const authorize = await start(browser)
    expect(authorize.origin).toBe(op.issuer)
    expect(authorize.pathname).toBe('/authorize')
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('nonce')).toBeTruthy()
    return browser.walk(
      authorize,
      (url) => url.origin === better.origin,
      onEdgeAuthPages(person, decision),
    )
  }

  const session = async (browser: Browser) =>
    json(await browser.fetch(`${better.origin}/api/auth/get-session`))
  const errorOf = (res: Response) =>
    new URL(res.headers.get('location')!, better.origin).searchParams.get('error')

  it('signs a person in: the session holds their verified email, the account their edge-auth id', async () => {
    const person = carol
    const browser = new Browser()
    const callback = await signIn(browser, person)
    expect(callback.pathname).toBe('/api/auth/callback/edge-auth')
    const done = await browser.fetch(callback)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/home')
    expect(await session(browser)).toMatchObject({
      user: { email: person.email, emailVerified: true, name: person.username },
    })
    const accounts = await browser.fetch(`${better.origin}/api/auth/list-accounts`)
    expect(await accounts.json()).toEqual([
      expect.objectContaining({ providerId: 'edge-auth', accountId: person.id }),
    ])
  }, 20_000)

  it('gives no session when the person denies the app', async () => {
    const browser = new Browser()
    const callback = await signIn(browser, dave, 'deny')
    expect(callback.searchParams.get('error')).toBe('access_denied')
    const done = await browser.fetch(callback)
    expect(errorOf(done)).toBe('access_denied')
    expect(await session(browser)).toBeNull()
  }, 20_000)

  it('refuses a callback whose state was changed, and starts no session', async () => {
    const browser = new Browser()
    const callback = await signIn(browser, carol)
    callback.searchParams.set('state', `${callback.searchParams.get('state')}x`)
    expect(errorOf(await browser.fetch(callback))).toBe('state_mismatch')
    expect(await session(browser)).toBeNull()
  }, 20_000)

  it('refuses another browser’s finished sign-in (login CSRF): its state is not this one’s', async () => {
    const attackers = await signIn(new Browser(), dave)
    const victim = new Browser()
    await start(victim)
    expect(errorOf(await victim.fetch(attackers))).toBe('state_mismatch')
    expect(await session(victim)).toBeNull()
  }, 20_000)

  it('refuses a used code, and another sign-in’s code, in its own callback', async () => {
    const person = carol
    const first = new Browser()
    const used = await signIn(first, person)
    await first.fetch(used)
    expect(await session(first)).toMatchObject({ user: { email: person.email } })
    expect(errorOf(await first.fetch(used))).toBeTruthy()

    const attacker = new Browser()
    const own = await signIn(attacker, dave)
    const injected = await attacker.fetch(withCode(own, used.searchParams.get('code')!))
    expect(errorOf(injected)).toBe('invalid_code')
    expect(await session(attacker)).toBeNull()

    const victim = new Browser()
    const fresh = await signIn(victim, person)
    const thief = new Browser()
    const thiefs = await signIn(thief, dave)
    const stolen = await thief.fetch(withCode(thiefs, fresh.searchParams.get('code')!))
    expect(errorOf(stolen)).toBe('invalid_code')
    expect(await session(thief)).toBeNull()
  }, 30_000)

  it('refuses a person with no verified address: better-auth needs an email edge-auth did not release', async () => {
    const browser = new Browser()
    const done = await browser.fetch(await signIn(browser, unverified))
    expect(errorOf(done)).toBe('email_not_found')
    expect(await session(browser)).toBeNull()
  }, 20_000)
})
