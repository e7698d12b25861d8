// The code exchange's race branches, each in a fixed interleaving: TokenService runs on the real
// D1 and KV, paused just before the grant session's record is written, or after its records are
// written but before the D1 batch that lists it and runs the closing checks, so that whatever
// should stop the exchange (the grant's removal, a replay of the code, a sign-out everywhere, the
// account disabled) lands in the gap, where its own end cannot yet reach the session. Each must
// still leave nothing that refreshes: the exchange fails and the session it wrote is ended. Past
// that batch, the session is listed, and the same ends reach it as any other.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../../src/errors'
import { settings } from '../../../src/env'
import { GrantService } from '../../../src/services/oauth-server/grants'
import { TokenService } from '../../../src/services/oauth-server/tokens'
import { authorizationCodeStore } from '../../../src/store/authorization-codes'
import { oauthClientStore } from '../../../src/store/oauth-clients'
import { grantStore } from '../../../src/store/oauth-grants'
import { sessionIndex } from '../../../src/store/session-index'
import { isEnded, sessionStore } from '../../../src/store/sessions'
import { userStore } from '../../../src/store/users'
import { logOnly } from '../../../src/services/events'
import { SessionService } from '../../../src/services/sessions'
import { pausable } from '../../doubles/pausable'
import { NO_CLIENT } from '../../doubles/services'
import { ORIGIN, jsonInit, unitConfig } from '../../helpers'
import { AS_ENV, RESOURCE, appAndUser, authorizeAs, browse } from '../../oauth-server/flow'

afterEach(() => vi.restoreAllMocks())

const cfg = unitConfig(
  { alg: 'ES256', source: env.JWT_PRIVATE_KEYS! },
  { issuer: ORIGIN, refreshTokenSecret: env.REFRESH_TOKEN_SECRET! },
)

/** A user who allowed a registered app, the app's unspent code, and TokenService on real bindings. */
async function exchangeReady() {
  const { client, session } = await appAndUser()
  const { location, verifier } = await authorizeAs(session.cookie, client.client_id)
  const code = location.searchParams.get('code')!
  const sessions = pausable(sessionStore(env.REFRESH_TOKENS))
  const codes = pausable(authorizationCodeStore(env.DB))
  const deps = {
    sessions: sessions.proxy,
    index: sessionIndex(env.DB),
    defer: () => {},
    events: logOnly(),
    wait: async () => {},
    codes: codes.proxy,
    grants: grantStore(env.DB),
    users: userStore(env.DB),
    config: async () => cfg,
    resources: () => settings({ ...env, ...AS_ENV } as typeof env).protectedResources,
  }
  const tokens = new TokenService(deps)
  const registered = (await oauthClientStore(env.DB).find(client.client_id))!
  const params = { code, code_verifier: verifier, redirect_uri: 'https://app.example/callback' }
  const exchange = () => tokens.exchangeCode(registered, params, NO_CLIENT)
  const grant = (await grantStore(env.DB).find(session.user.id, client.client_id, RESOURCE))!
  /** Where a refresh token of the exchange stands now ('current' while it may refresh). */
  const standing = async (refreshToken: string) =>
    (await new SessionService(deps).standing(refreshToken, cfg, { clientId: client.client_id }))
      .kind
  return { client, session, sessions, codes, deps, tokens, params, exchange, grant, standing }
}

/** The exchange's session (the code reserved its id): ended in KV, and unlisted in D1. */
async function expectEnded(userId: string, grantId: string) {
  const listed = await sessionIndex(env.DB).grantSessions(userId, grantId)
  expect(listed).toEqual([])
  const { results } = await env.DB.prepare(
    'SELECT session_id FROM authorization_codes WHERE grant_id = ?',
  )
    .bind(grantId)
    .all<{ session_id: string }>()
  for (const { session_id } of results) {
    const record = await sessionStore(env.REFRESH_TOKENS).getSession(session_id)
    expect(record === null || isEnded(record)).toBe(true)
  }
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'issued',
    (err: unknown) => (err instanceof ApiError ? err.code : String(err)),
  )

type Ready = Awaited<ReturnType<typeof exchangeReady>>

/**
 * What should stop an exchange, done while it is paused. The grant's removal and a sign-out
 * everywhere end the sessions D1 lists (before the listing, not this one); a replay by the code's
 * own client ends the session the code reserved, by its id.
 */
const STOPS: [string, (ready: Ready) => Promise<void>][] = [
  [
    'the grant removed',
    async ({ session, deps, grant }) => {
      await new GrantService(deps).remove(session.user.id, grant.id)
    },
  ],
  [
    'the code replayed by its client',
    async ({ exchange }) => {
      expect(await failure(exchange())).toBe('invalid_grant')
    },
  ],
  [
    'a sign-out everywhere',
    async ({ session }) => {
      const out = await browse(
        '/logout?scope=global',
        jsonInit('DELETE', { token: session.cookie }),
      )
      expect(out.status).toBe(204)
    },
  ],
]

