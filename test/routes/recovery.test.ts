// Password reset by email through the worker on real D1 and KV, with a capturing mailer: the
// forgotten-password request tells nothing (body and timing), the link works once, for 30
// minutes, only if it is the newest and the password has not changed since; a reset ends every
// session and clears the login backoff.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  callSettling,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  refresh,
  registerUser,
  sendJson,
  uniqueUsername,
} from '../helpers'

const NEW_PASSWORD = 'a brand new passphrase'

type Box = ReturnType<typeof mailbox>

/** A signed-in user whose address is verified. */
const withEmail = (box: Box) => withVerifiedEmail(box, 'reset')

const forgot = (box: Box, login: string) =>
  box.call('/password/forgot', jsonInit('POST', { login }))
const reset = (box: Box, token: string, newPassword = NEW_PASSWORD) =>
  box.call('/password/reset', jsonInit('POST', { token, newPassword }))
const login = (username: string, password: string) =>
  sendJson('POST', '/login', { username, password })

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('asking for a reset link', () => {
  it('answers the same for an unknown name, an account without an address, and one with', async () => {
    const box = mailbox()
    const withAddress = await withEmail(box)
    const { username: noAddress } = await registerUser()
    const bodies = new Set<string>()
    for (const name of [
      uniqueUsername('ghost'),
      'ghost@example.org',
      noAddress,
      withAddress.username,
    ]) {
      const res = await forgot(box, name)
      expect(res.status).toBe(202)
      expect(res.headers.get('cache-control')).toBe('no-store')
      bodies.add(await res.text())
    }
    expect(bodies.size).toBe(1)
    // Only the account with a verified address got mail: one link, to that address.
    expect(box.sent.map((m) => m.to)).toEqual([withAddress.email])
    expect(box.sent[0]!.text).toContain(`${ORIGIN}/reset-password?token=`)
    expect(box.sent[0]!.text).toContain('30 minutes')
  })

  it('finds the account by its verified address too, in any case', async () => {
    const box = mailbox()
    const { email } = await withEmail(box)
    await forgot(box, email.toUpperCase().replace('@EXAMPLE.ORG', '@Example.org'))
    expect(box.sent.map((m) => m.to)).toEqual([email])
  })

  it('takes about the same time whether or not the account exists (the rest runs after)', async () => {
    const box = mailbox()
    const { username } = await withEmail(box)
    const timed = async (login: string) => {
      const { answered, settled } = callSettling(
        box.env,
        '/password/forgot',
        jsonInit('POST', { login }),
      )
      const started = performance.now()
      await answered
      const took = performance.now() - started
      await settled
      return took
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 25; i++) {
      known.push(await timed(username))
      unknown.push(await timed(uniqueUsername('ghost')))
    }
    expect(Math.abs(median(known) - median(unknown))).toBeLessThan(5)
  })

  it('sends one address at most three emails an hour, however often it is asked', async () => {
    const clock = freezeTime()
    const box = mailbox()
    const { username } = await withEmail(box)
    for (let i = 0; i < 6; i++) expect((await forgot(box, username)).status).toBe(202)
    expect(box.sent).toHaveLength(2) // the verification email took one of the three
    clock.advance(3600 * 1000)
    await forgot(box, username)
    expect(box.sent).toHaveLength(3)
    clock.restore()
  })
})

describe('the link’s host', () => {
  it('is JWT_ISSUER’s when it is a URL, whatever host the request named', async () => {
    const box = mailbox()
    const { username } = await withEmail(box)
    const { settled } = callSettling(
      { ...box.env, JWT_ISSUER: 'https://login.example.com/' },
      '/password/forgot',
      jsonInit('POST', { login: username }),
    )
    await settled
    expect(box.sent.at(-1)!.text).toContain('https://login.example.com/reset-password?token=')
    expect(box.sent.at(-1)!.subject).toContain('login.example.com')
  })
})

