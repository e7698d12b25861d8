import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TokenPair } from '../../src/schemas'
import {
  PASSWORD,
  bearer,
  call,
  captureLogs,
  expectProblem,
  jsonInit,
  loginUser,
  refresh,
  registerUser,
  signedIn,
  storeLegacyHash,
} from '../helpers'

const NEW_PASSWORD = 'a whole new passphrase'

const withBearer = (token: string, init: RequestInit): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` },
})

const changePassword = (token: string, body: unknown) =>
  call('/users/me/password', withBearer(token, jsonInit('POST', body)))

const deleteAccount = (token: string, body: unknown) =>
  call('/users/me', withBearer(token, jsonInit('DELETE', body)))

const storedHash = async (id: string) =>
  (await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?').bind(id).first<{
    password_hash: string
  }>())!.password_hash

describe('GET /users/me', () => {
  it('returns the caller, not in an array', async () => {
    const { tokens, user, username } = await signedIn()
    const res = await call('/users/me', bearer(tokens.accessToken))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: user.id, username, createdAt: expect.any(String) })
  })

  it('needs an access token', async () => {
    await expectProblem(await call('/users/me'), 401, 'invalid_token')
  })
})

describe('POST /users/me/password', () => {
  afterEach(() => vi.restoreAllMocks())

  it('re-hashes the password, ends every other session and keeps this one', async () => {
    const { username, tokens, user } = await signedIn()
    const other = await loginUser(username)
    const before = await storedHash(user.id)
    const res = await changePassword(tokens.accessToken, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(res.status).toBe(204)
    expect(await storedHash(user.id)).not.toBe(before)
    await expectProblem(await refresh(other.refreshToken), 401, 'invalid_refresh_token')
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
    // The new password logs in; the old one no longer does.
    await loginUser(username, NEW_PASSWORD)
    const old = await call('/login', jsonInit('POST', { username, password: PASSWORD }))
    await expectProblem(old, 401, 'invalid_credentials')
  })

  it('answers 401 to a wrong current password and changes nothing', async () => {
    const { username, tokens, user } = await signedIn()
    const other = await loginUser(username)
    const before = await storedHash(user.id)
    const res = await changePassword(tokens.accessToken, {
      currentPassword: 'not the password',
      newPassword: NEW_PASSWORD,
    })
    await expectProblem(res, 401, 'invalid_credentials')
    expect(await storedHash(user.id)).toBe(before)
    expect((await refresh(other.refreshToken)).status).toBe(200)
    await loginUser(username)
  })

  it('validates the new password like registration does, before any hashing', async () => {
    const { tokens } = await signedIn()
    for (const newPassword of ['short', 'x'.repeat(129), 12345678]) {
      const res = await changePassword(tokens.accessToken, {
        currentPassword: PASSWORD,
        newPassword,
      })
      await expectProblem(res, 400, 'validation_failed')
    }
  })

  it('needs an access token, and never logs either password', async () => {
    const lines = captureLogs()
    const res = await call(
      '/users/me/password',
      jsonInit('POST', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    )
    await expectProblem(res, 401, 'invalid_token')
    const { tokens } = await signedIn()
    await changePassword(tokens.accessToken, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    const logged = lines.join('\n')
    expect(logged).toContain('password_changed')
    expect(logged).not.toContain(PASSWORD)
    expect(logged).not.toContain(NEW_PASSWORD)
  })
})

describe('DELETE /users/me', () => {
  it('deletes the account and every session; the username can be registered again', async () => {
    const { username, tokens, user } = await signedIn()
    const other = await loginUser(username)
    const res = await deleteAccount(tokens.accessToken, { password: PASSWORD })
    expect(res.status).toBe(204)
    for (const t of [tokens, other]) {
      await expectProblem(await refresh(t.refreshToken), 401, 'invalid_refresh_token')
    }
    await expectProblem(await call('/users/me', bearer(tokens.accessToken)), 401, 'invalid_token')
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?')
      .bind(user.id)
      .first<{ n: number }>()
    expect(rows?.n).toBe(0)
    // A retry (say after a 503) finds the account gone and answers the same, changing nothing.
    const retry = await deleteAccount(tokens.accessToken, { password: 'not even the password' })
    expect(retry.status).toBe(204)
    const again = await registerUser(username)
    expect(again.user.id).not.toBe(user.id)
    const fresh: TokenPair = await loginUser(username)
    expect((await refresh(fresh.refreshToken)).status).toBe(200)
  })

  it('answers 401 to a wrong password and deletes nothing', async () => {
    const { username, tokens } = await signedIn()
    const res = await deleteAccount(tokens.accessToken, { password: 'not the password' })
    await expectProblem(res, 401, 'invalid_credentials')
    expect((await refresh(tokens.refreshToken)).status).toBe(200)
    await loginUser(username)
  })

  it("cannot delete anyone else's account: the access token decides whose", async () => {
    const alice = await signedIn('alice')
    const bob = await signedIn('bob')
    // Bob's password with Alice's token is simply a wrong password for Alice.
    await expectProblem(
      await deleteAccount(alice.tokens.accessToken, { password: 'bobs password!' }),
      401,
      'invalid_credentials',
    )
    expect((await call('/users/me', bearer(bob.tokens.accessToken))).status).toBe(200)
  })
})

describe('password hash upgrade', () => {
  it('re-hashes a password stored with older parameters at the next successful login', async () => {
    const { username, user } = await registerUser()
    await storeLegacyHash(user.id)

    await loginUser(username)
    await vi.waitFor(async () =>
      expect(await storedHash(user.id)).toMatch(/^pbkdf2-sha256\$100000\$/),
    )
    await loginUser(username) // and the upgraded hash verifies
  })

  it('leaves the hash alone after a failed login', async () => {
    const { username, user } = await registerUser()
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE id = ?')
      .bind(
        'pbkdf2-sha256$50000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        user.id,
      )
      .run()
    const res = await call('/login', jsonInit('POST', { username, password: PASSWORD }))
    await expectProblem(res, 401, 'invalid_credentials')
    expect(await storedHash(user.id)).toMatch(/^pbkdf2-sha256\$50000\$/)
  })
})
