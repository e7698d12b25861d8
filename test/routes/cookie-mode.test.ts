// Cookie mode: the refresh token lives in an HttpOnly __Host- cookie, spent only by requests from
// an allowed origin. Every refusal must change nothing: no cookie set, no token spent or issued.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  loginUser,
  refresh,
  registerUser,
  signedIn,
  REFRESH_COOKIE,
  refreshCookieOf,
  cookieSession,
  kvKeys,
} from '../helpers'

const COOKIE = REFRESH_COOKIE
const APP = 'https://app.example.com'
const EVIL = 'https://evil.example'

const fromBrowser = (cookie: string, origin: string | null = ORIGIN, extra = {}) => ({
  Cookie: `${COOKIE}=${cookie}`,
  ...(origin === null ? {} : { Origin: origin }),
  ...extra,
})

async function cookieLogin(username: string, origin = ORIGIN) {
  return call('/login', {
    ...jsonInit('POST', { username, password: PASSWORD, mode: 'cookie' }),
    headers: { 'Content-Type': 'application/json', Origin: origin },
  })
}

const refreshWithCookie = (cookie: string, origin: string | null = ORIGIN, extra = {}) =>
  call('/token', { method: 'POST', headers: fromBrowser(cookie, origin, extra) })

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('cookie mode', () => {
  it('signs in with the refresh token in an HttpOnly __Host- cookie and not in the body', async () => {
    const { username } = await registerUser()
    const res = await cookieLogin(username)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(Object.keys(JSON.parse(text)).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType'])
    const cookie = refreshCookieOf(res)!
    expect(cookie.value.length).toBeGreaterThan(30)
    expect(text).not.toContain(cookie.value)
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(['Max-Age=1209600', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']),
    )
    expect(cookie.attributes.some((a) => /^domain=/i.test(a))).toBe(false)
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('refreshes from the cookie alone, rotating it', async () => {
    const { cookie, user } = await cookieSession()
    const res = await refreshWithCookie(cookie)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body.refreshToken).toBeUndefined()
    const next = refreshCookieOf(res)!
    expect(next.value).not.toBe(cookie)
    const me = await call('/users/me', bearer(body.accessToken as string))
    expect(((await me.json()) as { id: string }).id).toBe(user.id)
    // `{}` works as no body does.
    const again = await call('/token', {
      ...jsonInit('POST', {}),
      headers: { 'Content-Type': 'application/json', ...fromBrowser(next.value) },
    })
    expect(again.status).toBe(200)
  })

  it('ends the session and clears the cookie when a spent cookie comes back after the window', async () => {
    const { cookie } = await cookieSession()
    const clock = freezeTime()
    const next = refreshCookieOf(await refreshWithCookie(cookie))!.value
    const head = refreshCookieOf(await refreshWithCookie(next))!.value
    clock.advance(11_000)
    const stale = await refreshWithCookie(cookie)
    expect(refreshCookieOf(stale)!.attributes).toContain('Max-Age=0')
    await expectProblem(stale, 401, 'refresh_token_reused')
    await expectProblem(await refreshWithCookie(head), 401, 'refresh_token_reused')
  })

  it.each([
    ['no Origin', null, {}],
    ['an origin that is not allowed', EVIL, {}],
    ['a look-alike of its own origin', `${ORIGIN}.evil.example`, {}],
    ['its own origin with Sec-Fetch-Site: none', ORIGIN, { 'Sec-Fetch-Site': 'none' }],
    ['its own origin marked cross-site', ORIGIN, { 'Sec-Fetch-Site': 'cross-site' }],
  ])('refuses a refresh from %s, spending nothing', async (_, origin, extra) => {
    const { cookie } = await cookieSession()
    const before = await kvKeys()
    const lines = captureLogs()
    const res = await refreshWithCookie(cookie, origin, extra)
    expect(refreshCookieOf(res)).toBeNull()
    expect(await res.clone().text()).not.toMatch(/accessToken|eyJ/)
    await expectProblem(res, 403, 'csrf_rejected')
    expect(lines.some((line) => line.includes('"event":"csrf_rejected"'))).toBe(true)
    expect(lines.join('\n')).not.toContain(cookie)
    // Nothing written: no successor record, no session touched.
    expect(await kvKeys()).toEqual(before)
    expect((await refreshWithCookie(cookie)).status).toBe(200)
  })

  it('logs out with the cookie alone, and clears it', async () => {
    const { cookie } = await cookieSession()
    const res = await call('/logout', { method: 'DELETE', headers: fromBrowser(cookie) })
    expect(res.status).toBe(204)
    expect(refreshCookieOf(res)!.attributes).toContain('Max-Age=0')
    await expectProblem(await refreshWithCookie(cookie), 401, 'invalid_refresh_token')
  })

  it('keeps its cookie when it ends only the other sessions', async () => {
    const { cookie, username } = await cookieSession()
    const phone = await loginUser(username)
    const res = await call('/logout?scope=others', { method: 'POST', headers: fromBrowser(cookie) })
    expect(res.status).toBe(204)
    expect(refreshCookieOf(res)).toBeNull()
    await expectProblem(await refresh(phone.refreshToken), 401, 'invalid_refresh_token')
    expect((await refreshWithCookie(cookie)).status).toBe(200)
  })

  it('refuses a logout from an origin that is not allowed, ending nothing', async () => {
    const { cookie } = await cookieSession()
    for (const origin of [EVIL, null]) {
      const res = await call('/logout?scope=global', {
        method: 'POST',
        headers: fromBrowser(cookie, origin),
      })
      await expectProblem(res, 403, 'csrf_rejected')
      expect(refreshCookieOf(res)).toBeNull()
    }
    expect((await refreshWithCookie(cookie)).status).toBe(200)
  })

  it('refuses a cookie sign-in from an origin that is not allowed: no cookie, no session', async () => {
    const { username, tokens } = await signedIn()
    const res = await cookieLogin(username, EVIL)
    await expectProblem(res, 403, 'csrf_rejected')
    expect(refreshCookieOf(res)).toBeNull()
    const sessions = await call('/sessions', bearer(tokens.accessToken))
    expect(((await sessions.json()) as unknown[]).length).toBe(1)
  })

  it('serves a same-site origin in ALLOWED_ORIGINS with credentials', async () => {
    const { username } = await registerUser()
    const sibling = 'https://app.auth.example' // the same site as the service, auth.example
    const allowed = { ALLOWED_ORIGINS: sibling }
    const fromSibling = { Origin: sibling, 'Sec-Fetch-Site': 'same-site' }
    const login = await callWithEnv(allowed, '/login', {
      ...jsonInit('POST', { username, password: PASSWORD, mode: 'cookie' }),
      headers: { 'Content-Type': 'application/json', ...fromSibling },
    })
    expect(login.status).toBe(200)
    expect(login.headers.get('access-control-allow-origin')).toBe(sibling)
    expect(login.headers.get('access-control-allow-credentials')).toBe('true')
    const cookie = refreshCookieOf(login)!.value
    const res = await callWithEnv(allowed, '/token', {
      method: 'POST',
      headers: fromBrowser(cookie, sibling, { 'Sec-Fetch-Site': 'same-site' }),
    })
    expect(res.status).toBe(200)
  })

  it('refuses cookie mode to an allowed origin on another site, starting nothing', async () => {
    // A SameSite=Lax cookie set in answer to a cross-site request is dropped by the browser, so a
    // session started here could never be refreshed nor ended.
    const { username, tokens } = await signedIn()
    const res = await callWithEnv({ ALLOWED_ORIGINS: APP }, '/login', {
      ...jsonInit('POST', { username, password: PASSWORD, mode: 'cookie' }),
      headers: { 'Content-Type': 'application/json', Origin: APP, 'Sec-Fetch-Site': 'cross-site' },
    })
    expect(refreshCookieOf(res)).toBeNull()
    await expectProblem(res, 403, 'csrf_rejected')
    const sessions = await call('/sessions', bearer(tokens.accessToken))
    expect(((await sessions.json()) as unknown[]).length).toBe(1)
  })

  it('keeps body tokens exactly as before, whatever cookie comes along', async () => {
    const other = await cookieSession()
    const { tokens } = await signedIn()
    // No Origin: a server client. The body's token is used and the cookie neither read nor set.
    const res = await call('/token', {
      ...jsonInit('POST', { token: tokens.refreshToken }),
      headers: { 'Content-Type': 'application/json', Cookie: `${COOKIE}=${other.cookie}` },
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { refreshToken?: string }).refreshToken).toBeTruthy()
    expect(refreshCookieOf(res)).toBeNull()
    expect((await refreshWithCookie(other.cookie)).status).toBe(200)
  })

  it('says in the log, once, why a browser origin gets no CORS headers', async () => {
    const lines = captureLogs()
    const origin = `https://unlisted-${crypto.randomUUID().slice(0, 8)}.example`
    for (let i = 0; i < 3; i++) {
      await callWithEnv({ ALLOWED_ORIGINS: APP }, '/health', { headers: { Origin: origin } })
    }
    const warnings = lines.filter((line) => line.includes('"event":"origin_not_allowed"'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('ALLOWED_ORIGINS')
  })
})
