// The code exchange's race branches, each in a fixed interleaving: TokenService runs on the real
// D1 and KV, its session store paused just before the grant session's record is written, so
// that whatever should stop the exchange (the grant's removal, a replay of the code, a sign-out
// everywhere) lands in the gap, where its own end cannot yet reach the session. Each must still
// leave nothing that refreshes: the exchange fails and the session it wrote is ended.
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
  const deps = {
    sessions: sessions.proxy,
    index: sessionIndex(env.DB),
    defer: () => {},
    events: logOnly(),
    wait: async () => {},
    codes: authorizationCodeStore(env.DB),
    grants: grantStore(env.DB),
    users: userStore(env.DB),
    config: async () => cfg,
    resources: () => settings({ ...env, ...AS_ENV } as typeof env).protectedResources,
  }
  const tokens = new TokenService(deps)
  const registered = (await oauthClientStore(env.DB).find(client.client_id))!
  const exchange = () =>
    tokens.exchangeCode(
      registered,
      { code, code_verifier: verifier, redirect_uri: 'https://app.example/callback' },
      NO_CLIENT,
    )
  const grant = (await grantStore(env.DB).find(session.user.id, client.client_id, RESOURCE))!
  return { client, session, sessions, deps, exchange, grant }
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
