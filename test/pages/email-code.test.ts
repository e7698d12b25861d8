// The hosted sign-in with a mailed code: /signin offers it when email is set up; /email-code
// mails a code (the same page for any address) and signs in with it by the refresh cookie.
import { describe, expect, it } from 'vitest'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { ORIGIN, REFRESH_COOKIE } from '../helpers'

const box = mailbox()
const post = (path: string, fields: Record<string, string>, origin = ORIGIN) =>
  box.call(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    body: new URLSearchParams(fields).toString(),
  })
const codeIn = (to: string) =>
  /Your code is ([0-9]{6})/.exec(box.sent.filter((m) => m.to === to).at(-1)!.text)![1]!

describe('/email-code', () => {
  it('is offered on /signin when email is set up', async () => {
    const page = await box.call('/signin?return_to=/account')
    expect(await page.text()).toContain('href="/email-code?return_to=%2Faccount"')
  })

  it('mails a code and signs in with it, landing on return_to with the cookie', async () => {
    const owner = await withVerifiedEmail(box, 'pagecode')
    const asked = await post('/email-code', { email: owner.email, return_to: '/account' })
    expect(asked.status).toBe(200)
    expect(await asked.text()).toContain('a sign-in code is on its way')
    const res = await post('/email-code/verify', {
      email: owner.email,
      code: codeIn(owner.email),
      return_to: '/account',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/account')
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${REFRESH_COOKIE}=`))).toBe(true)
  })

  it('shows the same page for an address with no account', async () => {
    const res = await post('/email-code', { email: 'nobody-at-all@example.org' })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('a sign-in code is on its way')
    expect(box.sent.filter((m) => m.to === 'nobody-at-all@example.org')).toEqual([])
  })

  it('says a wrong code beside its field, and sets no cookie', async () => {
    const owner = await withVerifiedEmail(box, 'pagecode')
    await post('/email-code', { email: owner.email })
    const code = codeIn(owner.email)
    const res = await post('/email-code/verify', {
      email: owner.email,
      code: code === '000000' ? '000001' : '000000',
    })
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('id="code-error"')
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('refuses to set the cookie from another origin (login CSRF)', async () => {
    const owner = await withVerifiedEmail(box, 'pagecode')
    await post('/email-code', { email: owner.email })
    const res = await post(
      '/email-code/verify',
      { email: owner.email, code: codeIn(owner.email) },
      'https://evil.example',
    )
    expect(res.status).toBe(403)
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('escapes what it echoes', async () => {
    const res = await post('/email-code', { email: '"><script>alert(1)</script>' })
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('<script>alert')
  })
})
