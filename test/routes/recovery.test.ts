// Password reset by email through the worker on real D1 and KV, with a capturing mailer: the
// forgotten-password request tells nothing (body and timing), the link works once, for 30
// minutes, only if it is the newest and the password has not changed since; a reset ends every
// session and clears the login backoff.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { totpStep } from '../../src/auth/totp'
import { date } from '../../src/i18n/dates'
import { type SoftPasskey, softAuthenticator } from '../doubles/authenticator'
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
  loginUser,
  refresh,
  registerUser,
  sendJson,
  signedIn,
  uniqueUsername,
} from '../helpers'

const NEW_PASSWORD = 'a brand new passphrase'

type Box = ReturnType<typeof mailbox>

/** A signed-in user whose address is verified. */
const withEmail = (box: Box) => withVerifiedEmail(box, 'reset')

/** From `ip` when named (its /24 or /48 is the network the reset budget counts by). */
const forgot = (box: Box, login: string, ip?: string) =>
  box.call('/password/forgot', jsonInit('POST', { login }, ip ? { 'cf-connecting-ip': ip } : {}))
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

  it('sends one address at most one reset email in five minutes, whoever asks', async () => {
    const lines = captureLogs()
    const clock = freezeTime()
    const box = mailbox()
    const { username } = await withEmail(box)
    for (let i = 0; i < 6; i++) {
      expect((await forgot(box, username, `192.0.2.${i + 1}`)).status).toBe(202)
    }
    // The verification email took none of it: reset mail is counted apart.
    expect(box.sent).toHaveLength(1)
    expect(lines.join('\n')).toContain('password_reset_link_recent')
    clock.advance(5 * 60 * 1000)
    await forgot(box, username, '192.0.2.99')
    expect(box.sent).toHaveLength(2)
    clock.restore()
  })
})

