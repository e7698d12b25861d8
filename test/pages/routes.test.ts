// The hosted pages through the real worker: forms in, HTML and redirects out, the visitor known
// by the refresh cookie, every form post held to this origin.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  expectProblem,
  freezeTime,
  loginUser,
  refresh,
  registerUser,
  uniqueUsername,
  refreshCookieOf,
} from '../helpers'

import { account, cookieOf, formInit, pageSignIn, post, withCookie } from './forms'

const APP = 'https://app.example.com'

afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

describe('GET /signin and /signup', () => {
  it('serve accessible forms, with no inline script, under a strict policy', async () => {
    for (const path of ['/signin', '/signup']) {
      const res = await call(path)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      const csp = res.headers.get('content-security-policy')!
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("frame-ancestors 'none'")
      // Script from this origin's own files only (the passkey ceremonies); never inline.
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      // Under no-referrer a browser sends `Origin: null` on the page's own form posts (found in
      // Chromium): same-origin keeps the Origin the check needs, and nothing goes elsewhere.
      expect(res.headers.get('referrer-policy')).toBe('same-origin')
      const html = await res.text()
      const scripts = html.match(/<script[^>]*>/gi) ?? []
      expect(scripts).toEqual(['<script type="module" src="/pages/passkeys.js">'])
      expect(html).toContain('<html lang="en">')
      for (const id of ['username', 'password']) {
        expect(html).toContain(`<label for="${id}">`)
        expect(html).toContain(`id="${id}"`)
      }
    }
  })

  it('leave the API alone: its responses keep their own headers', async () => {
    const res = await call('/health')
    expect(res.headers.get('content-security-policy')).toBeNull()
  })
})

