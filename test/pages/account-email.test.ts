// The account page's email section through the real worker: the verified address shown, a new
// one asked for with the password (a link mailed, confirmed on /verify-email), and every refusal
// (wrong password, another origin, signed out, a bad address, email not set up) sending nothing.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mailbox } from '../doubles/mailbox'
import { ORIGIN, PASSWORD, callWithEnv, captureLogs, expectProblem, registerUser } from '../helpers'
import { formInit, pageSignIn, post, withCookie } from './forms'

afterEach(() => vi.restoreAllMocks())

const unique = (name = 'alice') => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`

/** A page visitor and a mailbox to send through: form posts and page loads as a browser makes them. */
async function setUp() {
  const box = mailbox()
  const { username } = await registerUser()
  const cookie = await pageSignIn(username)
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    box.call('/account/email', formInit(fields, { ...withCookie(cookie), ...headers }))
  const page = async () => {
    const res = await box.call('/account', { headers: withCookie(cookie), redirect: 'manual' })
    expect(res.status).toBe(200)
    return res.text()
  }
  /** Opens the newest link as a person does: the page, then its button. */
  const confirm = async () => {
    const token = box.token()
    expect((await box.call(`/verify-email?token=${token}`)).status).toBe(200)
    return box.call('/verify-email', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: new URLSearchParams({ token }).toString(),
    })
  }
  return { box, username, cookie, form, page, confirm }
}

describe('the email section of /account', () => {
  it('shows no address, mails a link for one, and shows it once the link is opened', async () => {
    const { box, form, page, confirm } = await setUp()
    const before = await page()
    expect(before).toContain('You have no verified address')
    expect(before).toMatch(/<form method="post" action="\/account\/email" novalidate>/)
    expect(before).toContain('<label for="email">Email address</label>')
    expect(before).toContain('type="email"')
    expect(before).toContain('<label for="emailPassword">Password, to confirm</label>')
    // A plain form: the page's one script is the passkey module it always had.
    expect(before.match(/<script[^>]*>/gi)).toEqual([
      '<script type="module" src="/pages/passkeys.js">',
    ])

    const first = unique()
    const sent = await form({ email: first, emailPassword: PASSWORD })
    expect(sent.status).toBe(200)
    expect(sent.headers.get('cache-control')).toBe('no-store')
    expect(await sent.text()).toMatch(
      new RegExp(`role="status"[^>]*>\\s*We sent a link to ${first.replace(/\./g, '\\.')}\\.`),
    )
    expect(box.sent.map((m) => m.to)).toEqual([first])
    expect(box.sent[0]!.text).toContain(`${ORIGIN}/verify-email?token=`)
    // Not the account's until the link is opened.
    expect(await page()).toContain('You have no verified address')

    const done = await confirm()
    expect(done.status).toBe(200)
    expect(await done.text()).toContain(`${first} is confirmed for your account.`)
    const after = await page()
    expect(after).toContain(`Your address is <strong>${first}</strong>`)
    expect(after).toContain('<label for="email">New email address</label>')

    // Changed: the new one is the account's once its own link is opened.
    const second = unique('bob')
    expect((await form({ email: second, emailPassword: PASSWORD })).status).toBe(200)
    expect(box.sent.at(-1)!.to).toBe(second)
    expect(await page()).toContain(`Your address is <strong>${first}</strong>`)
    expect((await confirm()).status).toBe(200)
    expect(await page()).toContain(`Your address is <strong>${second}</strong>`)
  })

  it('refuses a wrong password with the page, sending nothing and never echoing it', async () => {
    const { box, form } = await setUp()
    const res = await form({ email: unique(), emailPassword: 'not the password' })
    expect(res.status).toBe(401)
    const html = await res.text()
    expect(html).toMatch(/role="alert"[^>]*>\s*The password is incorrect/)
    expect(html).toContain('id="email-title"')
    expect(html).not.toContain('not the password')
    expect(box.sent).toEqual([])
  })

  it('counts the password against the login limit: guessing here is a login attempt', async () => {
    const { box, form } = await setUp()
    // Every guess from one client address, as an attacker with the cookie would make them.
    const from = { 'CF-Connecting-IP': '203.0.113.77' }
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (await form({ email: unique(), emailPassword: `guess number ${i}` }, from)).status,
      )
    }
    expect(statuses).toContain(429)
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    // Limited, the right password does not get through either.
    expect((await form({ email: unique(), emailPassword: PASSWORD }, from)).status).toBe(429)
    expect(box.sent).toEqual([])
  })

  it('refuses a post from another origin, sending nothing', async () => {
    const { box, form, page } = await setUp()
    const refused: Record<string, string>[] = [
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'null' },
    ]
    for (const headers of refused) {
      const res = await form({ email: unique(), emailPassword: PASSWORD }, headers)
      await expectProblem(res, 403, 'csrf_rejected')
    }
    expect(box.sent).toEqual([])
    expect(await page()).toContain('You have no verified address')
  })

  it('sends a signed-out post to sign in, sending nothing', async () => {
    const { box, form } = await setUp()
    for (const cookie of ['', 'not-a-token']) {
      const res = await form(
        { email: unique(), emailPassword: PASSWORD },
        { Cookie: cookie ? `__Host-refresh_token=${cookie}` : '' },
      )
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/signin?return_to=/account')
    }
    expect(box.sent).toEqual([])
  })

  it('shows a bad address beside its field, echoing nothing unescaped', async () => {
    const { box, form } = await setUp()
    for (const email of [
      'not an address',
      '"><script>alert(1)</script>@x',
      'a@' + 'b'.repeat(260),
    ]) {
      const res = await form({ email, emailPassword: PASSWORD })
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('aria-describedby="email-hint email-error"')
      expect(html).toMatch(/id="email-error">This must be/)
      expect(html).not.toContain('<script>alert')
    }
    // The password is optional in the form (an account with none leaves it out), so an account
    // that has one is told to give it, and nothing is sent.
    const missing = await form({ email: unique() })
    expect(missing.status).toBe(401)
    expect(await missing.text()).toContain('Confirm with your password')
    expect(box.sent).toEqual([])
  })

  it('says email is not set up (503), sending nothing and creating no link', async () => {
    const { box, cookie } = await setUp()
    const lines = captureLogs()
    const res = await callWithEnv({ MAIL_FROM: '', JWT_ISSUER: ORIGIN }, '/account/email', {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: ORIGIN,
        ...withCookie(cookie),
      },
      body: new URLSearchParams({ email: unique(), emailPassword: PASSWORD }).toString(),
    })
    expect(res.status).toBe(503)
    expect(await res.text()).toMatch(/role="alert"[^>]*>\s*This service cannot send email yet/)
    expect(lines.join('\n')).toContain('"setting":"MAIL_FROM"')
    expect(box.sent).toEqual([])
  })

  it('offers no form when email is not set up, and says so', async () => {
    const { cookie, page } = await setUp()
    const res = await callWithEnv({ MAIL_FROM: '' }, '/account', { headers: withCookie(cookie) })
    const without = await res.text()
    expect(without).toContain('This service does not send email yet')
    expect(without).not.toContain('action="/account/email"')
    const withMail = await page()
    expect(withMail).toContain('action="/account/email"')
    expect(withMail).not.toContain('does not send email yet')
  })

  it('answers the address quota with the wait, not a 5xx', async () => {
    const { box, form } = await setUp()
    const address = unique()
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      statuses.push((await form({ email: address, emailPassword: PASSWORD })).status)
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200])
    expect(statuses[3]).toBe(429)
    expect(box.sent).toHaveLength(3)
  })
})

describe('the account page post helper', () => {
  it('still takes the other account forms (a smoke check of the shared page)', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const res = await post('/account/signout', {}, withCookie(cookie))
    expect(res.status).toBe(303)
  })
})
