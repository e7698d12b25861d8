// The links and sender of account emails, through the worker on real D1 with a capturing mailer:
// APP_LINKS sends verification and reset links to the app's own pages (the token URL-encoded into
// its placeholder, and working through the JSON API), MAIL_FROM_NAME and MAIL_REPLY_TO reach the
// binding, nothing a request sends (Host, extra fields) chooses where a link points, and an
// invalid setting stops only the routes that mail (503 naming it).
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../../src/env'
import { resetLink, verificationLink } from '../../src/http/mail-links'
import worker from '../../src/index'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  callSettling,
  captureLogs,
  expectProblem,
  jsonInit,
  sendJson,
  signedIn,
} from '../helpers'

const APP = 'https://app.example.com'
const APP_LINKS = JSON.stringify({
  verifyEmail: `${APP}/verify?token={token}`,
  resetPassword: `${APP}/account#reset={token}`,
})

type Box = ReturnType<typeof mailbox>

/** A mailbox whose emails link to the app and come from a named sender with a reply-to. */
function appMailbox(): Box {
  const box = mailbox()
  Object.assign(box.env, {
    ALLOWED_ORIGINS: APP,
    APP_LINKS,
    MAIL_FROM_NAME: 'Acme Accounts',
    MAIL_REPLY_TO: 'help@acme.example',
  })
  return box
}

/** The token in the newest email's link that starts with `prefix`. */
const tokenAfter = (box: Box, prefix: string) => {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  return new RegExp(`${escaped}([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`).exec(
    box.sent.at(-1)!.text,
  )?.[1]
}

const setEmail = (box: Box, accessToken: string, email: string) =>
  box.call(
    '/users/me/email',
    jsonInit('PUT', { email, password: PASSWORD }, bearer(accessToken).headers),
  )
const address = () => `links.${crypto.randomUUID().slice(0, 8)}@example.org`

afterEach(() => {
  vi.restoreAllMocks()
})

