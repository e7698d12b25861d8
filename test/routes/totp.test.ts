// TOTP two-factor through the worker, on real D1 and KV: enrolment, sign-in's second step, and
// every refusal: wrong, replayed and brute-forced codes, stolen or stale mfaTokens, recovery codes.
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { decodeJwt } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { env } from 'cloudflare:workers'
import { totpStep } from '../../src/auth/totp'
import {
  PASSWORD,
  bearer,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  refresh,
  refreshCookieOf,
  sendJson,
  signedIn,
  storeLegacyHash,
} from '../helpers'

/** The code an authenticator app shows for `secret`, `steps` steps from now. */
const codeFor = (secret: string, steps = 0, at = Date.now()) =>
  generateHOTP(decodeBase32(secret), BigInt(totpStep(at) + steps), 6)

const asUser = (accessToken: string, method: string, path: string, body?: unknown) =>
  sendJson(method, path, body ?? {}, bearer(accessToken).headers)

/** A signed-in user with TOTP on: its secret, recovery codes and first session's tokens. */
async function withTotp() {
  const account = await signedIn('totp')
  const token = account.tokens.accessToken
  const enrol = await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD })
  expect(enrol.status).toBe(200)
  const { secret, otpauthUri } = (await enrol.json()) as { secret: string; otpauthUri: string }
  // The first code confirms it; the step after it is what sign-in will use.
  const confirm = await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(secret) })
  expect(confirm.status).toBe(200)
  const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] }
  return { ...account, secret, otpauthUri, recoveryCodes }
}

/** The first step of a sign-in: its mfa_required answer's mfaToken. */
async function mfaTokenFor(
  username: string,
  extra: object = {},
  headers: Record<string, string> = {},
) {
  const res = await sendJson('POST', '/login', { username, password: PASSWORD, ...extra }, headers)
  const body = await expectProblem(res, 401, 'mfa_required')
  expect(typeof body.mfaToken).toBe('string')
  return body.mfaToken as string
}

const secondStep = (mfaToken: string, code: string, extra: object = {}) =>
  sendJson('POST', '/login/mfa', { mfaToken, code, ...extra })

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('TOTP enrolment', () => {
  it('asks for the password, then gives a secret for an app, pending until a code confirms it', async () => {
    const { tokens, username } = await signedIn('totp')
    await expectProblem(
      await asUser(tokens.accessToken, 'POST', '/users/me/totp', { password: 'wrong password!' }),
      401,
      'invalid_credentials',
    )
    const res = await asUser(tokens.accessToken, 'POST', '/users/me/totp', { password: PASSWORD })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const { secret, otpauthUri } = (await res.json()) as { secret: string; otpauthUri: string }
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(otpauthUri).toBe(
      `otpauth://totp/auth.example:${username}?issuer=auth.example&algorithm=SHA1&secret=${secret}&period=30&digits=6`,
    )
    // Pending: the password alone still signs in.
    expect((await sendJson('POST', '/login', { username, password: PASSWORD })).status).toBe(200)
  })

  it('turns on with a right code only, and returns ten recovery codes once', async () => {
    const { tokens } = await signedIn('totp')
    const token = tokens.accessToken
    await expectProblem(
      await asUser(token, 'POST', '/users/me/totp/verify', { code: '123456' }),
      409,
      'totp_not_enrolled',
    )
    const { secret } = (await (
      await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as { secret: string }
    const wrong = codeFor(secret) === '000000' ? '111111' : '000000'
    await expectProblem(
      await asUser(token, 'POST', '/users/me/totp/verify', { code: wrong }),
      401,
      'invalid_mfa_code',
    )
    const res = await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(secret) })
    expect(res.status).toBe(200)
    const { recoveryCodes } = (await res.json()) as { recoveryCodes: string[] }
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    await expectProblem(
      await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(secret) }),
      409,
      'totp_enabled',
    )
    await expectProblem(
      await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD }),
      409,
      'totp_enabled',
    )
  })

  it('does not finish an enrolment after its session ended (a sign-out everywhere, a reset)', async () => {
    const { tokens, username } = await signedIn('totp')
    const token = tokens.accessToken
    const { secret } = (await (
      await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as { secret: string }
    const out = await sendJson('DELETE', '/logout?scope=global', { token: tokens.refreshToken })
    expect(out.status).toBe(204)
    // The access token is still inside its lifetime; the session behind it is not.
    await expectProblem(
      await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(secret) }),
      401,
      'invalid_token',
    )
    // Two-factor stayed off: the password alone signs in.
    expect((await sendJson('POST', '/login', { username, password: PASSWORD })).status).toBe(200)
  })

  it('refuses a code from an enrolment that a newer one replaced', async () => {
    const { tokens } = await signedIn('totp')
    const token = tokens.accessToken
    const enrol = async () =>
      (
        (await (await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD })).json()) as {
          secret: string
        }
      ).secret
    const first = await enrol()
    const second = await enrol()
    expect(second).not.toBe(first)
    const res = await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(first) })
    if (codeFor(first) !== codeFor(second)) await expectProblem(res, 401, 'invalid_mfa_code')
    expect(
      (await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(second) })).status,
    ).toBe(200)
  })

  it('fails closed without MFA_ENCRYPTION_KEY, and password sign-in still works', async () => {
    const { tokens, username } = await signedIn('totp')
    const res = await callWithEnv(
      { MFA_ENCRYPTION_KEY: '' },
      '/users/me/totp',
      jsonInit('POST', { password: PASSWORD }, bearer(tokens.accessToken).headers),
    )
    await expectProblem(res, 500, 'server_misconfigured')
    const login = await callWithEnv(
      { MFA_ENCRYPTION_KEY: '' },
      '/login',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    expect(login.status).toBe(200)
  })
})