describe('without a public URL', () => {
  it('sends no link built on a request’s Host: 503 naming JWT_ISSUER, except on loopback', async () => {
    const lines = captureLogs()
    const box = mailbox()
    const { username } = await withEmail(box)
    const sent = box.sent.length
    const noIssuer = { ...box.env, JWT_ISSUER: '' }
    const res = await callWithEnv(
      noIssuer,
      '/password/forgot',
      jsonInit('POST', { login: username }),
    )
    await expectProblem(res, 503, 'email_unavailable')
    expect(lines.join('\n')).toContain('"setting":"JWT_ISSUER"')
    // `npm run dev`: a loopback host stands in for the public URL.
    const ctx = createExecutionContext()
    const local = await worker.fetch(
      new Request('http://localhost:8787/password/forgot', jsonInit('POST', { login: username })),
      { ...env, ...noIssuer } as Bindings,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(local.status).toBe(202)
    expect(box.sent.length).toBe(sent + 1)
    expect(box.sent.at(-1)!.text).toContain('http://localhost:8787/reset-password?token=')
  })
})

describe('resetting with the link', () => {
  it('sets the new password, ends every session and clears the login backoff', async () => {
    const box = mailbox()
    const { username, tokens } = await withEmail(box)
    for (let i = 0; i < 5; i++) await login(username, 'wrong password!')
    await expectProblem(await login(username, PASSWORD), 429, 'rate_limited')
    await forgot(box, username)
    const res = await reset(box, box.token('reset-password'))
    expect(res.status).toBe(204)
    await expectProblem(await refresh(tokens.refreshToken), 401, 'invalid_refresh_token')
    await expectProblem(await login(username, PASSWORD), 401, 'invalid_credentials')
    expect((await login(username, NEW_PASSWORD)).status).toBe(200)
  })

  it('works once, only the newest link, only for 30 minutes, and not after a password change', async () => {
    const clock = freezeTime()
    const box = mailbox()
    const { username } = await withEmail(box)
    await forgot(box, username)
    const first = box.token('reset-password')
    await forgot(box, username)
    const second = box.token('reset-password')
    await expectProblem(await reset(box, first), 400, 'invalid_email_token')
    expect((await reset(box, second)).status).toBe(204)
    await expectProblem(
      await reset(box, second, 'yet another passphrase'),
      400,
      'invalid_email_token',
    )

    clock.advance(3600 * 1000) // a fresh hour of quota
    await forgot(box, username)
    const late = box.token('reset-password')
    clock.advance(30 * 60 * 1000)
    await expectProblem(await reset(box, late), 400, 'invalid_email_token')

    clock.advance(3600 * 1000)
    await forgot(box, username)
    const beforeChange = box.token('reset-password')
    const fresh = (await (await login(username, NEW_PASSWORD)).json()) as { accessToken: string }
    const change = await sendJson(
      'POST',
      '/users/me/password',
      { currentPassword: NEW_PASSWORD, newPassword: 'changed by its owner' },
      bearer(fresh.accessToken).headers,
    )
    expect(change.status).toBe(204)
    await expectProblem(await reset(box, beforeChange), 400, 'invalid_email_token')
    clock.restore()
  })

  it('ends address links asked for before (a way back in for whoever knew the old password)', async () => {
    const box = mailbox()
    const { username, tokens } = await withEmail(box)
    // Someone with the password asks to make their own address the account's.
    await box.call(
      '/users/me/email',
      jsonInit(
        'PUT',
        { email: 'thief@example.net', password: PASSWORD },
        bearer(tokens.accessToken).headers,
      ),
    )
    const theirs = box.token('verify-email')
    await forgot(box, username)
    expect((await reset(box, box.token('reset-password'))).status).toBe(204)
    await expectProblem(
      await box.call('/email/verify', jsonInit('POST', { token: theirs })),
      400,
      'invalid_email_token',
    )
  })

  it('ends reset links sent to an address that another one has since replaced', async () => {
    const box = mailbox()
    const { username, tokens } = await withEmail(box)
    await forgot(box, username)
    const toOld = box.token('reset-password')
    await box.call(
      '/users/me/email',
      jsonInit(
        'PUT',
        { email: `new.${username}@example.org`, password: PASSWORD },
        bearer(tokens.accessToken).headers,
      ),
    )
    await box.call('/email/verify', jsonInit('POST', { token: box.token('verify-email') }))
    await expectProblem(await reset(box, toOld), 400, 'invalid_email_token')
  })

  it('holds the new password to the sign-up rules', async () => {
    const box = mailbox()
    const { username } = await withEmail(box)
    await forgot(box, username)
    const token = box.token('reset-password')
    await expectProblem(await reset(box, token, 'short'), 400, 'validation_failed')
    // A refused password does not spend the link.
    expect((await reset(box, token)).status).toBe(204)
  })

  it('lets one of two racing resets through', async () => {
    const box = mailbox()
    const { username } = await withEmail(box)
    await forgot(box, username)
    const token = box.token('reset-password')
    const both = await Promise.all([reset(box, token), reset(box, token, 'the other passphrase')])
    expect(both.map((r) => r.status).sort()).toEqual([204, 400])
  })
})

describe('the log', () => {
  it('has no full address, no token and no password', async () => {
    const lines = captureLogs()
    const box = mailbox()
    const { username, email } = await withEmail(box)
    await forgot(box, username)
    const token = box.token('reset-password')
    await reset(box, token)
    const log = lines.join('\n')
    expect(log).toContain('password_reset_requested')
    expect(log).toContain('"event":"password_reset"')
    for (const secret of [email, email.split('@')[0]!, token, NEW_PASSWORD]) {
      expect(log).not.toContain(secret)
    }
  })
})

describe('the hosted pages', () => {
  it('ask for the login, say the same for everyone, and reset with the link', async () => {
    const box = mailbox()
    const { username } = await withEmail(box)
    const post = (path: string, fields: Record<string, string>) =>
      box.call(path, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
        body: new URLSearchParams(fields).toString(),
      })
    const forms = await box.call('/forgot-password')
    expect(await forms.text()).toContain('<label for="login">')
    const known = await (await post('/forgot-password', { login: username })).text()
    const unknown = await (
      await post('/forgot-password', { login: uniqueUsername('ghost') })
    ).text()
    const strip = (page: string) => page.replace(/[0-9a-f-]{36}/g, '')
    expect(strip(known)).toBe(strip(unknown))
    const token = box.token('reset-password')
    const page = await box.call(`/reset-password?token=${token}`)
    expect(await page.text()).toContain(`name="token" value="${token}"`)
    const short = await post('/reset-password', { token, newPassword: 'short' })
    expect(short.status).toBe(400)
    const done = await post('/reset-password', { token, newPassword: NEW_PASSWORD })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/signin?done=reset')
    expect((await login(username, NEW_PASSWORD)).status).toBe(200)
  })
})