// Each stop lands in one of two gaps: before the session's record is written (the replay ends the
// reserved session, whose record the exchange then writes over), or once its KV records are
// written but before the D1 batch that lists it and runs the checks in the same transaction.
describe.each<[string, (ready: Ready) => ReturnType<Ready['codes']['pauseBefore']>]>([
  ['before the session is written', (ready) => ready.sessions.pauseBefore('putSession')],
  ['between its records and its listing', (ready) => ready.codes.pauseBefore('settle')],
])('a code exchange racing what should stop it, %s', (_, pauseAt) => {
  it.each(STOPS)('%s: nothing issued, the session ended and unlisted', async (_, stop) => {
    const ready = await exchangeReady()
    const paused = pauseAt(ready)
    const exchanging = failure(ready.exchange())
    await paused.reached
    await stop(ready)
    paused.release()
    expect(await exchanging).toBe('invalid_grant')
    await expectEnded(ready.session.user.id, ready.grant.id)
  })

  it('with nothing in the gap, the same exchange issues a refresh token', async () => {
    const ready = await exchangeReady()
    const paused = pauseAt(ready)
    const exchanging = ready.exchange()
    await paused.reached
    paused.release()
    expect((await exchanging).refresh_token).toMatch(/^app\./)
  })
})

describe('a code exchange racing what should stop it, between its records and its listing', () => {
  it('lists the session and runs the checks only once its records are written', async () => {
    // Were the batch to run beside the records, an end landing after the batch but before a
    // record would be overwritten by it: a live session nobody's end reaches.
    const { sessions, codes, exchange } = await exchangeReady()
    let listing = false
    const listed = codes.pauseBefore('settle')
    void listed.reached.then(() => (listing = true))
    const paused = sessions.pauseBefore('putRefreshToken')
    const exchanging = exchange()
    await paused.reached
    // Everything the exchange can do without the record has been done by the next macrotask.
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(listing).toBe(false)
    paused.release()
    await listed.reached
    listed.release()
    expect((await exchanging).refresh_token).toMatch(/^app\./)
  })

  it('the code replayed by another client: that replay ends nothing, but this exchange is refused', async () => {
    const { session, codes, tokens, params, exchange, grant } = await exchangeReady()
    const other = await appAndUser()
    const otherClient = (await oauthClientStore(env.DB).find(other.client.client_id))!
    const paused = codes.pauseBefore('settle')
    const first = failure(exchange())
    await paused.reached
    expect(await failure(tokens.exchangeCode(otherClient, params, NO_CLIENT))).toBe('invalid_grant')
    paused.release()
    // A replay is a replay whoever presents it: the code leaked, so what it was about to start
    // does not start (as before this batch, when the check was a query of its own).
    expect(await first).toBe('invalid_grant')
    await expectEnded(session.user.id, grant.id)
  })

  it('the account disabled: D1 refuses to list the session, which is ended; nothing issued', async () => {
    const { session, codes, deps, exchange, grant } = await exchangeReady()
    const paused = codes.pauseBefore('settle')
    const exchanging = failure(exchange())
    await paused.reached
    // As the admin API disables: the flag, then every listed session (this one is not yet).
    expect(await userStore(env.DB).setDisabled(session.user.id, Date.now())).toBe(true)
    await new SessionService(deps).endEveryListed(session.user.id, cfg)
    paused.release()
    // account_disabled, which the token endpoint answers as OAuth's invalid_grant.
    expect(await exchanging).toBe('account_disabled')
    await expectEnded(session.user.id, grant.id)
  })
})

// Past the batch, the session is listed like any other, and its records were written before it:
// the ends that come now reach it, and its refresh token, though issued, no longer refreshes.
describe('what should stop a code exchange, landing just after its listing', () => {
  it.each(STOPS)('%s: the issued refresh token is ended', async (name, stop) => {
    const ready = await exchangeReady()
    const settled = ready.codes.pauseAfter('settle')
    const exchanging = ready.exchange()
    await settled.reached
    await stop(ready)
    settled.release()
    const tokens = await exchanging
    expect(await ready.standing(tokens.refresh_token!)).toBe('ended')
    // A sign-out everywhere ends by its mark in KV, not a record per session: unlisted is its trace.
    if (name === 'a sign-out everywhere') {
      expect(
        await sessionIndex(env.DB).grantSessions(ready.session.user.id, ready.grant.id),
      ).toEqual([])
    } else {
      await expectEnded(ready.session.user.id, ready.grant.id)
    }
  })

  it('with nothing after it either, the refresh token refreshes', async () => {
    const { codes, exchange, standing } = await exchangeReady()
    const settled = codes.pauseAfter('settle')
    const exchanging = exchange()
    await settled.reached
    settled.release()
    const tokens = await exchanging
    expect(await standing(tokens.refresh_token!)).toBe('current')
  })
})