describe('APP_LINKS', () => {
  it('mails the app’s verify link from the named sender; its token verifies through the API', async () => {
    const box = appMailbox()
    const { tokens } = await signedIn('links')
    const email = address()
    expect((await setEmail(box, tokens.accessToken, email)).status).toBe(202)
    expect(box.sent).toHaveLength(1)
    const mail = box.sent[0]! as unknown as {
      from: unknown
      replyTo: unknown
      text: string
      html: string
    }
    expect(mail.from).toEqual({ name: 'Acme Accounts', email: 'accounts@auth.example' })
    expect(mail.replyTo).toBe('help@acme.example')
    const token = tokenAfter(box, `${APP}/verify?token=`)
    expect(token).toBeDefined()
    expect(mail.html).toContain(`${APP}/verify?token=${token}`)
    // No hosted link beside it.
    expect(mail.text).not.toContain(`${ORIGIN}/verify-email`)
    const res = await box.call('/email/verify', jsonInit('POST', { token }))
    expect(res.status).toBe(200)
    const me = await box.call('/users/me/email', bearer(tokens.accessToken))
    expect(await me.json()).toMatchObject({ email })
  })

  it('mails the app’s reset link; its token opens the reset API and sets the password', async () => {
    const box = mailbox()
    const { username } = await withVerifiedEmail(box, 'links')
    Object.assign(box.env, { ALLOWED_ORIGINS: APP, APP_LINKS })
    expect((await box.call('/password/forgot', jsonInit('POST', { login: username }))).status).toBe(
      202,
    )
    const token = tokenAfter(box, `${APP}/account#reset=`)
    expect(token).toBeDefined()
    expect(box.sent.at(-1)!.text).not.toContain(`${ORIGIN}/reset-password`)
    const inspect = await box.call('/password/reset/inspect', jsonInit('POST', { token }))
    expect(inspect.status).toBe(200)
    const reset = await box.call(
      '/password/reset',
      jsonInit('POST', { token, newPassword: 'a brand new passphrase' }),
    )
    expect(reset.status).toBe(204)
    const login = { username, password: 'a brand new passphrase' }
    expect((await sendJson('POST', '/login', login)).status).toBe(200)
    // Spent: the same link does nothing twice.
    expect((await box.call('/password/reset/inspect', jsonInit('POST', { token }))).status).toBe(
      400,
    )
  })

  it('keeps the hosted pages without it, and for a kind it leaves out', async () => {
    const hosted = mailbox()
    const { tokens } = await signedIn('links')
    await setEmail(hosted, tokens.accessToken, address())
    expect(tokenAfter(hosted, `${ORIGIN}/verify-email?token=`)).toBeDefined()
    expect(hosted.sent.at(-1)).toMatchObject({ from: 'accounts@auth.example' })
    expect(hosted.sent.at(-1)).not.toHaveProperty('replyTo')

    const half = mailbox()
    Object.assign(half.env, {
      ALLOWED_ORIGINS: APP,
      APP_LINKS: JSON.stringify({ resetPassword: `${APP}/reset?token={token}` }),
    })
    const other = await signedIn('links')
    await setEmail(half, other.tokens.accessToken, address())
    expect(tokenAfter(half, `${ORIGIN}/verify-email?token=`)).toBeDefined()
  })

  it('lets no request choose where the link points: not the Host, not an extra field', async () => {
    const box = mailbox()
    const { username } = await withVerifiedEmail(box, 'links')
    Object.assign(box.env, { ALLOWED_ORIGINS: APP, APP_LINKS })
    const sent = box.sent.length
    // An unknown field is refused outright, and nothing is mailed.
    const redirect = await box.call(
      '/password/forgot',
      jsonInit('POST', { login: username, redirectTo: 'https://evil.example/steal?t={token}' }),
    )
    expect(redirect.status).toBe(400)
    expect(box.sent.length).toBe(sent)
    // A request that came to another host (or names one) still gets the configured link.
    const ctx = createExecutionContext()
    const res = await worker.fetch(
      new Request(
        'https://evil.example/password/forgot',
        jsonInit('POST', { login: username }, { 'X-Forwarded-Host': 'evil.example' }),
      ),
      { ...env, ...box.env } as Bindings,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(202)
    expect(box.sent.length).toBe(sent + 1)
    expect(box.sent.at(-1)!.text).not.toContain('evil.example')
    expect(tokenAfter(box, `${APP}/account#reset=`)).toBeDefined()
  })

  it('answers 503 naming APP_LINKS when it is invalid, mails nothing, and the rest carries on', async () => {
    const lines = captureLogs()
    for (const [value, allowed] of [
      [JSON.stringify({ verifyEmail: 'https://evil.example/?t={token}' }), APP],
      [JSON.stringify({ verifyEmail: `${APP}/verify` }), APP],
      [APP_LINKS, ''],
    ] as const) {
      const box = mailbox()
      Object.assign(box.env, { ALLOWED_ORIGINS: allowed, APP_LINKS: value })
      const { tokens } = await signedIn('links')
      const res = await setEmail(box, tokens.accessToken, address())
      await expectProblem(res, 503, 'email_unavailable')
      expect(box.sent).toEqual([])
      const me = await box.call('/users/me', bearer(tokens.accessToken))
      expect(me.status).toBe(200)
    }
    expect(lines.join('\n')).toContain('"setting":"APP_LINKS"')
    expect(lines.join('\n')).not.toContain('evil.example')
  })
})

describe('MAIL_FROM_NAME and MAIL_REPLY_TO', () => {
  it('answer 503 naming the setting when invalid, and mail nothing', async () => {
    const lines = captureLogs()
    for (const [name, value] of [
      ['MAIL_FROM_NAME', 'Acme\r\nBcc: victim@example.org'],
      ['MAIL_REPLY_TO', 'help@acme.example, victim@example.org'],
    ] as const) {
      const box = mailbox()
      Object.assign(box.env, { [name]: value })
      const { tokens } = await signedIn('links')
      await expectProblem(
        await setEmail(box, tokens.accessToken, address()),
        503,
        'email_unavailable',
      )
      expect(box.sent).toEqual([])
      expect(lines.join('\n')).toContain(`"setting":"${name}"`)
    }
    expect(lines.join('\n')).not.toContain('victim')
  })

  it('are accepted by the real binding, as wrangler simulates it', async () => {
    const lines = captureLogs()
    const { tokens } = await signedIn('links')
    const overrides: Partial<Bindings> = {
      MAIL_FROM: 'accounts@auth.example',
      MAIL_FROM_NAME: 'Acme Accounts',
      MAIL_REPLY_TO: 'help@acme.example',
      JWT_ISSUER: ORIGIN,
      ALLOWED_ORIGINS: APP,
      APP_LINKS,
    }
    const { answered, settled } = callSettling(
      overrides,
      '/users/me/email',
      jsonInit('PUT', { email: address(), password: PASSWORD }, bearer(tokens.accessToken).headers),
    )
    expect((await answered).status).toBe(202)
    await settled
    expect(lines.join('\n')).toContain('email_verification_sent')
    expect(lines.join('\n')).not.toContain('deferred_task_failed')
    // And directly: the builder form with a named sender and a reply-to.
    await expect(
      env.EMAIL.send({
        from: { name: 'Acme Accounts', email: 'accounts@auth.example' },
        replyTo: 'help@acme.example',
        to: 'someone@example.org',
        subject: 'A test',
        text: 'Hello',
        html: '<p>Hello</p>',
      }),
    ).resolves.toBeDefined()
  })
})

describe('the link a token makes', () => {
  const at = (extra: Partial<Bindings>) => ({
    env: { ...env, JWT_ISSUER: ORIGIN, ALLOWED_ORIGINS: APP, ...extra } as Bindings,
    req: { url: 'https://evil.example/anything' },
  })

  it('URL-encodes the token into the placeholder, once, with no replacement patterns', () => {
    const c = at({ APP_LINKS })
    expect(verificationLink(c).url('a+b/c=&d e#f')).toBe(
      `${APP}/verify?token=a%2Bb%2Fc%3D%26d%20e%23f`,
    )
    expect(resetLink(c).url("$&$'$`")).toBe(`${APP}/account#reset=%24%26%24'%24%60`)
  })

  it('URL-encodes it into the hosted page too, built on JWT_ISSUER, never the request’s host', () => {
    const c = at({})
    expect(verificationLink(c).url('x&y')).toBe(`${ORIGIN}/verify-email?token=x%26y`)
    expect(resetLink(c).url('x')).toBe(`${ORIGIN}/reset-password?token=x`)
  })
})
