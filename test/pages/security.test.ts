// The hosted pages' sign-in security through the real worker: the two-factor step of /signin,
// turning TOTP on and off from /account, and renaming and removing passkeys. (Adding a passkey
// and signing in with one run in the page's script: client/test/browser.test.ts, in Chromium.)
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { describe, expect, it } from 'vitest'
import { totpStep } from '../../src/auth/totp'
import { softAuthenticator } from '../doubles/authenticator'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  callWithEnv,
  loginUser,
  registerUser,
  sendJson,
  uniqueUsername,
} from '../helpers'
import { account, cookieOf, pageSignIn, post, withCookie } from './forms'

const codeFor = (secret: string, steps = 0) =>
  generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)

const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}"\\s+value="([^"]*)"`).exec(html)?.[1]

/** Turns TOTP on through the account page's forms; returns the secret and recovery codes. */
async function turnOnThroughPage(cookie: string) {
  const setup = await post('/account/totp', { totpPassword: PASSWORD }, withCookie(cookie))
  expect(setup.status).toBe(200)
  const page = await setup.text()
  // The QR code is drawn by the page's own script (public/pages/totp-qr.js, this origin's) from
  // the otpauth URI; hidden until then, so a page without script offers only the typed key.
  expect(page).toContain('role="img" aria-label="QR code of your two-factor secret"')
  expect(page).toContain('<script type="module" src="/pages/totp-qr.js"></script>')
  expect(page).not.toContain('<svg')
  const box = /<div role="img"[^>]*>/.exec(page)![0]
  expect(box).toMatch(/\shidden>$/)
  // The key as the page shows it for typing, in groups of four.
  const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(page)![1]!.replace(/ /g, '')
  // The URI holds that key and nothing the page does not show (attribute-escaped: &amp;).
  const uri = new URL(/data-totp-qr="([^"]+)"/.exec(box)![1]!.replaceAll('&amp;', '&'))
  expect(uri.protocol).toBe('otpauth:')
  expect(uri.searchParams.get('secret')).toBe(secret)
  const wrong = await post(
    '/account/totp/verify',
    { code: codeFor(secret) === '000000' ? '111111' : '000000' },
    withCookie(cookie),
  )
  expect(wrong.status).toBe(401)
  // The same QR code again, read back from the pending enrolment, with the reason.
  const again = await wrong.text()
  expect(again).toContain(secret.replace(/(.{4})/g, '$1 ').trim())
  expect(again).toContain('That code is wrong')
  expect(again).not.toContain('name="secret"')
  const done = await post(
    '/account/totp/verify',
    { code: codeFor(secret).replace(/(\d{3})/, '$1 ') },
    withCookie(cookie),
  )
  expect(done.status).toBe(200)
  const codes = [...(await done.text()).matchAll(/<code>([a-z0-9-]{11})<\/code>/g)].map(
    (m) => m[1]!,
  )
  expect(codes).toHaveLength(10)
  return { secret, codes }
}

describe('two-factor on the hosted pages', () => {
  it('turns on from /account, then /signin asks for the code before the cookie', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const { secret } = await turnOnThroughPage(cookie)
    expect(await (await account(cookie)).text()).toContain('On. 10 of 10 recovery codes left.')

    const first = await post('/signin', { username, password: PASSWORD, return_to: '/account' })
    expect(first.status).toBe(200)
    expect(cookieOf(first)).toBeUndefined()
    const form = await first.text()
    expect(form).toContain('action="/signin/mfa"')
    expect(form).toContain('autocomplete="one-time-code"')
    const mfaToken = hidden(form, 'mfaToken')!

    const wrong = await post('/signin/mfa', {
      mfaToken,
      code: codeFor(secret, 1) === '000000' ? '111111' : '000000',
      return_to: '/account',
    })
    expect(wrong.status).toBe(401)
    expect(cookieOf(wrong)).toBeUndefined()
    expect(await wrong.text()).toContain('That code is wrong')

    const foreign = await post(
      '/signin/mfa',
      { mfaToken, code: codeFor(secret, 1) },
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    )
    expect(foreign.status).toBe(403)

    const right = await post('/signin/mfa', {
      mfaToken,
      code: codeFor(secret, 1),
      return_to: '/account',
    })
    expect(right.status).toBe(303)
    expect(right.headers.get('location')).toBe('/account')
    expect(cookieOf(right)).toMatch(/^[A-Za-z0-9_-]{86}$/)
    // A finished sign-in cannot be finished again: back to the password.
    const again = await post('/signin/mfa', { mfaToken, code: codeFor(secret, 1) })
    expect(again.status).toBe(401)
    expect(await again.text()).toContain('action="/signin"')
  })

  it('turns off with a current code, or refuses and says why', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const { secret } = await turnOnThroughPage(cookie)
    const wrongPassword = await post(
      '/account/totp/disable',
      { disablePassword: 'wrong password!', disableCode: '' },
      withCookie(cookie),
    )
    expect(wrongPassword.status).toBe(401)
    const off = await post(
      '/account/totp/disable',
      { disablePassword: '', disableCode: codeFor(secret, 1) },
      withCookie(cookie),
    )
    expect(off.status).toBe(303)
    expect(off.headers.get('location')).toBe('/account?done=totpoff')
    expect((await post('/signin', { username, password: PASSWORD })).status).toBe(303)
  })
})

describe('passkeys on the account page', () => {
  it('lists them escaped, renames and removes only your own', async () => {
    const { username } = await registerUser()
    const tokens = await loginUser(username)
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const options = await (
      await sendJson(
        'POST',
        '/users/me/passkeys/options',
        { password: PASSWORD },
        bearer(tokens.accessToken).headers,
      )
    ).json()
    const credential = await authenticator.create(options as never)
    const created = await sendJson(
      'POST',
      '/users/me/passkeys',
      { credential, name: '<script>alert(1)</script>' },
      bearer(tokens.accessToken).headers,
    )
    expect(created.status).toBe(201)
    const cookie = await pageSignIn(username)
    const page = await (await account(cookie)).text()
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page).not.toContain('<script>alert(1)')
    expect(page).toContain(`action="/account/passkeys/${authenticator.id}/remove"`)

    const intruder = await pageSignIn((await registerUser(uniqueUsername('intruder'))).username)
    const theirs = await post(
      `/account/passkeys/${authenticator.id}/remove`,
      {},
      withCookie(intruder),
    )
    expect(theirs.status).toBe(404)

    const renamed = await post(
      `/account/passkeys/${authenticator.id}/rename`,
      { name: 'Laptop' },
      withCookie(cookie),
    )
    expect(renamed.headers.get('location')).toBe('/account?done=passkeyrenamed')
    expect(await (await account(cookie)).text()).toContain('Laptop')
    const removed = await post(
      `/account/passkeys/${authenticator.id}/remove`,
      {},
      withCookie(cookie),
    )
    expect(removed.headers.get('location')).toBe('/account?done=passkeyremoved')
    expect(await (await account(cookie)).text()).toContain('You have no passkeys yet.')
  })

  it('says that adding one needs JavaScript when the form is posted without it', async () => {
    const cookie = await pageSignIn((await registerUser()).username)
    const res = await post('/account/passkeys', { passkeyPassword: PASSWORD }, withCookie(cookie))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Adding a passkey needs JavaScript')
  })
})

describe('sign-up with an address', () => {
  it('says so on the page when email is not set up, and creates nothing', async () => {
    const username = `p_${crypto.randomUUID().slice(0, 8)}`
    const res = await callWithEnv({ MAIL_FROM: '' }, '/signup', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: new URLSearchParams({
        username,
        password: PASSWORD,
        email: 'a@example.org',
      }).toString(),
    })
    expect(res.status).toBe(503)
    const page = await res.text()
    expect(page).toContain('cannot send email yet')
    expect(page).toContain('value="a@example.org"')
    // Without the address, the same name signs up.
    expect((await post('/signup', { username, password: PASSWORD, email: '' })).status).toBe(303)
  })
})