describe('POST /signin', () => {
  it('signs in with a cookie and goes to /account', async () => {
    const { username } = await registerUser()
    const res = await post('/signin', { username, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/account')
    const cookie = cookieOf(res)!
    expect(res.headers.getSetCookie()[0]).toMatch(/HttpOnly; Secure; SameSite=Lax/)
    const page = await account(cookie)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(username)
  })

  it('returns only to this service or an allowed origin', async () => {
    const { username } = await registerUser()
    const allowed = { ALLOWED_ORIGINS: APP }
    const signIn = (returnTo: string) =>
      callWithEnv(allowed, '/signin', {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
        body: new URLSearchParams({ username, password: PASSWORD, return_to: returnTo }).toString(),
      })
    expect((await signIn(`${APP}/home`)).headers.get('location')).toBe(`${APP}/home`)
    for (const evil of ['//evil.example', 'https://evil.example', '/\\evil.example']) {
      expect((await signIn(evil)).headers.get('location')).toBe('/account')
    }
    // And the page's policy lets its form go to the allowed origin.
    const page = await callWithEnv(allowed, '/signin')
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${APP}`)
  })

  it('says what went wrong, beside the fields, with no cookie', async () => {
    const { username } = await registerUser()
    const wrong = await post('/signin', { username, password: 'not the password' })
    expect(wrong.status).toBe(401)
    expect(cookieOf(wrong)).toBeUndefined()
    const html = await wrong.text()
    expect(html).toMatch(/role="alert"[^>]*>\s*The username or password is incorrect/)
    expect(html).toContain(`value="${username}"`)
    expect(html).not.toContain('not the password')

    const short = await post('/signin', { username: 'ab', password: 'x' })
    expect(short.status).toBe(400)
    const form = await short.text()
    expect(form).toContain('aria-describedby="username-error"')
    expect(form).toContain('aria-invalid="true"')
    expect(form).toMatch(/id="username-error">This must be 3 to 32 characters/)
  })

  it('refuses a post from another origin (login CSRF), setting nothing', async () => {
    const { username } = await registerUser()
    for (const headers of [{ Origin: 'https://evil.example' }, { Origin: '' }]) {
      const res = await post('/signin', { username, password: PASSWORD }, headers)
      expect(cookieOf(res)).toBeUndefined()
      await expectProblem(res, 403, 'csrf_rejected')
    }
  })

  it('ends the session whose cookie it replaces', async () => {
    const first = await registerUser()
    const old = await pageSignIn(first.username)
    const second = await registerUser()
    await pageSignIn(second.username, withCookie(old))
    expect((await account(old)).status).toBe(303)
  })
})

describe('POST /signup', () => {
  it('creates the account and signs in', async () => {
    const username = uniqueUsername()
    const res = await post('/signup', { username, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(await (await account(cookieOf(res)!)).text()).toContain(username)
  })

  it('says when the name is taken', async () => {
    const { username } = await registerUser()
    const res = await post('/signup', { username, password: PASSWORD })
    expect(res.status).toBe(409)
    expect(cookieOf(res)).toBeUndefined()
    expect(await res.text()).toContain('That username is taken')
  })
})

describe('/account', () => {
  it('sends a visitor without a live session to sign in', async () => {
    for (const headers of [{}, withCookie('not-a-token')]) {
      const res = await call('/account', { headers, redirect: 'manual' })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/signin?return_to=/account')
    }
  })

  it('ends the session of a cookie the chain has moved past, and sends it to sign in', async () => {
    const { username } = await registerUser()
    const clock = freezeTime()
    const old = await pageSignIn(username)
    // An app in cookie mode refreshes twice: the chain moves past the first cookie.
    const refreshWith = async (cookie: string) =>
      refreshCookieOf(
        await call('/token', { method: 'POST', headers: withCookie(cookie, { Origin: ORIGIN }) }),
      )!.value
    const head = await refreshWith(await refreshWith(old))
    clock.advance(11_000)
    // A copy of the old cookie, past the reuse window: the page is refused and the session ends.
    expect((await account(old)).status).toBe(303)
    expect((await account(head)).status).toBe(303)
  })

  it('lists sessions, escaping what clients wrote', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username, { 'User-Agent': '"><script>alert(1)</script>' })
    const html = await (await account(cookie)).text()
    // The User-Agent is read, never printed: it names no product, so no device.
    expect(html).toContain('Unknown device · <strong>this device</strong>')
    expect(html).not.toContain('<script>alert(1)')
    expect(html).not.toContain('"><script')
  })

  it('names each session "Chrome on macOS · Lisbon, Portugal · this device"', async () => {
    const { username } = await registerUser()
    const signIn = (userAgent: string, cf: Record<string, unknown>) =>
      call('/signin', {
        ...formInit({ username, password: PASSWORD }, { 'User-Agent': userAgent }),
        cf,
      } as RequestInit)
    const mac =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
    const phone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1'
    await signIn(phone, { country: 'JP', city: 'Osaka' })
    const cookie = cookieOf(await signIn(mac, { country: 'PT', city: 'Lisbon' }))!
    const html = await (await account(cookie)).text()
    const devices = [...html.matchAll(/<span class="device"[^>]*>([\s\S]*?)<\/span\s*>/g)].map(
      (m) =>
        m[1]!
          .replace(/<[^>]+>/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
    )
    expect(devices).toEqual([
      'Chrome on macOS · Lisbon, Portugal · this device',
      'Safari on iPhone · Osaka, Japan',
    ])
    // Each still has its end button; the raw User-Agent is not shown.
    expect(html.match(/action="\/account\/sessions\/[^"]+\/end"/g)).toHaveLength(2)
    expect(html).not.toContain('AppleWebKit')
  })

  it('renders a hostile User-Agent and city inert and capped', async () => {
    const { username } = await registerUser()
    // Headers carry no control characters (fetch refuses them); bidi controls come in the city.
    const ua = `<img src=x onerror=alert(1)>${'A'.repeat(10_000)}`
    const res = await call('/signin', {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: ORIGIN,
        'Sec-Fetch-Site': 'same-origin',
        'User-Agent': ua,
      },
      body: new URLSearchParams({ username, password: PASSWORD }).toString(),
      cf: { country: '<b>', city: '\u202E<script>alert(1)</script>\u2066' },
    } as RequestInit)
    const html = await (await account(cookieOf(res)!)).text()
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<b>')
    expect(html).not.toMatch(/[\u202E\u2066]/)
    expect(html).not.toContain('A'.repeat(41))
    // The city is Cloudflare's, shown as text; the UA has no product name to show.
    expect(html).toContain('Unknown device · &lt;script&gt;alert(1)&lt;/script&gt; · ')
  })

  it('ends another session, and signs out this one', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const phone = await loginUser(username)
    const sessions = (await (await call('/sessions', bearer(phone.accessToken))).json()) as {
      id: string
      current: boolean
    }[]
    const phoneSession = sessions.find((s) => s.current)!.id
    const evil = withCookie(cookie, { Origin: 'https://evil.example' })
    const forged = await post(`/account/sessions/${phoneSession}/end`, {}, evil)
    await expectProblem(forged, 403, 'csrf_rejected')
    expect((await refresh(phone.refreshToken)).status).toBe(200)
    const ended = await post(`/account/sessions/${phoneSession}/end`, {}, withCookie(cookie))
    expect(ended.headers.get('location')).toBe('/account')
    // A second click (a stale page) finds it gone, and shows what is left.
    const again = await post(`/account/sessions/${phoneSession}/end`, {}, withCookie(cookie))
    expect(again.headers.get('location')).toBe('/account')
    await expectProblem(await refresh(phone.refreshToken), 401, 'invalid_refresh_token')

    const out = await post('/account/signout', {}, withCookie(cookie))
    expect(out.headers.get('location')).toBe('/signin?done=signedout')
    expect(out.headers.getSetCookie()[0]).toMatch(/Max-Age=0/)
    expect((await account(cookie)).status).toBe(303)
    expect(await (await call('/signin?done=signedout')).text()).toContain('You are signed out.')
  })

  it('changes the password, ending the other sessions', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const other = await loginUser(username)
    const wrong = await post(
      '/account/password',
      { currentPassword: 'not the password', newPassword: 'a new long password' },
      withCookie(cookie),
    )
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('role="alert"')
    const res = await post(
      '/account/password',
      { currentPassword: PASSWORD, newPassword: 'a new long password' },
      withCookie(cookie),
    )
    expect(res.headers.get('location')).toBe('/account?done=password')
    expect((await account(cookie)).status).toBe(200)
    await expectProblem(await refresh(other.refreshToken), 401, 'invalid_refresh_token')
  })

  it('deletes the account', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const res = await post('/account/delete', { password: PASSWORD }, withCookie(cookie))
    expect(res.headers.get('location')).toBe('/signin?done=deleted')
    expect((await account(cookie)).status).toBe(303)
    const again = await post('/signin', { username, password: PASSWORD })
    expect(again.status).toBe(401)
  })

  it('refuses every account form from another origin, changing nothing', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const evil = withCookie(cookie, {
      Origin: 'https://evil.example',
      'Sec-Fetch-Site': 'cross-site',
    })
    for (const [path, fields] of [
      ['/account/signout', { scope: 'global' }],
      ['/account/password', { currentPassword: PASSWORD, newPassword: 'attacker chosen pw' }],
      ['/account/delete', { password: PASSWORD }],
    ] as const) {
      await expectProblem(await post(path, fields, evil), 403, 'csrf_rejected')
    }
    expect((await account(cookie)).status).toBe(200)
    expect((await post('/signin', { username, password: PASSWORD })).status).toBe(303)
  })
})
