// Signing in with a code mailed to the account's verified address, through the worker on real D1
// and KV: the same answer for any address, one code a minute, 5 tries, 10 minutes, once; wrong
// codes in the account's login backoff; two-factor still asked.
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { afterEach, describe, expect, it } from 'vitest'
import { totpStep } from '../../src/auth/totp'
import {
  EMAIL_CODE_INTERVAL,
  EMAIL_CODE_TRIES_PER_DAY,
  EMAIL_CODE_TTL_MS,
} from '../../src/services/email-codes'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { PASSWORD, bearer, freezeTime, jsonInit, sendJson } from '../helpers'

const box = mailbox()
let clock: ReturnType<typeof freezeTime> | undefined
afterEach(() => {
  clock?.restore()
  clock = undefined
})

const ask = (email: string) => box.call('/login/email-code', jsonInit('POST', { email }))
const verify = (email: string, code: string, extra: object = {}) =>
  box.call('/login/email-code/verify', jsonInit('POST', { email, code, ...extra }))
/** The code in the newest mail to exactly `to`. */
const codeIn = (to: string) => {
  const mail = box.sent.filter((m) => m.to === to).at(-1)
  return /Your code is ([0-9]{6})/.exec(mail!.text)![1]!
}
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')
const claimsOf = async (res: Response) => {
  const { accessToken } = (await res.json()) as { accessToken: string }
  return JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
    sub: string
    amr: string[]
  }
}

