// requireAdmin(scope) on real D1: API keys (scope, revocation, forgery, never logged) and admin
// users (role, second factor, a sign-in within 15 minutes), through a tiny app of test routes and
// the real GET /admin/audit.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AppEnv } from '../../src/env'
import { ADMIN_SCOPES } from '../../src/env'
import {
  ADMIN_SIGN_IN_WINDOW_MS,
  KEY_USE_INTERVAL_MS,
  requireAdmin,
} from '../../src/routes/admin-auth'
import { onError } from '../../src/http/errors'
import { apiKeyStore } from '../../src/store/api-keys'
import {
  ORIGIN,
  bearer,
  call,
  captureLogs,
  expectProblem,
  freezeTime,
  refresh,
  sendJson,
  signedIn,
} from '../helpers'
import { createKey, freshAdmin, revokeKey, setRole, withAmr } from './admin-callers'

// Routes of our own: no users route may exist yet, and these name exactly the scope they need.
const app = new Hono<AppEnv>()
  .onError(onError)
  .get('/t/users-read', requireAdmin('users:read'), (c) => c.json(c.get('admin')))
  .get('/t/users-write', requireAdmin('users:write'), (c) => c.json(c.get('admin')))

/** A request to the test routes, with its work after the response awaited before it returns. */
async function callTest(path: string, authorization?: string) {
  const ctx = createExecutionContext()
  const init = authorization ? { headers: { Authorization: authorization } } : {}
  const res = await app.request(ORIGIN + path, init, env, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

const asKey = (key: string) => `Bearer ${key}`

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('API keys', () => {
  it('let a key call a route that needs a scope it holds, naming the key as the caller', async () => {
    const { id, key } = await createKey(['users:read'])
    const res = await callTest('/t/users-read', asKey(key))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ type: 'api_key', id, scopes: ['users:read'] })
  })

  it('refuse a users:read key on users:write and audit:read routes (403 insufficient_scope)', async () => {
    const { key } = await createKey(['users:read'])
    const write = await callTest('/t/users-write', asKey(key))
    const body = await expectProblem(write, 403, 'insufficient_scope')
    expect(body.detail).toBe('This needs the users:write scope')
    expect(write.headers.get('www-authenticate')).toBe(
      'Bearer realm="edge-auth", error="insufficient_scope", error_description="This needs the users:write scope"',
    )
    const audit = await call('/admin/audit', bearer(key))
    await expectProblem(audit, 403, 'insufficient_scope')
    expect(audit.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
  })

  it('let a key with every scope call every route', async () => {
    const { key } = await createKey([...ADMIN_SCOPES])
    expect((await callTest('/t/users-read', asKey(key))).status).toBe(200)
    expect((await callTest('/t/users-write', asKey(key))).status).toBe(200)
    expect((await call('/admin/audit', bearer(key))).status).toBe(200)
  })

  it('stop a revoked key at once, with the answer an unknown key gets', async () => {
    const { id, key } = await createKey(['users:read'])
    expect((await callTest('/t/users-read', asKey(key))).status).toBe(200)
    expect(await revokeKey(id)).toBe(true)
    const res = await callTest('/t/users-read', asKey(key))
    const body = await expectProblem(res, 401, 'invalid_token')
    expect(body.detail).toBe('The API key is not valid')
    // And a second revocation changes nothing: the key stays revoked.
    expect(await revokeKey(id)).toBe(false)
    await expectProblem(await callTest('/t/users-read', asKey(key)), 401, 'invalid_token')
  })

  it('refuse a forged key (a real id, another secret), an unknown id and malformed keys alike', async () => {
    const { id, key } = await createKey([...ADMIN_SCOPES])
    const { key: other } = await createKey([...ADMIN_SCOPES])
    const otherSecret = other.slice(`eak_${id}_`.length)
    const forged = [
      `eak_${id}_${otherSecret}`,
      `eak_${id}_${'A'.repeat(43)}`,
      `eak_${'0'.repeat(24)}_${otherSecret}`,
      `eak_${id}_`,
      `eak_${id.toUpperCase()}_${key.slice(-43)}`,
      // A last character no 32-byte secret ends with (its spare low bits set).
      `${key.slice(0, -1)}B`,
      `${key}A`,
      'eak_',
    ]
    const answers = new Set<string>()
    for (const attempt of forged) {
      const res = await callTest('/t/users-read', asKey(attempt))
      const body = await expectProblem(res, 401, 'invalid_token')
      answers.add(`${String(body.detail)}|${res.headers.get('www-authenticate')}`)
    }
    expect(answers).toEqual(
      new Set([
        'The API key is not valid|Bearer realm="edge-auth", error="invalid_token", error_description="The API key is not valid"',
      ]),
    )
    expect((await callTest('/t/users-read', asKey(key))).status).toBe(200)
  })

  it('compare the secret in constant time, for an unknown id as for a known one', async () => {
    const { id } = await createKey(['users:read'])
    const compare = vi.spyOn(crypto.subtle, 'timingSafeEqual')
    await callTest('/t/users-read', asKey(`eak_${id}_${'B'.repeat(42)}A`))
    expect(compare).toHaveBeenCalledTimes(1)
    await callTest('/t/users-read', asKey(`eak_${'f'.repeat(24)}_${'B'.repeat(42)}A`))
    expect(compare).toHaveBeenCalledTimes(2)
  })

  it('never write a key into a log line or an error body', async () => {
    const lines = captureLogs()
    const { id, key } = await createKey(['users:read'])
    const secret = key.slice(-43)
    const bodies: string[] = []
    for (const attempt of [key, `eak_${id}_${'C'.repeat(42)}A`, `${key}x`]) {
      bodies.push(await (await callTest('/t/users-write', asKey(attempt))).text())
      bodies.push(await (await callTest('/t/users-read', asKey(attempt))).text())
    }
    // Through the real worker too, whose request log names the path (a key pasted in it too).
    bodies.push(await (await call(`/admin/audit?cursor=${key}`, bearer(key))).text())
    await revokeKey(id)
    bodies.push(await (await call('/admin/audit', bearer(key))).text())
    expect(lines.length).toBeGreaterThan(0)
    for (const text of [...lines, ...bodies]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(key)
    }
  })

  it('note when a key was used, at most once a minute, after the response', async () => {
    const time = freezeTime()
    const { id, key } = await createKey(['users:read'])
    const lastUsed = async () => (await apiKeyStore(env.DB).find(id))!.lastUsedAt
    expect(await lastUsed()).toBeNull()
    const first = Date.now()
    expect((await callTest('/t/users-read', asKey(key))).status).toBe(200)
    expect(await lastUsed()).toBe(first)
    time.advance(KEY_USE_INTERVAL_MS - 1)
    expect((await callTest('/t/users-read', asKey(key))).status).toBe(200)
    expect(await lastUsed()).toBe(first)
    time.advance(1)
    expect((await callTest('/t/users-read', asKey(key))).status).toBe(200)
    expect(await lastUsed()).toBe(first + KEY_USE_INTERVAL_MS)
    // A refused call (wrong scope) is not a use.
    time.advance(KEY_USE_INTERVAL_MS)
    expect((await callTest('/t/users-write', asKey(key))).status).toBe(403)
    expect(await lastUsed()).toBe(first + KEY_USE_INTERVAL_MS)
  })

  it('answer a missing or non-Bearer Authorization with 401', async () => {
    const none = await callTest('/t/users-read')
    await expectProblem(none, 401, 'invalid_token')
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="edge-auth"')
    const { key } = await createKey(['users:read'])
    await expectProblem(await callTest('/t/users-read', `Basic ${key}`), 401, 'invalid_token')
    await expectProblem(await callTest('/t/users-read', 'Bearer not-a-token'), 401, 'invalid_token')
  })
})

describe('admin users', () => {
  it('let an admin with a fresh two-factor sign-in call every route, as an admin', async () => {
    const { user, tokens } = await freshAdmin()
    const res = await callTest('/t/users-write', `Bearer ${tokens.accessToken}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ type: 'admin', id: user.id, scopes: [...ADMIN_SCOPES] })
    expect((await call('/admin/audit', bearer(tokens.accessToken))).status).toBe(200)
  })

  it('refuse a user who is not an admin (403 admin_required), two factors or not', async () => {
    const { tokens } = await signedIn('plain')
    await expectProblem(
      await callTest('/t/users-read', `Bearer ${tokens.accessToken}`),
      403,
      'admin_required',
    )
    const admin = await freshAdmin()
    await setRole(admin.user.id, null)
    const res = await call('/admin/audit', bearer(admin.tokens.accessToken))
    await expectProblem(res, 403, 'admin_required')
    expect(res.headers.get('www-authenticate')).toBeNull()
  })

  it('refuse a disabled admin even while a session of theirs is still listed', async () => {
    const admin = await freshAdmin()
    // Only the column, as if the disable had not yet ended the sessions.
    await env.DB.prepare('UPDATE users SET disabled_at = ? WHERE id = ?')
      .bind(Date.now(), admin.user.id)
      .run()
    await expectProblem(
      await call('/admin/audit', bearer(admin.tokens.accessToken)),
      403,
      'admin_required',
    )
  })

  it('refuse an admin who signed in with a password alone (403 step_up_required)', async () => {
    const { user, tokens } = await signedIn('admin')
    await setRole(user.id, 'admin')
    const body = await expectProblem(
      await call('/admin/audit', bearer(tokens.accessToken)),
      403,
      'step_up_required',
    )
    expect(body.detail).toMatch(/second factor/)
    // Nor an emailed code, nor another provider: each is one factor.
    for (const amr of [['email'], ['pwd', 'email']]) {
      await expectProblem(
        await callTest('/t/users-read', `Bearer ${await withAmr(tokens.accessToken, amr)}`),
        403,
        'step_up_required',
      )
    }
  })

  it('take a passkey sign-in (hwk or swk) as two factors', async () => {
    const { user, tokens } = await signedIn('admin')
    await setRole(user.id, 'admin')
    for (const amr of [['hwk'], ['swk']]) {
      const token = await withAmr(tokens.accessToken, amr)
      expect((await callTest('/t/users-read', `Bearer ${token}`)).status).toBe(200)
    }
  })

  it('refuse an admin whose two-factor sign-in is over 15 minutes old, even with a fresh token', async () => {
    const time = freezeTime()
    const { tokens } = await freshAdmin()
    time.advance(ADMIN_SIGN_IN_WINDOW_MS - 1000)
    const renewed = await refresh(tokens.refreshToken)
    expect(renewed.status).toBe(200)
    const early = (await renewed.json()) as { accessToken: string; refreshToken: string }
    expect((await callTest('/t/users-read', `Bearer ${early.accessToken}`)).status).toBe(200)
    time.advance(2000)
    const later = await refresh(early.refreshToken)
    const { accessToken } = (await later.json()) as { accessToken: string }
    const body = await expectProblem(
      await callTest('/t/users-read', `Bearer ${accessToken}`),
      403,
      'step_up_required',
    )
    expect(body.detail).toMatch(/15 minutes/)
  })

  it('refuse an admin whose session has ended, though the access token has not expired', async () => {
    const { tokens } = await freshAdmin()
    const out = await sendJson('DELETE', '/logout', { token: tokens.refreshToken })
    expect(out.status).toBe(204)
    await expectProblem(
      await call('/admin/audit', bearer(tokens.accessToken)),
      401,
      'invalid_token',
    )
  })

  it('refuse a tampered or expired access token with 401, before any role is read', async () => {
    const time = freezeTime()
    const { tokens } = await freshAdmin()
    const tampered = `${tokens.accessToken.slice(0, -2)}${tokens.accessToken.endsWith('AA') ? 'BB' : 'AA'}`
    await expectProblem(await callTest('/t/users-read', `Bearer ${tampered}`), 401, 'invalid_token')
    time.advance(3600 * 1000)
    await expectProblem(
      await callTest('/t/users-read', `Bearer ${tokens.accessToken}`),
      401,
      'invalid_token',
    )
  })
})
