// POST /session/resume: cookie mode's "am I signed in?". Always 200 for a session or none (never
// a 401 a browser would print in red); with a live cookie it is a cookie-mode /token, rotation,
// reuse rules, CSRF check and budget included; a refusal changes nothing and issues nothing.
import { decodeJwt } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ORIGIN,
  bearer,
  call,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  REFRESH_COOKIE,
  refreshCookieOf,
  cookieSession,
  kvKeys,
} from '../helpers'

const EVIL = 'https://evil.example'

const headers = (cookie: string | null, origin: string | null = ORIGIN, extra = {}) => ({
  ...(cookie === null ? {} : { Cookie: `${REFRESH_COOKIE}=${cookie}` }),
  ...(origin === null ? {} : { Origin: origin }),
  ...extra,
})

const resume = (cookie: string | null, origin: string | null = ORIGIN, extra = {}) =>
  call('/session/resume', { method: 'POST', headers: headers(cookie, origin, extra) })

const refreshWithCookie = (cookie: string) =>
  call('/token', { method: 'POST', headers: headers(cookie) })

/** Asserts `{signedIn: false}`, 200, not cached, and returns the response's cookie change. */
async function expectSignedOut(res: Response) {
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  const text = await res.clone().text()
  expect(JSON.parse(text)).toEqual({ signedIn: false })
  return refreshCookieOf(res)
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('POST /session/resume', () => {
  it('answers 200 signedIn false with no cookie, setting none and writing nothing', async () => {
    const before = await kvKeys()
    const res = await resume(null)
    expect(await expectSignedOut(res)).toBeNull()
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect(await kvKeys()).toEqual(before)
  })

  it('resumes a live cookie: a new access token, the cookie rotated exactly as /token does', async () => {
    const { cookie, user, username } = await cookieSession()
    const res = await resume(cookie)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'signedIn', 'tokenType'])
    expect(body).toMatchObject({ signedIn: true, tokenType: 'Bearer', expiresIn: 20 })
    // The claims the SDK shows as its user.
    expect(decodeJwt(body.accessToken as string)).toMatchObject({
      sub: user.id,
      username,
      amr: ['pwd'],
    })
    const next = refreshCookieOf(res)!
    expect(next.value).not.toBe(cookie)
    expect(next.attributes).toEqual(
      expect.arrayContaining(['Max-Age=1209600', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']),
    )
    expect(JSON.stringify(body)).not.toContain(next.value)
    const me = await call('/users/me', bearer(body.accessToken as string))
    expect(((await me.json()) as { id: string }).id).toBe(user.id)
    // The rotated cookie refreshes on /token as any other.
    expect((await refreshWithCookie(next.value)).status).toBe(200)
  })

  it('leaves the old cookie to the reuse rules: same successor in the window, session ended after', async () => {
    const { cookie } = await cookieSession()
    const clock = freezeTime()
    const next = refreshCookieOf(await resume(cookie))!.value
    // A second tab's resume with the old cookie, inside the window: the same successor.
    const repeat = await resume(cookie)
    expect(((await repeat.json()) as { signedIn: boolean }).signedIn).toBe(true)
    expect(refreshCookieOf(repeat)!.value).toBe(next)
    const head = refreshCookieOf(await resume(next))!.value
    clock.advance(11_000)
    // Out of the window, the old cookie is reuse: signed out, never 401, and its cookie cleared.
    const stale = await resume(cookie)
    expect(stale.headers.get('www-authenticate')).toBeNull()
    expect((await expectSignedOut(stale))!.attributes).toContain('Max-Age=0')
    // And the session is over for the head too, on either route.
    const after = await resume(head)
    expect((await expectSignedOut(after))!.attributes).toContain('Max-Age=0')
    await expectProblem(await refreshWithCookie(head), 401, 'refresh_token_reused')
  })

  it('answers signedIn false for an unknown or signed-out cookie, keeping it (as /token does)', async () => {
    const { cookie } = await cookieSession()
    const out = await call('/logout', { method: 'POST', headers: headers(cookie) })
    expect(out.status).toBe(204)
    for (const dead of [cookie, 'x'.repeat(43)]) {
      // A token unknown here may be one a lagging KV location has not seen yet: not cleared.
      expect(await expectSignedOut(await resume(dead))).toBeNull()
    }
  })

  it.each([
    ['an origin that is not allowed', EVIL, {}],
    ['no Origin', null, {}],
    ['a look-alike of its own origin', `${ORIGIN}.evil.example`, {}],
    ['its own origin marked cross-site', ORIGIN, { 'Sec-Fetch-Site': 'cross-site' }],
  ])(
    'refuses %s with 403 csrf_rejected, issuing and spending nothing',
    async (_, origin, extra) => {
      const { cookie } = await cookieSession()
      const before = await kvKeys()
      const lines = captureLogs()
      for (const presented of [cookie, null]) {
        const res = await resume(presented, origin, extra)
        expect(refreshCookieOf(res)).toBeNull()
        expect(await res.clone().text()).not.toMatch(/accessToken|eyJ|signedIn/)
        await expectProblem(res, 403, 'csrf_rejected')
      }
      expect(lines.some((line) => line.includes('"event":"csrf_rejected"'))).toBe(true)
      expect(await kvKeys()).toEqual(before)
      // The cookie was not spent: it still resumes from the right origin.
      expect(((await (await resume(cookie)).json()) as { signedIn: boolean }).signedIn).toBe(true)
    },
  )

  it('spends the same TOKEN_LIMITER budget as /token, and refuses when it is spent', async () => {
    const { cookie } = await cookieSession()
    const keys: string[] = []
    const counting = {
      limit: async ({ key }: { key: string }) => (keys.push(key), { success: true }),
    }
    const ip = { 'CF-Connecting-IP': '203.0.113.9' }
    for (const path of ['/token', '/session/resume']) {
      await callWithEnv({ TOKEN_LIMITER: counting }, path, {
        method: 'POST',
        headers: headers(null, ORIGIN, ip),
      })
    }
    expect(keys).toEqual(['203.0.113.9', '203.0.113.9'])

    const spent = { limit: async () => ({ success: false }) }
    const before = await kvKeys()
    const res = await callWithEnv({ TOKEN_LIMITER: spent }, '/session/resume', {
      method: 'POST',
      headers: headers(cookie),
    })
    await expectProblem(res, 429, 'rate_limited')
    expect(refreshCookieOf(res)).toBeNull()
    expect(await kvKeys()).toEqual(before)
  })

  it('ignores a refresh token in a body: the cookie is the only credential here', async () => {
    const { cookie } = await cookieSession()
    const res = await call('/session/resume', {
      ...jsonInit('POST', { token: cookie }),
      headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
    })
    expect(await expectSignedOut(res)).toBeNull()
    expect(((await (await resume(cookie)).json()) as { signedIn: boolean }).signedIn).toBe(true)
  })

  it('is in the OpenAPI document, with both answers and no 401', async () => {
    const doc = (await (await call('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
    }
    const op = doc.paths['/session/resume']!.post!
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '403', '429']))
    expect(op.responses['401']).toBeUndefined()
  })
})