describe('POST /login/email-code', () => {
  it('mails a 6-digit code that signs the account in once, amr email', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    const res = await ask(owner.email.toUpperCase())
    expect(res.status).toBe(202)
    // To the address as the account verified it, not as the request spelled it.
    expect(box.sent.map((mail) => mail.to)).toEqual([owner.email])
    const code = codeIn(owner.email)
    const signIn = await verify(owner.email, code)
    expect(signIn.status).toBe(200)
    expect(await claimsOf(signIn)).toMatchObject({ sub: owner.user.id, amr: ['email'] })
    expect((await verify(owner.email, code)).status).toBe(401)
  })

  it('answers an address with no account exactly alike, and mails nothing', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    const known = await ask(owner.email)
    const unknown = await ask(`nobody-${crypto.randomUUID().slice(0, 8)}@example.org`)
    expect(unknown.status).toBe(known.status)
    expect(await unknown.json()).toEqual(await known.json())
    expect(box.sent.map((mail) => mail.to)).toEqual([owner.email])
  })

  it('sends nothing new within five minutes, so the code the owner holds keeps working', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    clock = freezeTime()
    await ask(owner.email)
    const first = codeIn(owner.email)
    await ask(owner.email)
    await ask(owner.email)
    expect(box.sent).toHaveLength(1)
    expect((await verify(owner.email, wrong(first))).status).toBe(401)
    clock.advance(EMAIL_CODE_INTERVAL.windowMs + 1000)
    await ask(owner.email)
    expect(box.sent).toHaveLength(2)
    // The newest replaces it.
    expect((await verify(owner.email, first)).status).toBe(
      first === codeIn(owner.email) ? 200 : 401,
    )
  })

  it('allows 5 tries per code, then not even the right one', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    await ask(owner.email)
    const code = codeIn(owner.email)
    for (let i = 0; i < 5; i++) {
      const res = await verify(owner.email, wrong(code))
      expect(res.status).toBe(401)
      expect(((await res.json()) as { code: string }).code).toBe('invalid_email_code')
    }
    // This network is now held back (429); from another, the sixth try finds the code out of
    // tries: refused before anything is compared.
    expect((await verify(owner.email, code)).status).toBe(429)
    const elsewhere = await box.call(
      '/login/email-code/verify',
      jsonInit('POST', { email: owner.email, code }, { 'cf-connecting-ip': '2001:db8:77::1' }),
    )
    expect(elsewhere.status).toBe(401)
  })

  it('stops working after 10 minutes', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    clock = freezeTime()
    await ask(owner.email)
    clock.advance(EMAIL_CODE_TTL_MS + 1)
    expect((await verify(owner.email, codeIn(owner.email))).status).toBe(401)
  })

  it('signs in once when two requests bring the right code together', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    await ask(owner.email)
    const code = codeIn(owner.email)
    const answers = await Promise.all([verify(owner.email, code), verify(owner.email, code)])
    expect(answers.map((res) => res.status).sort()).toEqual([200, 401])
  })

  it('counts wrong codes in the account login backoff, with the password', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    await ask(owner.email)
    const code = codeIn(owner.email)
    for (let i = 0; i < 5; i++) await verify(owner.email, wrong(code))
    // The same budget as the password's: this network is held back for the account.
    const login = await box.call(
      '/login',
      jsonInit('POST', { username: owner.username, password: PASSWORD }),
    )
    expect(login.status).toBe(429)
  })

  it('signs no one in with a code mailed to an address the account has since replaced', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    await ask(owner.email)
    const code = codeIn(owner.email)
    const next = `new-${owner.email}`
    await owner.as('PUT', '/users/me/email', { email: next, password: PASSWORD })
    await box.call('/email/verify', jsonInit('POST', { token: box.token() }))
    expect((await verify(owner.email, code)).status).toBe(401)
  })

  it('asks for the second factor when two-factor is on; the session says email and otp', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    const as = bearer(owner.tokens.accessToken).headers
    const enrol = await sendJson('POST', '/users/me/totp', { password: PASSWORD }, as)
    const { secret } = (await enrol.json()) as { secret: string }
    const confirm = await sendJson(
      'POST',
      '/users/me/totp/verify',
      { code: generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now())), 6) },
      as,
    )
    const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] }
    await ask(owner.email)
    const first = await verify(owner.email, codeIn(owner.email))
    const problem = (await first.json()) as { code: string; mfaToken: string }
    expect(problem.code).toBe('mfa_required')
    const done = await sendJson('POST', '/login/mfa', {
      mfaToken: problem.mfaToken,
      code: recoveryCodes[0],
    })
    expect(done.status).toBe(200)
    expect(await claimsOf(done)).toMatchObject({ sub: owner.user.id, amr: ['email', 'otp'] })
  })

  it('sends a new code inside the interval when the last one is out of tries', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    await ask(owner.email)
    const code = codeIn(owner.email)
    for (let i = 0; i < 5; i++) await verify(owner.email, wrong(code))
    await ask(owner.email)
    expect(box.sent).toHaveLength(2)
  })

  it('answers a locked account and an unknown address alike at verify', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    const nobody = `nobody-${crypto.randomUUID().slice(0, 8)}@example.org`
    for (const address of [owner.email, nobody]) {
      for (let i = 0; i < 5; i++) {
        await box.call(
          '/login',
          jsonInit('POST', { username: address, password: 'not the password' }),
        )
      }
    }
    await ask(owner.email)
    const [known, unknown] = await Promise.all([
      verify(owner.email, codeIn(owner.email)),
      verify(nobody, '123456'),
    ])
    expect(known.status).toBe(429)
    expect(unknown.status).toBe(429)
  })

  it('stops taking codes for an address after a day of tries, the right one too', async () => {
    const owner = await withVerifiedEmail(box, 'code')
    clock = freezeTime()
    for (let round = 0; round * 5 < EMAIL_CODE_TRIES_PER_DAY.max; round++) {
      await ask(owner.email)
      const code = codeIn(owner.email)
      for (let i = 0; i < 5; i++) await verify(owner.email, wrong(code))
      // Past the network's backoff and the mail interval, as a patient guesser would be.
      clock.advance(EMAIL_CODE_INTERVAL.windowMs + 16 * 60 * 1000)
    }
    await ask(owner.email)
    expect((await verify(owner.email, codeIn(owner.email))).status).toBe(401)
  })

  it('refuses a code that is not 6 digits before looking', async () => {
    const res = await verify('a@example.org', '12345')
    expect(res.status).toBe(400)
  })
})
