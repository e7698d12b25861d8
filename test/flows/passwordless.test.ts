// Accounts with no password (made by a first sign-in at a provider): what confirms a change to
// their ways in is a sign-in within the last 10 minutes, not a password they do not have; they
// can set one; and an account with a password still needs it.
import { describe, expect, it } from 'vitest'
import { REAUTHENTICATION_WINDOW_MS } from '../../src/services/account'
import {
  ORIGIN,
  PASSWORD,
  REFRESH_COOKIE,
  bearer,
  freezeTime,
  jsonInit,
  signedIn,
} from '../helpers'
import { mailbox } from '../doubles/mailbox'
import { browse, cookies, federatedSignIn, providerEnv, sessionOf } from '../federation/flow'

// Mail is set up, so the address route gets as far as its confirmation.
const env = providerEnv({ local: {} }, mailbox().env)
const person = () => ({
  sub: `pl-${crypto.randomUUID()}`,
  preferred_username: `pl${crypto.randomUUID().slice(0, 6)}`,
})

/** A fresh provider sign-in: its access token, username, and the refresh cookie. */
async function passwordless() {
  const who = person()
  const { refresh } = await federatedSignIn(env, who)
  const session = await sessionOf(env, refresh!)
  return { ...session, username: session.claims.username }
}

const as = (accessToken: string, method: string, path: string, body?: unknown) =>
  browse(
    env,
    path,
    body === undefined
      ? { method, ...bearer(accessToken) }
      : jsonInit(method, body, bearer(accessToken).headers),
  )

const codeOf = async (res: Response) => ((await res.json()) as { code: string }).code

describe('an account with no password', () => {
  it('sets its first password after a recent sign-in, then signs in with it', async () => {
    const account = await passwordless()
    const set = await as(account.accessToken, 'POST', '/users/me/password', {
      newPassword: PASSWORD,
    })
    expect(set.status).toBe(204)
    const login = await browse(
      env,
      '/login',
      jsonInit('POST', { username: account.username, password: PASSWORD }),
    )
    expect(login.status).toBe(200)
    // Now it has one, and it is what confirms the next change.
    const again = await as(account.accessToken, 'POST', '/users/me/password', {
      newPassword: 'another long password',
    })
    expect(again.status).toBe(401)
    expect(await codeOf(again)).toBe('invalid_credentials')
  })

  it('asks for a fresh sign-in once the last one is over 10 minutes old', async () => {
    const account = await passwordless()
    const clock = freezeTime()
    try {
      clock.advance(REAUTHENTICATION_WINDOW_MS + 1000)
      // The session lives on (its refresh token is good); only its sign-in is old.
      const { accessToken } = await sessionOf(env, account.refresh)
      for (const [method, path, body] of [
        ['POST', '/users/me/password', { newPassword: PASSWORD }],
        ['PUT', '/users/me/email', { email: 'pl@example.org' }],
        ['POST', '/users/me/passkeys/options', {}],
        ['POST', '/users/me/totp', {}],
        ['DELETE', '/users/me/totp', {}],
        ['DELETE', '/users/me', {}],
      ] as const) {
        const res = await as(accessToken, method, path, body)
        expect(res.status, `${method} ${path}`).toBe(401)
        expect(await codeOf(res)).toBe('reauthentication_required')
      }
      // Nothing changed: the account still has no password.
      const login = await browse(
        env,
        '/login',
        jsonInit('POST', { username: account.username, password: PASSWORD }),
      )
      expect(login.status).toBe(401)
    } finally {
      clock.restore()
    }
  })

  it('refuses a password it does not have', async () => {
    const account = await passwordless()
    const res = await as(account.accessToken, 'POST', '/users/me/passkeys/options', {
      password: PASSWORD,
    })
    expect(res.status).toBe(401)
    expect(await codeOf(res)).toBe('invalid_credentials')
  })

  it('is deleted with a recent sign-in alone', async () => {
    const account = await passwordless()
    expect((await as(account.accessToken, 'DELETE', '/users/me', {})).status).toBe(204)
    // Gone: its session refreshes no more, and its identity is free (a sign-in makes a new one).
    const resume = await browse(env, '/session/resume', {
      method: 'POST',
      headers: { Cookie: cookies({ [REFRESH_COOKIE]: account.refresh }), Origin: ORIGIN },
    })
    expect(await resume.json()).toEqual({ signedIn: false })
  })

  it('has an account page that offers to set a password and asks for none', async () => {
    const account = await passwordless()
    const page = await browse(env, '/account', {
      headers: { Cookie: cookies({ [REFRESH_COOKIE]: account.refresh }) },
    })
    const html = await page.text()
    expect(html).toContain('Set a password')
    expect(html).not.toContain('name="currentPassword"')
    expect(html).toContain('Your account has no password')
    const set = await browse(env, '/account/password', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: ORIGIN,
        Cookie: cookies({ [REFRESH_COOKIE]: account.refresh }),
      },
      body: new URLSearchParams({ currentPassword: '', newPassword: PASSWORD }).toString(),
    })
    expect(set.status).toBe(303)
  })
})

describe('an account with a password', () => {
  it('still needs it: leaving it out changes nothing', async () => {
    const { tokens } = await signedIn('haspw')
    const res = await as(tokens.accessToken, 'POST', '/users/me/password', {
      newPassword: 'another long password',
    })
    expect(res.status).toBe(401)
    expect(await codeOf(res)).toBe('invalid_credentials')
    const del = await as(tokens.accessToken, 'DELETE', '/users/me', {})
    expect(del.status).toBe(401)
  })
})
