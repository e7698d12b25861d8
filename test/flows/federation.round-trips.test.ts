// How many storage round trips a sign-in at another provider waits on, counted on the real
// bindings with every call held until its whole round is let go (test/doubles/round-trips.ts),
// against the loopback OpenID provider. The start writes nothing; the callback spends its state,
// finds the identity, reads the account, then starts the session as /login does. Calls to the
// provider (the token endpoint; discovery and keys once per isolate) are not storage and are
// not counted here: bench/results.md lists them.
import { describe, expect, it } from 'vitest'
import { ORIGIN, REFRESH_COOKIE } from '../helpers'
import { roundTrips } from '../doubles/round-trips'
import {
  STATE_COOKIE,
  begin,
  callbackPath,
  cookies,
  federatedSignIn,
  providerEnv,
  setCookie,
} from '../federation/flow'
import { type ProviderAccount, signInAtProvider } from '../federation/openid-provider'

const env = providerEnv()

const person = (): ProviderAccount => ({
  sub: `rt-${crypto.randomUUID()}`,
  email: `rt-${crypto.randomUUID().slice(0, 8)}@example.org`,
  email_verified: true,
  name: 'Grace Hopper',
  preferred_username: `grace${crypto.randomUUID().slice(0, 6)}`,
})

/** A browser request from its own address, so no test meets another's rate limit. */
const get = (path: string, jar: Record<string, string | undefined> = {}) =>
  new Request(ORIGIN + path, {
    redirect: 'manual',
    headers: {
      Cookie: cookies(jar),
      'cf-connecting-ip': `2001:db8::${crypto.randomUUID().slice(0, 8)}`,
    },
  })

/** Signs `account` in at the provider: the callback request the browser then makes. */
async function callbackFor(account: ProviderAccount) {
  const { authorizeUrl, state } = await begin(env)
  const back = await signInAtProvider(authorizeUrl, account)
  return { request: get(callbackPath(back), { [STATE_COOKIE('local')]: state }), back, state }
}

/**
 * A held call, shortened to what it does to which record: `SELECT users`, `kv.put session`;
 * a D1 batch stays `d1 batch` (the double does not look inside it).
 */
const what = (call: string) =>
  call.startsWith('kv.')
    ? call.replace(/^kv\.(\w+) ([\w-]+):.*$/, 'kv.$1 $2')
    : call.replace(
        /^d1 (SELECT|INSERT|UPDATE|DELETE)\s+(?:[\s\S]*?\b(?:FROM|INTO)\s+)?(\w+)[\s\S]*$/i,
        '$1 $2',
      )

const shape = (rounds: string[][]) => rounds.map((round) => round.map(what))

// A returning user's callback waits on four rounds where /login waits on two: the state's
// spend, and the identity before the account (the identity names it). Pinned so a change that
// adds one is seen.
describe('storage round trips of a sign-in at another provider', () => {
  it('the start (GET /signin/{id}): none', async () => {
    const { response, rounds } = await roundTrips(env).send(get('/signin/local?return_to=%2F'))
    expect(response.status).toBe(302)
    expect(setCookie(response, STATE_COOKIE('local'))).toBeTruthy()
    expect(rounds).toEqual([])
  })

  it('a returning user’s callback: state, identity, account, then the session’s writes', async () => {
    const account = person()
    expect((await federatedSignIn(env, account)).res.status).toBe(303)
    const { request } = await callbackFor(account)
    const { response, rounds } = await roundTrips(env).send(request)
    expect(response.status).toBe(303)
    expect(setCookie(response, REFRESH_COOKIE)).toBeTruthy()
    expect(shape(rounds)).toEqual([
      ['d1 batch'], // the state spent (ceremony_uses, with the sweep of expired ones)
      ['SELECT identities'],
      // The identity's last use is deferred (waitUntil): issued beside the account's reads, and
      // not awaited, so it adds no round.
      ['UPDATE identities', 'SELECT users', 'SELECT totp'],
      ['INSERT sessions', 'kv.put session', 'kv.put refresh'],
    ])
    // Known by its identity: no lookup by address, no account made.
    expect(rounds.flat().join('\n')).not.toMatch(/WHERE email|INSERT INTO users|INTO identities/)
  })

  it('a first sign-in: also the address’s owner, then the account and identity in one batch', async () => {
    const { request } = await callbackFor(person())
    const { response, rounds } = await roundTrips(env).send(request)
    expect(response.status).toBe(303)
    expect(setCookie(response, REFRESH_COOKIE)).toBeTruthy()
    expect(shape(rounds)).toEqual([
      ['d1 batch'], // the state spent
      ['SELECT identities'], // none yet
      ['SELECT users'], // who verified the provider's address: nobody, so a new account
      ['d1 batch'], // the account and its identity, both or neither
      ['SELECT users', 'SELECT totp'],
      ['INSERT sessions', 'kv.put session', 'kv.put refresh'],
    ])
    expect(rounds[2]![0]).toMatch(/WHERE email/)
  })

  it('a replayed callback: one round (the used state), and no session written', async () => {
    const account = person()
    const { request, back, state } = await callbackFor(account)
    expect((await roundTrips(env).send(request)).response.status).toBe(303)
    const replay = get(callbackPath(back), { [STATE_COOKIE('local')]: state })
    const { response, rounds } = await roundTrips(env).send(replay)
    expect(response.status).toBe(400)
    expect(setCookie(response, REFRESH_COOKIE)).toBeNull()
    // Refused at the state's spend: the code is not redeemed again, nothing else is read.
    expect(shape(rounds)).toEqual([['d1 batch']])
  })

  it('a callback without its state cookie (another browser’s): none', async () => {
    const { back } = await callbackFor(person())
    const { response, rounds } = await roundTrips(env).send(get(callbackPath(back)))
    expect(response.status).toBe(400)
    expect(setCookie(response, REFRESH_COOKIE)).toBeNull()
    expect(rounds).toEqual([])
  })
})