describe('signing in with TOTP on', () => {
  it('answers the right password with mfa_required and an mfaToken, and no token or cookie', async () => {
    const { username } = await withTotp()
    for (const mode of ['token', 'cookie'] as const) {
      const res = await sendJson(
        'POST',
        '/login',
        { username, password: PASSWORD, mode },
        mode === 'cookie' ? { Origin: 'https://auth.example' } : {},
      )
      const text = await res.clone().text()
      const body = await expectProblem(res, 401, 'mfa_required')
      // (The mfaToken is random base64url, which may contain anything, so it is taken out first.)
      expect(text.replace(String(body.mfaToken), '')).not.toMatch(/accessToken|refreshToken|eyJ/)
      expect(refreshCookieOf(res)).toBeNull()
      expect(Object.keys(body).sort()).toEqual(
        ['code', 'detail', 'mfaToken', 'requestId', 'status', 'title', 'type'].sort(),
      )
    }
    // A wrong password is still just that: no hint that TOTP is on.
    await expectProblem(
      await sendJson('POST', '/login', { username, password: 'wrong password!' }),
      401,
      'invalid_credentials',
    )
  })

  it('finishes with a code: a pair whose access tokens say pwd and otp, on every refresh too', async () => {
    const { username, secret } = await withTotp()
    const res = await secondStep(await mfaTokenFor(username), codeFor(secret, 1))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const pair = (await res.json()) as { accessToken: string; refreshToken: string }
    expect(decodeJwt(pair.accessToken).amr).toEqual(['pwd', 'otp'])
    const next = (await (await refresh(pair.refreshToken)).json()) as { accessToken: string }
    expect(decodeJwt(next.accessToken).amr).toEqual(['pwd', 'otp'])
  })

  it('finishes in cookie mode like /login', async () => {
    const { username, secret } = await withTotp()
    const origin = { Origin: 'https://auth.example' }
    const mfaToken = await mfaTokenFor(username, { mode: 'cookie' }, origin)
    const foreign = await sendJson(
      'POST',
      '/login/mfa',
      { mfaToken, code: codeFor(secret, 1), mode: 'cookie' },
      { Origin: 'https://evil.example' },
    )
    await expectProblem(foreign, 403, 'csrf_rejected')
    const res = await sendJson(
      'POST',
      '/login/mfa',
      { mfaToken, code: codeFor(secret, 1), mode: 'cookie' },
      origin,
    )
    expect(res.status).toBe(200)
    expect(Object.keys((await res.json()) as object).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'tokenType',
    ])
    expect(refreshCookieOf(res)?.value).toMatch(/^[A-Za-z0-9_-]{86}$/)
  })

  it('accepts each code once: a replay inside its step, or an older step, is refused', async () => {
    const clock = freezeTime()
    const { username, secret } = await withTotp()
    const code = codeFor(secret, 1)
    expect((await secondStep(await mfaTokenFor(username), code)).status).toBe(200)
    // The same code on a new sign-in, in the same 30 seconds.
    await expectProblem(
      await secondStep(await mfaTokenFor(username), code),
      401,
      'invalid_mfa_code',
    )
    clock.advance(30_000)
    // Now the accepted code is one step old (inside the skew window) and still refused.
    await expectProblem(
      await secondStep(await mfaTokenFor(username), code),
      401,
      'invalid_mfa_code',
    )
    expect((await secondStep(await mfaTokenFor(username), codeFor(secret, 1))).status).toBe(200)
    clock.restore()
  })

  it('allows five wrong codes per mfaToken, then refuses even the right one', async () => {
    const { username, secret } = await withTotp()
    const mfaToken = await mfaTokenFor(username)
    const right = codeFor(secret, 1)
    const wrong = right === '000000' ? '111111' : '000000'
    // A higher account backoff threshold, so only the token's own limit is in play.
    const step = (code: string) =>
      callWithEnv({ LOGIN_MAX_FAILURES: '20' }, '/login/mfa', jsonInit('POST', { mfaToken, code }))
    for (let i = 0; i < 5; i++) await expectProblem(await step(wrong), 401, 'invalid_mfa_code')
    await expectProblem(await step(right), 401, 'invalid_mfa_token')
  })

  it('counts wrong codes in the per-account backoff, which a right password does not reset', async () => {
    const { username, secret } = await withTotp()
    const right = codeFor(secret, 1)
    const wrong = right === '000000' ? '111111' : '000000'
    for (let i = 0; i < 4; i++) {
      await expectProblem(
        await secondStep(await mfaTokenFor(username), wrong),
        401,
        'invalid_mfa_code',
      )
    }
    // The fifth failure starts the lock (LOGIN_MAX_FAILURES = 5): the next step is throttled.
    await expectProblem(
      await secondStep(await mfaTokenFor(username), wrong),
      401,
      'invalid_mfa_code',
    )
    const locked = await sendJson('POST', '/login', { username, password: PASSWORD })
    await expectProblem(locked, 429, 'rate_limited')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('checks at most five codes in a burst, however many mfaTokens carry them (D1 counts)', async () => {
    const { username, secret } = await withTotp()
    const tokens: string[] = []
    for (let i = 0; i < 12; i++) tokens.push(await mfaTokenFor(username))
    const wrong = ['000000', '111111'].find(
      (c) => c !== codeFor(secret, 1) && c !== codeFor(secret),
    )!
    const answers = await Promise.all(tokens.map((token) => secondStep(token, wrong)))
    const codes = await Promise.all(
      answers.map(async (r) => ((await r.json()) as { code: string }).code),
    )
    expect(codes.filter((c) => c === 'invalid_mfa_code')).toHaveLength(5)
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(7)
    expect(answers.find((r) => r.status === 429)?.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('starts the count again after a right code', async () => {
    const { username, secret } = await withTotp()
    const wrong = ['000000', '111111'].find(
      (c) => c !== codeFor(secret, 1) && c !== codeFor(secret),
    )!
    // A higher account backoff threshold, so only the D1 count of code checks is in play.
    const step = (mfaToken: string, code: string) =>
      callWithEnv({ LOGIN_MAX_FAILURES: '50' }, '/login/mfa', jsonInit('POST', { mfaToken, code }))
    for (let i = 0; i < 4; i++) {
      await expectProblem(await step(await mfaTokenFor(username), wrong), 401, 'invalid_mfa_code')
    }
    expect((await step(await mfaTokenFor(username), codeFor(secret, 1))).status).toBe(200)
    for (let i = 0; i < 4; i++) {
      await expectProblem(await step(await mfaTokenFor(username), wrong), 401, 'invalid_mfa_code')
    }
  })

  it('is single use: a finished mfaToken cannot start a second session', async () => {
    const { username, secret } = await withTotp()
    const mfaToken = await mfaTokenFor(username)
    expect((await secondStep(mfaToken, codeFor(secret, 1))).status).toBe(200)
    await expectProblem(await secondStep(mfaToken, codeFor(secret, 1)), 401, 'invalid_mfa_token')
  })

  it('lets exactly one of two racing right answers through', async () => {
    const { username, secret, recoveryCodes } = await withTotp()
    const mfaToken = await mfaTokenFor(username)
    const answers = await Promise.all([
      secondStep(mfaToken, codeFor(secret, 1)),
      secondStep(mfaToken, recoveryCodes[0]!),
    ])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401])
  })

  it('refuses an expired, forged, altered or another kind of token', async () => {
    const clock = freezeTime()
    const { username, secret } = await withTotp()
    const expired = await mfaTokenFor(username)
    clock.advance(5 * 60 * 1000)
    await expectProblem(await secondStep(expired, codeFor(secret, 1)), 401, 'invalid_mfa_token')
    const fresh = await mfaTokenFor(username)
    const altered = fresh.slice(0, -2) + (fresh.endsWith('AA') ? 'BA' : 'AA')
    for (const bad of [altered, 'x'.repeat(40), fresh.slice(0, 30)]) {
      await expectProblem(await secondStep(bad, codeFor(secret, 1)), 401, 'invalid_mfa_token')
    }
    clock.restore()
  })

  it('kills a half-finished sign-in when the password changes', async () => {
    const { username, secret, tokens } = await withTotp()
    const mfaToken = await mfaTokenFor(username)
    const change = await asUser(tokens.accessToken, 'POST', '/users/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another good password',
    })
    expect(change.status).toBe(204)
    await expectProblem(await secondStep(mfaToken, codeFor(secret, 1)), 401, 'invalid_mfa_token')
  })

  it('takes each recovery code once, in any case and spacing', async () => {
    const { username, recoveryCodes } = await withTotp()
    const [code] = recoveryCodes
    const typed = ` ${code!.toUpperCase().replace('-', ' ')} `
    const res = await secondStep(await mfaTokenFor(username), typed)
    expect(res.status).toBe(200)
    expect(decodeJwt(((await res.json()) as { accessToken: string }).accessToken).amr).toEqual([
      'pwd',
      'otp',
    ])
    await expectProblem(
      await secondStep(await mfaTokenFor(username), code!),
      401,
      'invalid_mfa_code',
    )
    expect((await secondStep(await mfaTokenFor(username), recoveryCodes[1]!)).status).toBe(200)
  })

  it("refuses another user's recovery code", async () => {
    const alice = await withTotp()
    const bob = await withTotp()
    await expectProblem(
      await secondStep(await mfaTokenFor(alice.username), bob.recoveryCodes[0]!),
      401,
      'invalid_mfa_code',
    )
  })

  it('marks a password-only sign-in as pwd', async () => {
    const { tokens } = await signedIn('totp')
    expect(decodeJwt(tokens.accessToken).amr).toEqual(['pwd'])
  })
})

describe('turning TOTP off', () => {
  it('takes a current code or the password, and then the password alone signs in', async () => {
    const a = await withTotp()
    await expectProblem(
      await asUser(a.tokens.accessToken, 'DELETE', '/users/me/totp', {}),
      401,
      'invalid_credentials',
    )
    await expectProblem(
      await asUser(a.tokens.accessToken, 'DELETE', '/users/me/totp', {
        password: 'wrong password!',
      }),
      401,
      'invalid_credentials',
    )
    const wrong = codeFor(a.secret, 1) === '000000' ? '111111' : '000000'
    await expectProblem(
      await asUser(a.tokens.accessToken, 'DELETE', '/users/me/totp', { code: wrong }),
      401,
      'invalid_mfa_code',
    )
    const off = await asUser(a.tokens.accessToken, 'DELETE', '/users/me/totp', {
      code: codeFor(a.secret, 1),
    })
    expect(off.status).toBe(204)
    expect(
      (await sendJson('POST', '/login', { username: a.username, password: PASSWORD })).status,
    ).toBe(200)
    await expectProblem(
      await asUser(a.tokens.accessToken, 'DELETE', '/users/me/totp', { password: PASSWORD }),
      409,
      'totp_not_enrolled',
    )

    const b = await withTotp()
    const byPassword = await asUser(b.tokens.accessToken, 'DELETE', '/users/me/totp', {
      password: PASSWORD,
    })
    expect(byPassword.status).toBe(204)
    // Its recovery codes went with it.
    expect(
      (await sendJson('POST', '/login', { username: b.username, password: PASSWORD })).status,
    ).toBe(200)
  })
})

describe('edges', () => {
  it('counts wrong codes while confirming an enrolment, too', async () => {
    const { tokens } = await signedIn('totp')
    const token = tokens.accessToken
    const { secret } = (await (
      await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as { secret: string }
    const wrong = ['000000', '111111'].find(
      (c) => c !== codeFor(secret, 1) && c !== codeFor(secret),
    )!
    for (let i = 0; i < 5; i++) {
      await expectProblem(
        await asUser(token, 'POST', '/users/me/totp/verify', { code: wrong }),
        401,
        'invalid_mfa_code',
      )
    }
    await expectProblem(
      await asUser(token, 'POST', '/users/me/totp/verify', { code: codeFor(secret) }),
      429,
      'rate_limited',
    )
  })

  it('cancels a pending enrolment with the password only: it has no codes yet', async () => {
    const { tokens } = await signedIn('totp')
    const token = tokens.accessToken
    await asUser(token, 'POST', '/users/me/totp', { password: PASSWORD })
    await expectProblem(
      await asUser(token, 'DELETE', '/users/me/totp', { code: '123456' }),
      409,
      'totp_not_enrolled',
    )
    expect((await asUser(token, 'DELETE', '/users/me/totp', { password: PASSWORD })).status).toBe(
      204,
    )
  })

  it('names MFA_ENCRYPTION_KEY when it no longer opens the stored secrets (500, not a bug)', async () => {
    const lines = captureLogs()
    const { username, recoveryCodes } = await withTotp()
    const otherKey = { MFA_ENCRYPTION_KEY: 'e'.repeat(64) }
    const first = await callWithEnv(
      otherKey,
      '/login',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    const { mfaToken } = await expectProblem(first, 401, 'mfa_required')
    const second = await callWithEnv(
      otherKey,
      '/login/mfa',
      jsonInit('POST', { mfaToken, code: recoveryCodes[0] }),
    )
    await expectProblem(second, 500, 'server_misconfigured')
    expect(lines.join('\n')).toContain('"variable":"MFA_ENCRYPTION_KEY"')
  })

  it('upgrades an old password hash of a two-factor user and still finishes the sign-in', async () => {
    const { username, user, secret } = await withTotp()
    await storeLegacyHash(user.id)
    const mfaToken = await mfaTokenFor(username)
    const stored = await env.DB.prepare('SELECT password_hash AS h FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ h: string }>()
    expect(stored!.h).toMatch(/^pbkdf2-sha256\$100000\$/)
    expect((await secondStep(mfaToken, codeFor(secret, 1))).status).toBe(200)
  })
})

describe('guessing from a signed-in session', () => {
  it('counts codes sent to turn two-factor off, and locks after five', async () => {
    const { tokens, secret } = await withTotp()
    const wrong = ['000000', '111111'].find(
      (c) => c !== codeFor(secret, 1) && c !== codeFor(secret),
    )!
    for (let i = 0; i < 5; i++) {
      await expectProblem(
        await asUser(tokens.accessToken, 'DELETE', '/users/me/totp', { code: wrong }),
        401,
        'invalid_mfa_code',
      )
    }
    const locked = await asUser(tokens.accessToken, 'DELETE', '/users/me/totp', {
      code: codeFor(secret, 1),
    })
    await expectProblem(locked, 429, 'rate_limited')
  })

  it('counts password guesses in the per-account backoff, as /login does', async () => {
    const { tokens, username } = await signedIn('totp')
    for (let i = 0; i < 5; i++) {
      await expectProblem(
        await asUser(tokens.accessToken, 'POST', '/users/me/totp', { password: 'wrong password!' }),
        401,
        'invalid_credentials',
      )
    }
    await expectProblem(
      await sendJson('POST', '/login', { username, password: PASSWORD }),
      429,
      'rate_limited',
    )
  })
})

describe('secrets', () => {
  it('never appear in a log line: not the TOTP secret, a code, an mfaToken or a recovery code', async () => {
    const lines = captureLogs()
    const { username, secret, recoveryCodes, otpauthUri } = await withTotp()
    const mfaToken = await mfaTokenFor(username)
    const code = codeFor(secret, 1)
    await secondStep(mfaToken, '000001')
    await secondStep(mfaToken, recoveryCodes[0]!)
    const log = lines.join('\n')
    expect(lines.length).toBeGreaterThan(5)
    for (const value of [secret, mfaToken, code, otpauthUri, ...recoveryCodes, PASSWORD]) {
      expect(log).not.toContain(value)
    }
    expect(log).toContain('mfa_required')
    expect(log).toContain('recovery_code_used')
  })
})
