// The account's email address through the worker on real D1: asking (with the password),
// confirming with the mailed link, single use, newer links replacing older, expiry, one account
// per verified address, and the email routes alone failing (503) when email is not set up.
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mailbox } from '../doubles/mailbox'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  sendJson,
  signedIn,
} from '../helpers'

const setEmail = (box: ReturnType<typeof mailbox>, token: string, body: unknown) =>
  box.call('/users/me/email', jsonInit('PUT', body, bearer(token).headers))
const verify = (box: ReturnType<typeof mailbox>, token: string) =>
  box.call('/email/verify', jsonInit('POST', { token }))
const unique = (name = 'alice') => `${name}.${crypto.randomUUID().slice(0, 8)}@Example.com`

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('setting an email address', () => {
  it('asks for the password, mails a link, and uses the address once the link is opened', async () => {
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    const address = unique()
    await expectProblem(
      await setEmail(box, tokens.accessToken, { email: address, password: 'wrong password!' }),
      401,
      'invalid_credentials',
    )
    expect(box.sent).toEqual([])
    const res = await setEmail(box, tokens.accessToken, { email: address, password: PASSWORD })
    expect(res.status).toBe(202)
    const stored = address.replace('Example.com', 'example.com')
    expect(await res.json()).toMatchObject({ email: stored })
    expect(box.sent).toHaveLength(1)
    expect(box.sent[0]).toMatchObject({ from: 'accounts@auth.example', to: stored })
    expect(box.sent[0]!.text).toContain(`${ORIGIN}/verify-email?token=`)
    expect(box.sent[0]!.text).toContain('24 hours')
    // Not the account's yet.
    const before = await box.call('/users/me/email', bearer(tokens.accessToken))
    expect(await before.json()).toEqual({ email: null })

    const confirmed = await verify(box, box.token())
    expect(confirmed.status).toBe(200)
    expect(await confirmed.json()).toEqual({ email: stored })
    const after = await box.call('/users/me/email', bearer(tokens.accessToken))
    expect(await after.json()).toEqual({ email: stored })
  })

  it('takes each link once, only the newest, and only for 24 hours', async () => {
    const clock = freezeTime()
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    const ask = () => setEmail(box, tokens.accessToken, { email: unique(), password: PASSWORD })
    await ask()
    const older = box.token()
    await ask()
    const newer = box.token()
    await expectProblem(await verify(box, older), 400, 'invalid_email_token')
    expect((await verify(box, newer)).status).toBe(200)
    await expectProblem(await verify(box, newer), 400, 'invalid_email_token')

    await ask()
    clock.advance(24 * 3600 * 1000)
    await expectProblem(await verify(box, box.token()), 400, 'invalid_email_token')
    for (const junk of ['x', 'A'.repeat(43), older.slice(0, 42)]) {
      await expectProblem(await verify(box, junk), 400, 'invalid_email_token')
    }
    clock.restore()
  })

  it('ends a link when the password changes, even a change that has not revoked it yet', async () => {
    const box = mailbox()
    const { user, tokens } = await signedIn('mail')
    const address = unique()
    expect(
      (await setEmail(box, tokens.accessToken, { email: address, password: PASSWORD })).status,
    ).toBe(202)
    // The password changes without the change's revocation of links having run (a change racing
    // the request that issued this link wrote just before the link was stored).
    await env.DB.prepare("UPDATE users SET password_hash = password_hash || 'x' WHERE id = ?")
      .bind(user.id)
      .run()
    await expectProblem(await verify(box, box.token()), 400, 'invalid_email_token')
    const row = await env.DB.prepare('SELECT email_verified_at AS at FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ at: number | null }>()
    expect(row!.at).toBeNull()
  })

  it('is refused from a session that has ended, however valid its access token', async () => {
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    const out = await sendJson('DELETE', '/logout?scope=global', { token: tokens.refreshToken })
    expect(out.status).toBe(204)
    await expectProblem(
      await setEmail(box, tokens.accessToken, { email: unique(), password: PASSWORD }),
      401,
      'invalid_token',
    )
    expect(box.sent).toEqual([])
  })

  it('counts the address ceiling per requesting network: strangers elsewhere cannot spend it', async () => {
    const lines = captureLogs()
    const box = mailbox()
    const address = unique('target')
    const register = (ip: string) =>
      box.call(
        '/register',
        jsonInit(
          'POST',
          { username: `s${crypto.randomUUID().slice(0, 8)}`, password: PASSWORD, email: address },
          { 'cf-connecting-ip': ip },
        ),
      )
    for (let i = 0; i < 11; i++) expect((await register(`198.51.100.${i + 1}`)).status).toBe(201)
    // Ten from the strangers' network, then silence there.
    expect(box.sent).toHaveLength(10)
    expect(lines.join('\n')).toContain('"reason":"address_quota"')
    // The owner, on a network of their own, is mailed.
    const { tokens } = await signedIn('owner')
    expect(
      (await setEmail(box, tokens.accessToken, { email: address, password: PASSWORD })).status,
    ).toBe(202)
    expect(box.sent).toHaveLength(11)
  })

  it('lets one link win when two requests race with it', async () => {
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    await setEmail(box, tokens.accessToken, { email: unique(), password: PASSWORD })
    const token = box.token()
    const both = await Promise.all([verify(box, token), verify(box, token)])
    expect(both.map((r) => r.status).sort()).toEqual([200, 400])
  })

  it('keeps a verified address to one account, whatever its case', async () => {
    const box = mailbox()
    const address = unique('shared')
    const alice = await signedIn('mail')
    const bob = await signedIn('mail')
    await setEmail(box, alice.tokens.accessToken, { email: address, password: PASSWORD })
    const forAlice = box.token()
    await setEmail(box, bob.tokens.accessToken, {
      email: address.toUpperCase().replace('@EXAMPLE.COM', '@example.com'),
      password: PASSWORD,
    })
    const forBob = box.token()
    expect((await verify(box, forAlice)).status).toBe(200)
    await expectProblem(await verify(box, forBob), 409, 'email_taken')
  })

  it.each([
    'not-an-address',
    'alice@localhost',
    '"alice"@example.com',
    'al..ice@example.com',
    `${'a'.repeat(250)}@x.io`,
  ])('refuses %s with validation_failed, sending nothing', async (email) => {
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    await expectProblem(
      await setEmail(box, tokens.accessToken, { email, password: PASSWORD }),
      400,
      'validation_failed',
    )
    expect(box.sent).toEqual([])
  })
})

describe('an address at sign-up', () => {
  it('creates the account and mails a link to confirm the address', async () => {
    const box = mailbox()
    const username = `signup_${crypto.randomUUID().slice(0, 8)}`
    const email = unique('signup')
    const res = await box.call(
      '/register',
      jsonInit('POST', { username, password: PASSWORD, email }),
    )
    expect(res.status).toBe(201)
    expect(box.sent.map((m) => m.to)).toEqual([email.replace('Example.com', 'example.com')])
    expect((await verify(box, box.token())).status).toBe(200)
  })

  it('is refused with 503 before anything is created when email is not set up', async () => {
    const username = `signup_${crypto.randomUUID().slice(0, 8)}`
    const res = await callWithEnv(
      { MAIL_FROM: '' },
      '/register',
      jsonInit('POST', { username, password: PASSWORD, email: unique() }),
    )
    await expectProblem(res, 503, 'email_unavailable')
    // The name is still free: nothing was created.
    const again = await callWithEnv(
      {},
      '/register',
      jsonInit('POST', { username, password: PASSWORD }),
    )
    expect(again.status).toBe(201)
  })
})

describe('without email set up', () => {
  it.each([
    ['EMAIL', { EMAIL: undefined, MAIL_FROM: 'accounts@auth.example', JWT_ISSUER: ORIGIN }],
    ['MAIL_FROM', { MAIL_FROM: '', JWT_ISSUER: ORIGIN }],
    ['JWT_ISSUER', { MAIL_FROM: 'accounts@auth.example' }],
  ] as const)('answers 503 naming %s in the log, and the rest works', async (setting, env) => {
    const lines = captureLogs()
    const { tokens } = await signedIn('mail')
    const res = await callWithEnv(
      env,
      '/users/me/email',
      jsonInit('PUT', { email: unique(), password: PASSWORD }, bearer(tokens.accessToken).headers),
    )
    await expectProblem(res, 503, 'email_unavailable')
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(lines.join('\n')).toContain(`"setting":"${setting}"`)
    const me = await callWithEnv(env, '/users/me', bearer(tokens.accessToken))
    expect(me.status).toBe(200)
  })
})

describe('the real binding, as wrangler simulates it', () => {
  it('accepts the message', async () => {
    const { tokens } = await signedIn('mail')
    const res = await callWithEnv(
      { MAIL_FROM: 'accounts@auth.example', JWT_ISSUER: ORIGIN },
      '/users/me/email',
      jsonInit('PUT', { email: unique(), password: PASSWORD }, bearer(tokens.accessToken).headers),
    )
    expect(res.status).toBe(202)
  })
})

describe('the log', () => {
  it('has no full address and no token', async () => {
    const lines = captureLogs()
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    const address = unique('private')
    await setEmail(box, tokens.accessToken, { email: address, password: PASSWORD })
    const token = box.token()
    await verify(box, token)
    const log = lines.join('\n')
    expect(log).toContain('email_verification_sent')
    expect(log).toContain('email_verified')
    expect(log).not.toContain(address.split('@')[0]!)
    expect(log).not.toContain(token)
  })
})

describe('the hosted /verify-email page', () => {
  it('changes nothing when opened, and confirms on the button from this origin only', async () => {
    const box = mailbox()
    const { tokens } = await signedIn('mail')
    await setEmail(box, tokens.accessToken, { email: unique(), password: PASSWORD })
    const token = box.token()
    const page = await box.call(`/verify-email?token=${token}`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(`name="token" value="${token}"`)
    const still = await box.call('/users/me/email', bearer(tokens.accessToken))
    expect(await still.json()).toEqual({ email: null })
    const post = (origin: string) =>
      box.call('/verify-email', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
        body: new URLSearchParams({ token }).toString(),
      })
    expect((await post('https://evil.example')).status).toBe(403)
    const done = await post(ORIGIN)
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('is confirmed for your account')
    const again = await post(ORIGIN)
    expect(again.status).toBe(400)
  })
})
