// Security notices through the worker: what changes a verified address hears of, sent after the
// response (a capturing mailer), and that nothing fails for want of an address or of email.
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { totpStep } from '../../src/auth/totp'
import { softAuthenticator } from '../doubles/authenticator'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { ORIGIN, PASSWORD, bearer, callSettling, callWithEnv, jsonInit, signedIn } from '../helpers'

type Box = ReturnType<typeof mailbox>

const withEmail = (box: Box) => withVerifiedEmail(box, 'notice')

const subjects = (box: Box) => box.sent.map((m) => m.subject)
const said = (box: Box) => box.sent.map((m) => m.text.split('\n')[0]!.replace(/ \(.*\)$/, ''))

describe('security notices', () => {
  it('tell the verified address of a password change, with no link in them', async () => {
    const box = mailbox()
    const { email, as } = await withEmail(box)
    const res = await as('POST', '/users/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another passphrase',
    })
    expect(res.status).toBe(204)
    expect(box.sent.map((m) => m.to)).toEqual([email])
    expect(subjects(box)).toEqual(['Security notice from auth.example'])
    expect(said(box)).toEqual([
      'The password of your account was changed, and your other sessions ended.',
    ])
    expect(box.sent[0]!.html).not.toMatch(/<a |href=/)
  })

  it('tell of two-factor turned on and off, and of passkeys added and removed', async () => {
    const box = mailbox()
    const { as } = await withEmail(box)
    const { secret } = (await (
      await as('POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as {
      secret: string
    }
    const code = (steps: number) =>
      generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)
    expect((await as('POST', '/users/me/totp/verify', { code: code(0) })).status).toBe(200)
    expect((await as('DELETE', '/users/me/totp', { password: PASSWORD })).status).toBe(204)
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const options = await (
      await as('POST', '/users/me/passkeys/options', { password: PASSWORD })
    ).json()
    const credential = await authenticator.create(options as never)
    expect((await as('POST', '/users/me/passkeys', { credential })).status).toBe(201)
    expect((await as('DELETE', `/users/me/passkeys/${authenticator.id}`)).status).toBe(204)
    expect(said(box)).toEqual([
      'Two-factor authentication was turned on for your account.',
      'Two-factor authentication was turned off for your account.',
      'A passkey was added to your account.',
      'A passkey was removed from your account.',
    ])
  })

  it('tell of a session ended because its refresh token was used twice', async () => {
    const box = mailbox()
    const { tokens } = await withEmail(box)
    // No reuse window: presenting a token the chain has moved past is reuse at once.
    const refresh = async (token: string) => {
      const env = { ...box.env, REFRESH_REUSE_WINDOW: '0' }
      const { answered, settled } = callSettling(env, '/token', jsonInit('POST', { token }))
      await settled
      return answered
    }
    const first = (await (await refresh(tokens.refreshToken)).json()) as { refreshToken: string }
    expect((await refresh(first.refreshToken)).status).toBe(200)
    // The first token again: someone else holds a copy of the chain.
    expect((await refresh(tokens.refreshToken)).status).toBe(401)
    expect(said(box).at(-1)).toMatch(/^A sign-in of your account was ended/)
  })

  it('tell the old address when another one replaces it', async () => {
    const box = mailbox()
    const { email, as } = await withEmail(box)
    const next = `next.${email}`
    await as('PUT', '/users/me/email', { email: next, password: PASSWORD })
    await box.call('/email/verify', jsonInit('POST', { token: box.token() }))
    const notice = box.sent.find((m) => m.subject.startsWith('Security notice'))!
    expect(notice.to).toBe(email)
    expect(notice.text).toContain('another email address')
  })

  it('cannot be silenced by spending the address’s link quota', async () => {
    const box = mailbox()
    const { username, as } = await withEmail(box)
    for (let i = 0; i < 5; i++) {
      await box.call('/password/forgot', jsonInit('POST', { login: username }))
    }
    box.sent.length = 0
    await as('POST', '/users/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another passphrase',
    })
    expect(said(box)).toEqual([
      'The password of your account was changed, and your other sessions ended.',
    ])
  })

  it('count each kind apart: password changes cannot silence "your address changed"', async () => {
    const box = mailbox()
    const { email, as } = await withEmail(box)
    // The hour's budget of password-change notices is spent (as ten changes would spend it).
    await env.DB.prepare('INSERT INTO email_quota (address, window_start, sent) VALUES (?, ?, 10)')
      .bind(`notice:password_changed:${email.toLowerCase()}`, Date.now())
      .run()
    await as('POST', '/users/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another passphrase',
    })
    expect(said(box)).toEqual([])
    const next = `next.${email}`
    await as('PUT', '/users/me/email', { email: next, password: 'another passphrase' })
    await box.call('/email/verify', jsonInit('POST', { token: box.token() }))
    const notice = box.sent.find((m) => m.subject.startsWith('Security notice'))!
    expect(notice.to).toBe(email)
    expect(notice.text).toContain('another email address')
  })

  it('are not sent without a verified address, and never fail what they tell of', async () => {
    const box = mailbox()
    const { tokens } = await signedIn('notice')
    const change = await box.call(
      '/users/me/password',
      jsonInit(
        'POST',
        { currentPassword: PASSWORD, newPassword: 'another passphrase' },
        bearer(tokens.accessToken).headers,
      ),
    )
    expect(change.status).toBe(204)
    expect(box.sent).toEqual([])
    // With an address but no email set up: the change still succeeds.
    const withAddress = await withEmail(box)
    const unset = await callWithEnv(
      { MAIL_FROM: '' },
      '/users/me/password',
      jsonInit(
        'POST',
        { currentPassword: PASSWORD, newPassword: 'another passphrase' },
        bearer(withAddress.tokens.accessToken).headers,
      ),
    )
    expect(unset.status).toBe(204)
  })
})