describe('a stranger silencing the owner’s reset email', () => {
  /** A throwaway account's PUT /users/me/email naming `address`, from its own session. */
  const strangerSets = async (box: Box, address: string) => {
    const { tokens } = await signedIn('stranger')
    return box.call(
      '/users/me/email',
      jsonInit('PUT', { email: address, password: PASSWORD }, bearer(tokens.accessToken).headers),
    )
  }
  const strangerRegisters = (box: Box, address: string) =>
    box.call(
      '/register',
      jsonInit('POST', {
        username: uniqueUsername('stranger'),
        password: PASSWORD,
        email: address,
      }),
    )

  it('cannot: registrations and address changes naming the victim’s address spend nothing of it', async () => {
    const lines = captureLogs()
    const clock = freezeTime()
    const box = mailbox()
    const victim = await withEmail(box)
    clock.advance(3600 * 1000) // the victim's own verification is last hour's
    for (let i = 0; i < 2; i++) {
      expect((await strangerRegisters(box, victim.email)).status).toBe(201)
    }
    // Each stranger's budget is its own: nothing they ask is refused for what others asked (a
    // 429 here would tell them someone else named the address this hour).
    for (let i = 0; i < 3; i++) expect((await strangerSets(box, victim.email)).status).toBe(202)
    // None of it was mailed: the address is another account's.
    expect(box.sent).toEqual([])
    expect(lines.join('\n')).toContain('"reason":"verified_by_another_account"')
    // The owner's reset still comes.
    expect((await forgot(box, victim.username)).status).toBe(202)
    expect(box.sent.map((m) => m.to)).toEqual([victim.email])
    expect(box.sent[0]!.text).toContain('/reset-password?token=')
    clock.restore()
  })

  it('mails a new link at once when the one mailed in the interval was ended by a password change', async () => {
    const clock = freezeTime()
    const box = mailbox()
    const { username, as } = await withEmail(box)
    // Someone who knows the password asks for a link, then changes the password: the link dies.
    await forgot(box, username)
    const dead = box.token('reset-password')
    expect(
      (
        await as('POST', '/users/me/password', {
          currentPassword: PASSWORD,
          newPassword: 'the intruder’s choice',
        })
      ).status,
    ).toBe(204)
    await expectProblem(await reset(box, dead), 400, 'invalid_email_token')
    // The owner asks inside the same interval: a working link comes at once.
    clock.advance(60 * 1000)
    const before = box.sent.length
    await forgot(box, username)
    expect(box.sent.length).toBe(before + 1)
    const fresh = box.token('reset-password')
    expect(fresh).not.toBe(dead)
    expect((await reset(box, fresh)).status).toBe(204)
    expect((await login(username, NEW_PASSWORD)).status).toBe(200)
    clock.restore()
  })

  it('gives each account its own verification budget, and a silent ceiling per address', async () => {
    const lines = captureLogs()
    const clock = freezeTime()
    const box = mailbox()
    const address = `free.${uniqueUsername()}@example.org`
    const { username } = await signedIn('owner')
    const ownerSets = async () =>
      box.call(
        '/users/me/email',
        jsonInit(
          'PUT',
          { email: address, password: PASSWORD },
          bearer((await loginUser(username)).accessToken).headers,
        ),
      )
    // Strangers name the address ten times, from accounts of their own: all mailed, each
    // naming the account that asked.
    for (let i = 0; i < 10; i++) expect((await strangerSets(box, address)).status).toBe(202)
    expect(box.sent).toHaveLength(10)
    expect(box.sent[0]!.text).toMatch(/for the account "stranger/)
    // The address's ceiling is reached: the owner is answered as ever, from a budget no one
    // else touched, but nothing more is mailed this hour (and nothing says so to the asker).
    expect((await ownerSets()).status).toBe(202)
    expect(box.sent).toHaveLength(10)
    expect(lines.join('\n')).toContain('"reason":"address_quota"')
    // The owner's own three, then 429: for the owner's requests alone.
    for (let i = 0; i < 2; i++) expect((await ownerSets()).status).toBe(202)
    await expectProblem(await ownerSets(), 429, 'rate_limited')
    clock.advance(3600 * 1000)
    expect((await ownerSets()).status).toBe(202)
    expect(box.sent.at(-1)!.to).toBe(address)
    clock.restore()
  })

  it('leaves the owner a working link whatever strangers ask, from any number of networks', async () => {
    const clock = freezeTime()
    const box = mailbox()
    const { username, email } = await withEmail(box)
    // A stranger asks every minute for an hour, each time from a network of its own.
    for (let minute = 0; minute < 60; minute++) {
      await forgot(box, email, `2001:db8:${minute + 100}::1`)
      clock.advance(60 * 1000)
    }
    // The mailbox got at most one an interval: twelve an hour, not sixty.
    expect(box.sent.filter((m) => m.to === email)).toHaveLength(12)
    // The owner asks a minute after the stranger's latest mail: nothing new is sent, and the link
    // already in the mailbox is the one that works.
    await forgot(box, email, `2001:db8:${99}::1`)
    clock.advance(60 * 1000)
    await forgot(box, username, '203.0.113.7')
    expect(box.sent).toHaveLength(13)
    const res = await reset(box, box.token('reset-password'))
    expect(res.status).toBe(204)
    expect((await login(username, NEW_PASSWORD)).status).toBe(200)
    clock.restore()
  })

  it('mails no link to an address another account verified, and answers the same', async () => {
    const box = mailbox()
    const victim = await withEmail(box)
    const taken = await strangerSets(box, victim.email)
    const free = await strangerSets(box, `free.${uniqueUsername()}@example.org`)
    expect(taken.status).toBe(free.status)
    const shape = (body: Record<string, string>) => ({
      keys: Object.keys(body).sort(),
      expiresIn: Math.round((Date.parse(body.expiresAt!) - Date.now()) / 60000),
    })
    const [a, b] = [await taken.json(), await free.json()] as Record<string, string>[]
    expect(shape(a!)).toEqual(shape(b!))
    expect(a!.email).toBe(victim.email)
    // One mail: to the free address. No token was issued for the victim's.
    expect(box.sent.map((m) => m.to)).not.toContain(victim.email)
    expect(box.sent).toHaveLength(1)
    const { n } = (await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM email_tokens WHERE email = ? COLLATE NOCASE AND purpose = 'verify_email'`,
    )
      .bind(victim.email)
      .first<{ n: number }>())!
    expect(n).toBe(0)
    // At sign-up too: the account is made, and nothing is mailed.
    expect((await strangerRegisters(box, victim.email)).status).toBe(201)
    expect(box.sent).toHaveLength(1)
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
    clock.advance(5 * 60 * 1000) // one reset mail an interval
    await forgot(box, username)
    const second = box.token('reset-password')
    await expectProblem(await reset(box, first), 400, 'invalid_email_token')
    expect((await reset(box, second)).status).toBe(204)
    await expectProblem(
      await reset(box, second, 'yet another passphrase'),
      400,
      'invalid_email_token',
    )

    clock.advance(5 * 60 * 1000) // the next interval
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

describe('ways in that survive a reset', () => {
  /** A passkey added to the account (as an intruder with a session and the password would). */
  /** Two-factor on, confirmed with the current code: the app's codes, and the recovery codes. */
  async function turnTotpOn(as: Awaited<ReturnType<typeof withEmail>>['as']) {
    const { secret } = (await (
      await as('POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as { secret: string }
    const codeAt = (steps: number) =>
      generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)
    const confirm = await as('POST', '/users/me/totp/verify', { code: codeAt(0) })
    expect(confirm.status).toBe(200)
    const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] }
    return { codeAt, recoveryCodes }
  }

  async function addPasskey(as: Awaited<ReturnType<typeof withEmail>>['as'], name: string) {
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const options = await (
      await as('POST', '/users/me/passkeys/options', { password: PASSWORD })
    ).json()
    const credential = await authenticator.create(options as never)
    const res = await as('POST', '/users/me/passkeys', { credential, name })
    expect(res.status).toBe(201)
    return { authenticator, id: ((await res.json()) as { id: string }).id }
  }
  const passkeySignIn = async (authenticator: SoftPasskey) => {
    const options = await (await sendJson('POST', '/login/passkey/options', '')).json()
    const credential = await authenticator.get(options as never)
    return (await sendJson('POST', '/login/passkey', { credential })).status
  }
  const inspect = (box: Box, token: string) =>
    box.call('/password/reset/inspect', jsonInit('POST', { token }))
  const resetWith = (box: Box, token: string, extra: object, newPassword = NEW_PASSWORD) =>
    box.call('/password/reset', jsonInit('POST', { token, newPassword, ...extra }))
  /** A new reset link now: the interval that allows one mail is over (as if five minutes passed). */
  const linkFor = async (box: Box, username: string) => {
    await env.DB.prepare(`DELETE FROM email_quota WHERE address LIKE 'reset:%'`).run()
    await forgot(box, username)
    return box.token('reset-password')
  }

  it('shows the passkeys without spending the link; one kept survives, one removed is gone', async () => {
    const box = mailbox()
    const { username, as } = await withEmail(box)
    const intruder = await addPasskey(as, 'Intruder key')
    const token = await linkFor(box, username)
    for (let i = 0; i < 2; i++) {
      const res = await inspect(box, token)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const ways = (await res.json()) as {
        passkeys: { id: string; name: string; createdAt: string }[]
        totp: { enabled: boolean }
      }
      expect(ways.passkeys.map((p) => [p.id, p.name])).toEqual([[intruder.id, 'Intruder key']])
      expect(Date.parse(ways.passkeys[0]!.createdAt)).toBeGreaterThan(Date.now() - 60_000)
      expect(ways.totp).toEqual({ enabled: false })
    }
    // Removing nothing keeps it: the intruder still signs in.
    expect((await reset(box, token)).status).toBe(204)
    expect(await passkeySignIn(intruder.authenticator)).toBe(200)
    // The used link shows nothing any more.
    await expectProblem(await inspect(box, token), 400, 'invalid_email_token')

    const second = await linkFor(box, username)
    expect(
      (await resetWith(box, second, { removePasskeys: [intruder.id] }, 'another new one!')).status,
    ).toBe(204)
    expect(await passkeySignIn(intruder.authenticator)).toBe(401)
    expect((await login(username, 'another new one!')).status).toBe(200)
  })

  it('removes every passkey with "all"', async () => {
    const box = mailbox()
    const { username, as } = await withEmail(box)
    const one = await addPasskey(as, 'One')
    const two = await addPasskey(as, 'Two')
    const token = await linkFor(box, username)
    expect((await resetWith(box, token, { removePasskeys: 'all' })).status).toBe(204)
    expect(await passkeySignIn(one.authenticator)).toBe(401)
    expect(await passkeySignIn(two.authenticator)).toBe(401)
  })

  it('turns two-factor off only when asked, and only with a code: the mailbox alone is not enough', async () => {
    const box = mailbox()
    const { username, as } = await withEmail(box)
    const { codeAt, recoveryCodes } = await turnTotpOn(as)
    const token = await linkFor(box, username)
    expect(((await (await inspect(box, token)).json()) as { totp: unknown }).totp).toEqual({
      enabled: true,
    })
    // Asked without a code, or with a wrong one: refused, the link still good, two-factor on.
    const wrong = codeAt(0) === '000000' ? '111111' : '000000'
    for (const extra of [{ disableTotp: true }, { disableTotp: true, code: wrong }]) {
      await expectProblem(await resetWith(box, token, extra), 401, 'invalid_mfa_code')
      expect((await inspect(box, token)).status).toBe(200)
      await expectProblem(await login(username, PASSWORD), 401, 'mfa_required')
    }
    // Not asked: the reset keeps two-factor.
    expect((await reset(box, token)).status).toBe(204)
    await expectProblem(await login(username, NEW_PASSWORD), 401, 'mfa_required')
    // Asked with a recovery code (a current app code works the same way): off.
    const again = await linkFor(box, username)
    const res = await resetWith(
      box,
      again,
      { disableTotp: true, code: recoveryCodes[0] },
      'third passphrase',
    )
    expect(res.status).toBe(204)
    expect((await login(username, 'third passphrase')).status).toBe(200)
  })

  it('refuses a link mailed before a password change, even one the change has not ended yet', async () => {
    const box = mailbox()
    const { username, email } = await withEmail(box)
    const token = await linkFor(box, username)
    // The password changes without ending the link (as a change racing the reset would).
    const hash = await env.DB.prepare('SELECT password_hash AS h FROM users WHERE email = ?')
      .bind(email)
      .first<{ h: string }>()
    await env.DB.prepare("UPDATE users SET password_hash = ? || 'x' WHERE email = ?")
      .bind(hash!.h, email)
      .run()
    await expectProblem(await inspect(box, token), 400, 'invalid_email_token')
    await expectProblem(await reset(box, token), 400, 'invalid_email_token')
    await expectProblem(await login(username, NEW_PASSWORD), 401, 'invalid_credentials')
  })

  it('refuses another account’s passkey ids, spending nothing, and that passkey survives', async () => {
    const box = mailbox()
    const victim = await withEmail(box)
    const other = await withEmail(box)
    const theirs = await addPasskey(other.as, 'Not yours')
    const token = await linkFor(box, victim.username)
    for (const removePasskeys of [[theirs.id], ['no-such-passkey']]) {
      await expectProblem(await resetWith(box, token, { removePasskeys }), 404, 'passkey_not_found')
    }
    expect(await passkeySignIn(theirs.authenticator)).toBe(200)
    // Nothing of the reset happened, and the link still works.
    expect((await login(victim.username, PASSWORD)).status).toBe(200)
    expect((await reset(box, token)).status).toBe(204)
    expect(await passkeySignIn(theirs.authenticator)).toBe(200)
  })

  it('shows nothing for a link of another purpose, a made-up token, or none', async () => {
    const box = mailbox()
    const { as } = await withEmail(box)
    await as('PUT', '/users/me/email', {
      email: `other.${uniqueUsername()}@example.org`,
      password: PASSWORD,
    })
    const verifyToken = box.token('verify-email')
    for (const token of [verifyToken, 'A'.repeat(43), 'x']) {
      await expectProblem(await inspect(box, token), 400, 'invalid_email_token')
      const page = await box.call(`/reset-password?token=${token}`)
      expect(page.status).toBe(400)
      expect(await page.text()).not.toContain('name="newPassword"')
    }
    // Neither look spent the address link.
    expect((await box.call('/email/verify', jsonInit('POST', { token: verifyToken }))).status).toBe(
      200,
    )
  })

  it('refuses malformed removals with validation_failed, spending nothing', async () => {
    const box = mailbox()
    const { username } = await withEmail(box)
    const token = await linkFor(box, username)
    for (const extra of [
      { removePasskeys: 'some' },
      { removePasskeys: [''] },
      { removePasskeys: Array.from({ length: 101 }, (_, i) => `id${i}`) },
      { disableTotp: 'yes' },
      { removeAll: true },
    ]) {
      await expectProblem(await resetWith(box, token, extra), 400, 'validation_failed')
    }
    await expectProblem(
      await box.call('/password/reset/inspect', jsonInit('POST', { token, extra: 1 })),
      400,
      'validation_failed',
    )
    expect((await reset(box, token)).status).toBe(204)
  })

  it('tells the address, in the reset notice, which passkeys remain and whether two-factor is on', async () => {
    const box = mailbox()
    const { username, email, as } = await withEmail(box)
    const kept = await addPasskey(as, 'Kept <b>key</b>')
    const gone = await addPasskey(as, 'Removed key')
    const token = await linkFor(box, username)
    box.sent.length = 0
    expect((await resetWith(box, token, { removePasskeys: [gone.id] })).status).toBe(204)
    const notice = box.sent.find((m) => m.text.includes('reset by email'))!
    expect(notice.to).toBe(email)
    // The date as English writes it, in UTC (i18n/dates.ts).
    const day = date('en', Date.now())
    expect(notice.text).toContain(`Passkey “Kept <b>key</b>”, added ${day}`)
    expect(notice.html).toContain('Kept &lt;b&gt;key&lt;/b&gt;')
    expect(notice.text).not.toContain('Removed key')
    expect(notice.text).toContain('Two-factor authentication is off.')
    expect(notice.text).toContain('/account')
    expect(notice.text).not.toMatch(/token=|https?:\/\//)
    expect(kept.id).not.toBe(gone.id)
  })

  it('on the hosted page: lists them with a box each, spends nothing on opening, removes the ticked', async () => {
    const box = mailbox()
    const { username, as } = await withEmail(box)
    const intruder = await addPasskey(as, 'Intruder key')
    const token = await linkFor(box, username)
    for (let i = 0; i < 2; i++) {
      const page = await box.call(`/reset-password?token=${token}`)
      expect(page.status).toBe(200)
      const text = await page.text()
      expect(text).toContain('Intruder key')
      expect(text).toContain(`name="remove-passkey:${intruder.id}"`)
      expect(text).toContain('Two-factor authentication is off.')
    }
    const done = await box.call('/reset-password', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: new URLSearchParams({
        token,
        newPassword: NEW_PASSWORD,
        [`remove-passkey:${intruder.id}`]: 'on',
      }).toString(),
    })
    expect(done.status).toBe(303)
    expect(await passkeySignIn(intruder.authenticator)).toBe(401)
    // A spent link shows the dead-link page, and nothing of the account.
    const dead = await box.call(`/reset-password?token=${token}`)
    expect(dead.status).toBe(400)
    const text = await dead.text()
    expect(text).toContain('used, expired, or replaced')
    expect(text).not.toContain('Intruder key')
    expect(text).not.toContain('name="newPassword"')
  })

  it('on the hosted page: turns two-factor off only with a code, keeping the form and the link', async () => {
    const box = mailbox()
    const { username, as } = await withEmail(box)
    const { codeAt } = await turnTotpOn(as)
    const token = await linkFor(box, username)
    const page = await (await box.call(`/reset-password?token=${token}`)).text()
    expect(page).toContain('name="disableTotp"')
    expect(page).toContain('name="code"')
    const post = (fields: Record<string, string>) =>
      box.call('/reset-password', {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
        body: new URLSearchParams({ token, newPassword: NEW_PASSWORD, ...fields }).toString(),
      })
    const refused = await post({ disableTotp: 'on' })
    expect(refused.status).toBe(401)
    const again = await refused.text()
    expect(again).toContain('That code is wrong')
    expect(again).toContain('name="newPassword"')
    expect(again).toMatch(/name="disableTotp"\s+checked/)
    // The link still works, now with a code.
    const done = await post({ disableTotp: 'on', code: codeAt(1) })
    expect(done.status).toBe(303)
    expect((await login(username, NEW_PASSWORD)).status).toBe(200)
  })
})
