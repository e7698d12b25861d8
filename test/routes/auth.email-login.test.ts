// POST /login and the hosted /signin with the account's verified address in place of the
// username: the same answers, one failure budget per account however it is named, and an
// address that is not (or no longer) verified naming nobody.
import { describe, expect, it } from 'vitest'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { PASSWORD, bearer, jsonInit, signedIn } from '../helpers'

const box = mailbox()
const login = (username: string, password = PASSWORD) =>
  box.call('/login', jsonInit('POST', { username, password }))

const subOf = async (res: Response) => {
  const { accessToken } = (await res.json()) as { accessToken: string }
  return JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
    sub: string
    username: string
  }
}

describe('POST /login with an email address', () => {
  it('signs in the account that verified it, in any case', async () => {
    const owner = await withVerifiedEmail(box, 'byemail')
    const res = await login(owner.email.toUpperCase())
    expect(res.status).toBe(200)
    expect(await subOf(res)).toMatchObject({ sub: owner.user.id, username: owner.username })
  })

  it('answers a wrong password, an unknown address and an unverified one alike', async () => {
    const owner = await withVerifiedEmail(box, 'byemail')
    const pending = await signedIn('pending')
    const address = `${pending.username}@example.org`.toLowerCase()
    await box.call(
      '/users/me/email',
      jsonInit(
        'PUT',
        { email: address, password: PASSWORD },
        bearer(pending.tokens.accessToken).headers,
      ),
    )
    const answers = await Promise.all([
      login(owner.email, 'wrong password here'),
      login(`nobody-${crypto.randomUUID().slice(0, 8)}@example.org`),
      login(address),
    ])
    const bodies = await Promise.all(answers.map((res) => res.json() as Promise<{ code: string }>))
    expect(answers.map((res) => res.status)).toEqual([401, 401, 401])
    expect(bodies.map((body) => body.code)).toEqual([
      'invalid_credentials',
      'invalid_credentials',
      'invalid_credentials',
    ])
  })

  it('counts failures by address and by username in one budget', async () => {
    const owner = await withVerifiedEmail(box, 'budget')
    // Five failures, alternating names, from one network: the sixth attempt is held back.
    for (let i = 0; i < 5; i++) {
      const res = await login(i % 2 ? owner.username : owner.email, 'wrong password here')
      expect(res.status).toBe(401)
    }
    const held = await login(owner.email)
    expect(held.status).toBe(429)
  })

  it('refuses something that is neither a username nor an address', async () => {
    const res = await login('not an address@')
    expect(res.status).toBe(400)
    expect(((await res.json()) as { code: string }).code).toBe('validation_failed')
  })
})

describe('the hosted /signin with an email address', () => {
  it('signs in and says it takes either', async () => {
    const owner = await withVerifiedEmail(box, 'pageemail')
    const page = await box.call('/signin')
    expect(await page.text()).toContain('Username or email address')
    const res = await box.call('/signin', {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: 'https://auth.example',
      },
      body: new URLSearchParams({ username: owner.email, password: PASSWORD }).toString(),
    })
    expect(res.status).toBe(303)
  })
})
