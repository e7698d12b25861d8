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

describe('a code exchange racing what should stop it', () => {
  it('the grant removed before the session is written: nothing issued, the session ended', async () => {
    const { session, sessions, deps, exchange, grant } = await exchangeReady()
    const paused = sessions.pauseBefore('putSession')
    const exchanging = failure(exchange())
    await paused.reached
    // The removal lists the grant's sessions before this one is written: it ends none.
    await new GrantService(deps).remove(session.user.id, grant.id)
    paused.release()
    expect(await exchanging).toBe('invalid_grant')
    await expectEnded(session.user.id, grant.id)
  })

  it('the code replayed by its client before the session is written: neither issues anything', async () => {
    const { session, sessions, exchange, grant } = await exchangeReady()
    const paused = sessions.pauseBefore('putSession')
    const first = failure(exchange())
    await paused.reached
    // The replay ends the reserved session, whose record the first exchange then writes over.
    expect(await failure(exchange())).toBe('invalid_grant')
    paused.release()
    expect(await first).toBe('invalid_grant')
    await expectEnded(session.user.id, grant.id)
  })

  it('a sign-out everywhere before the session is written: nothing issued, the session ended', async () => {
    const { session, sessions, exchange, grant } = await exchangeReady()
    const paused = sessions.pauseBefore('putSession')
    const exchanging = failure(exchange())
    await paused.reached
    const out = await browse('/logout?scope=global', jsonInit('DELETE', { token: session.cookie }))
    expect(out.status).toBe(204)
    paused.release()
    expect(await exchanging).toBe('invalid_grant')
    await expectEnded(session.user.id, grant.id)
  })

  it('with nothing in the gap, the same exchange issues a refresh token', async () => {
    const { exchange } = await exchangeReady()
    const tokens = await exchange()
    expect(tokens.refresh_token).toMatch(/^app\./)
  })
})

// The session's KV records are written, and D1 does not list it yet: the batch that lists it
// runs the checks in the same transaction, so whatever lands here is seen by it.
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

  it('the grant removed: nothing issued, the session ended and unlisted', async () => {
    const { session, codes, deps, exchange, grant } = await exchangeReady()
    const paused = codes.pauseBefore('settle')
    const exchanging = failure(exchange())
    await paused.reached
    // The removal lists the grant's sessions: this one is not listed yet, so it ends none.
    await new GrantService(deps).remove(session.user.id, grant.id)
    paused.release()
    expect(await exchanging).toBe('invalid_grant')
    await expectEnded(session.user.id, grant.id)
  })

  it('the code replayed by its client: neither issues anything, and the session stays ended', async () => {
    const { session, codes, exchange, grant } = await exchangeReady()
    const paused = codes.pauseBefore('settle')
    const first = failure(exchange())
    await paused.reached
    // The replay ends the reserved session over records already written; the batch then lists
    // it, sees the replay, and the exchange ends it again and unlists it.
    expect(await failure(exchange())).toBe('invalid_grant')
    paused.release()
    expect(await first).toBe('invalid_grant')
    await expectEnded(session.user.id, grant.id)
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

  it('a sign-out everywhere: nothing issued, the session ended', async () => {
    const { session, codes, exchange, grant } = await exchangeReady()
    const paused = codes.pauseBefore('settle')
    const exchanging = failure(exchange())
    await paused.reached
    const out = await browse('/logout?scope=global', jsonInit('DELETE', { token: session.cookie }))
    expect(out.status).toBe(204)
    paused.release()
    expect(await exchanging).toBe('invalid_grant')
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
  it('the grant removed: the issued refresh token is ended', async () => {
    const { session, codes, deps, exchange, grant, standing } = await exchangeReady()
    const settled = codes.pauseAfter('settle')
    const exchanging = exchange()
    await settled.reached
    await new GrantService(deps).remove(session.user.id, grant.id)
    settled.release()
    const tokens = await exchanging
    expect(await standing(tokens.refresh_token!)).toBe('ended')
    await expectEnded(session.user.id, grant.id)
  })

  it('the code replayed by its client: the issued refresh token is ended', async () => {
    const { session, codes, exchange, grant, standing } = await exchangeReady()
    const settled = codes.pauseAfter('settle')
    const exchanging = exchange()
    await settled.reached
    expect(await failure(exchange())).toBe('invalid_grant')
    settled.release()
    const tokens = await exchanging
    expect(await standing(tokens.refresh_token!)).toBe('ended')
    await expectEnded(session.user.id, grant.id)
  })

  it('a sign-out everywhere: the issued refresh token is ended', async () => {
    const { session, codes, exchange, grant, standing } = await exchangeReady()
    const settled = codes.pauseAfter('settle')
    const exchanging = exchange()
    await settled.reached
    const out = await browse('/logout?scope=global', jsonInit('DELETE', { token: session.cookie }))
    expect(out.status).toBe(204)
    settled.release()
    const tokens = await exchanging
    expect(await standing(tokens.refresh_token!)).toBe('ended')
    expect(await sessionIndex(env.DB).grantSessions(session.user.id, grant.id)).toEqual([])
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
