// Attacks on the admin users API and on disabled accounts, through the worker: ids of other
// users, unknown and malformed ids; a disabled account trying every way back in (password, the
// second step, an app's code, its refresh tokens, the hosted pages in each language); and what a
// disabled account's attacker can learn from a wrong password (nothing).
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { describe, expect, it } from 'vitest'
import { totpStep } from '../../src/auth/totp'
import { signin as en } from '../../src/i18n/en/signin'
import { signin as es } from '../../src/i18n/es/signin'
import { signin as fr } from '../../src/i18n/fr/signin'
import { AS_ENV, appAndUser, codeFor, redeem } from '../oauth-server/flow'
import {
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  cookieSession,
  expectProblem,
  loginUser,
  refresh,
  sendJson,
  signedIn,
} from '../helpers'
import { createKey } from '../routes/admin-callers'
import { post } from '../pages/forms'

const writer = await createKey(['users:read', 'users:write'])
const reader = await createKey(['users:read'])

const admin = (path: string, method = 'POST', key = writer.key) =>
  call(`/admin/users${path}`, { method, ...bearer(key) })

/** Escaped as the pages' templates escape text. */
const html = (text: string) => text.replace(/'/g, '&#39;').replace(/"/g, '&quot;')

describe('IDOR and malformed ids', () => {
  it("a user's own token cannot reach anyone's record, its own included", async () => {
    const victim = await signedIn('victim')
    const attacker = await signedIn('attacker')
    for (const [path, method] of [
      [`/${victim.user.id}`, 'GET'],
      [`/${victim.user.id}/disable`, 'POST'],
      [`/${victim.user.id}/mfa/reset`, 'POST'],
      [`/${victim.user.id}`, 'DELETE'],
      [`/${attacker.user.id}`, 'GET'],
    ] as const) {
      const res = await call(`/admin/users${path}`, {
        method,
        ...bearer(attacker.tokens.accessToken),
      })
      expect(res.status, `${method} ${path}`).toBe(403)
    }
    expect((await refresh(victim.tokens.refreshToken)).status).toBe(200)
  })

  it('unknown ids are 404 and malformed ones 400 on every route, never 500', async () => {
    const ids = [
      crypto.randomUUID(),
      crypto.randomUUID().toUpperCase(),
      'x'.repeat(64),
      'x'.repeat(65),
      '%E2%80%AE',
      "1'%20OR%20'1'='1",
      '%2e%2e',
    ]
    for (const id of ids) {
      for (const [path, method] of [
        ['', 'GET'],
        ['/disable', 'POST'],
        ['/enable', 'POST'],
        ['/sessions/end', 'POST'],
        ['/mfa/reset', 'POST'],
        ['', 'DELETE'],
      ] as const) {
        const res = await admin(`/${id}${path}`, method)
        expect([400, 404], `${method} ${id}${path}`).toContain(res.status)
      }
    }
  })

  it('a read-only key changes nothing', async () => {
    const { user, tokens } = await signedIn('ro')
    for (const path of ['/disable', '/sessions/end', '/mfa/reset']) {
      const res = await admin(`/${user.id}${path}`, 'POST', reader.key)
      await expectProblem(res, 403, 'insufficient_scope')
    }
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
  })
})

describe('a disabled account', () => {
  it('is refused on the hosted sign-in page with a clear message, in each language', async () => {
    const { user, username } = await signedIn('page')
    await admin(`/${user.id}/disable`)
    for (const [lang, text] of [
      ['en', en.accountDisabled],
      ['fr', fr.accountDisabled],
      ['es', es.accountDisabled],
    ] as const) {
      const res = await post(
        '/signin',
        { username, password: PASSWORD },
        { 'Accept-Language': lang },
      )
      expect(res.status).toBe(403)
      expect(res.headers.getSetCookie().join()).not.toContain('refresh_token=')
      expect(await res.text()).toContain(html(text))
    }
    // A wrong password on the same page says what it says for any account.
    const wrong = await post('/signin', { username, password: 'wrong password!!' })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain(html(en.accountDisabled))
  })

  it('cannot finish a two-factor sign-in, with a right code', async () => {
    const account = await signedIn('mfa')
    const auth = bearer(account.tokens.accessToken).headers
    const enrol = await sendJson('POST', '/users/me/totp', { password: PASSWORD }, auth)
    const { secret } = (await enrol.json()) as { secret: string }
    const code = (steps: number) =>
      generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)
    await sendJson('POST', '/users/me/totp/verify', { code: code(0) }, auth)
    await admin(`/${account.user.id}/disable`)
    const first = await sendJson('POST', '/login', {
      username: account.username,
      password: PASSWORD,
    })
    const { mfaToken } = (await expectProblem(first, 401, 'mfa_required')) as { mfaToken: string }
    const second = await sendJson('POST', '/login/mfa', { mfaToken, code: code(1) })
    const body = await expectProblem(second, 403, 'account_disabled')
    expect(body).not.toHaveProperty('refreshToken')
  })

  it("cannot redeem an app's authorization code issued before the disable", async () => {
    const { client, session } = await appAndUser()
    const { code, verifier } = await codeFor(session.cookie, client.client_id)
    await admin(`/${session.user.id}/disable`)
    const res = await redeem(client.client_id, code, verifier)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant')
    expect(res.headers.get('content-type')).not.toContain('problem')
  })

  it("ends an app's grant session with the rest; the app's refresh token is refused", async () => {
    const { client, session } = await appAndUser()
    const { code, verifier } = await codeFor(session.cookie, client.client_id)
    const tokens = (await (await redeem(client.client_id, code, verifier)).json()) as {
      refresh_token: string
    }
    expect(tokens.refresh_token).toEqual(expect.any(String))
    await admin(`/${session.user.id}/disable`)
    const res = await callWithEnv(AS_ENV, '/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: client.client_id,
      }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant')
  })

  it('cannot use its refresh cookie on the hosted pages, and comes back after enable', async () => {
    const session = await cookieSession()
    await admin(`/${session.user.id}/disable`)
    const page = await call('/account', {
      headers: { Cookie: `__Host-refresh_token=${session.cookie}` },
      redirect: 'manual',
    })
    expect(page.status).toBe(303) // to the sign-in page: the session stands for nobody
    await admin(`/${session.user.id}/enable`)
    await loginUser(session.username)
  })
})
