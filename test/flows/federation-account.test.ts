// Federated sign-in meeting accounts that already exist: connecting a provider from /account,
// disconnecting it, automatic linking by an address both sides verified (and never otherwise),
// and two-factor, which a provider sign-in does not skip.
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { describe, expect, it } from 'vitest'
import { totpStep } from '../../src/auth/totp'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { ORIGIN, PASSWORD, REFRESH_COOKIE, bearer, jsonInit, sendJson, signedIn } from '../helpers'
import { pageSignIn } from '../pages/forms'
import {
  STATE_COOKIE,
  browse,
  callback,
  cookies,
  federatedSignIn,
  providerEnv,
  sessionOf,
  setCookie,
  accountPost as postForm,
} from '../federation/flow'
import { signInAtProvider } from '../federation/openid-provider'

const box = mailbox()
const env = { ...box.env, ...providerEnv({ local: {} }) }
const person = (email = `p-${crypto.randomUUID().slice(0, 8)}@example.org`, verified = true) => ({
  sub: `p-${crypto.randomUUID()}`,
  email,
  email_verified: verified,
  preferred_username: `p${crypto.randomUUID().slice(0, 6)}`,
})

/** The account page's form post, with this file's bindings. */
const accountPost = (path: string, refresh: string, fields: Record<string, string> = {}) =>
  postForm(env, path, refresh, fields)

/** Connecting adds a way in: these accounts have a password, which confirms it. */
const CONFIRM = { connectPassword: PASSWORD }

/** Connects `who` at the provider to the account signed in by `refresh`: the callback's answer. */
async function connect(refresh: string, who: ReturnType<typeof person>, stateFor = refresh) {
  const start = await accountPost('/account/identities/local/connect', stateFor, CONFIRM)
  expect(start.status).toBe(302)
  const state = setCookie(start, STATE_COOKIE('local'))!
  const back = await signInAtProvider(start.headers.get('location')!, who)
  return callback(env, back, { [STATE_COOKIE('local')]: state, [REFRESH_COOKIE]: refresh })
}

describe('connecting a provider from /account', () => {
  it('connects it, after which it signs in to this account; disconnecting undoes that', async () => {
    const { username, user } = await signedIn('conn')
    const refresh = await pageSignIn(username)
    const who = person()
    const res = await connect(refresh, who)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/account?done=connected')

    const page = await browse(env, '/account', {
      headers: { Cookie: cookies({ [REFRESH_COOKIE]: refresh }) },
    })
    const html = await page.text()
    expect(html).toContain('Local local')
    expect(html).toContain('/account/identities/local/remove')

    const signIn = await federatedSignIn(env, who)
    expect((await sessionOf(env, signIn.refresh!)).claims.sub).toBe(user.id)

    const removed = await accountPost('/account/identities/local/remove', refresh)
    expect(removed.status).toBe(303)
    expect(removed.headers.get('location')).toBe('/account?done=disconnected')
    // Now the same identity is a stranger again: a new account, not this one.
    const after = await federatedSignIn(env, who)
    expect((await sessionOf(env, after.refresh!)).claims.sub).not.toBe(user.id)
  })

  it('refuses an identity that already signs in to another account', async () => {
    const who = person()
    await federatedSignIn(env, who)
    const { username } = await signedIn('conn')
    const refresh = await pageSignIn(username)
    const res = await connect(refresh, who)
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('already signs in to another account')
  })

  it('refuses a second identity at the same provider', async () => {
    const { username } = await signedIn('conn')
    const refresh = await pageSignIn(username)
    expect((await connect(refresh, person())).status).toBe(303)
    const res = await connect(refresh, person())
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('disconnect it first')
  })

  it("connects nothing when the callback comes back to another account's browser", async () => {
    const victim = await signedIn('victim')
    const victimRefresh = await pageSignIn(victim.username)
    const attacker = await signedIn('attacker')
    const attackerRefresh = await pageSignIn(attacker.username)
    // The attacker starts connecting their own account and gets the victim's browser to finish it.
    const start = await accountPost('/account/identities/local/connect', attackerRefresh, CONFIRM)
    const state = setCookie(start, STATE_COOKIE('local'))!
    const back = await signInAtProvider(start.headers.get('location')!, person())
    const res = await callback(env, back, {
      [STATE_COOKIE('local')]: state,
      [REFRESH_COOKIE]: victimRefresh,
    })
    expect(res.status).toBe(400)
    const list = await sendJson('GET', '/users/me/identities', undefined, {})
    expect(list.status).toBe(401)
    const auth = bearer(victim.tokens.accessToken)
    const victims = await browse(env, '/users/me/identities', auth)
    expect(await victims.json()).toEqual([])
    const attackers = await browse(env, '/users/me/identities', bearer(attacker.tokens.accessToken))
    expect(await attackers.json()).toEqual([])
  })

  it('needs the password of an account that has one, and starts nothing without it', async () => {
    const { username } = await signedIn('conn')
    const refresh = await pageSignIn(username)
    for (const fields of [{}, { connectPassword: 'not the password at all' }] as Record<
      string,
      string
    >[]) {
      const res = await accountPost('/account/identities/local/connect', refresh, fields)
      expect(res.status).toBe(401)
      expect(setCookie(res, STATE_COOKIE('local'))).toBeNull()
    }
  })

  it('needs a form post from this origin', async () => {
    const { username } = await signedIn('conn')
    const refresh = await pageSignIn(username)
    const res = await browse(env, '/account/identities/local/connect', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: 'https://evil.example',
        Cookie: cookies({ [REFRESH_COOKIE]: refresh }),
      },
      body: '',
    })
    expect(res.status).toBe(403)
    expect(setCookie(res, STATE_COOKIE('local'))).toBeNull()
  })
})

describe('linking by address', () => {
  it('joins an account whose verified address the provider verified too, and tells it', async () => {
    const owner = await withVerifiedEmail(box, 'link')
    const { refresh } = await federatedSignIn(env, person(owner.email))
    expect((await sessionOf(env, refresh!)).claims.sub).toBe(owner.user.id)
    expect(box.sent.map((mail) => mail.to)).toContain(owner.email)
    expect(box.sent.at(-1)!.text).toContain('Provider: Local local')
  })

  it('never joins by the address of a provider not trusted with addresses (the default)', async () => {
    const owner = await withVerifiedEmail(box, 'link')
    const untrusted = providerEnv({ other: { settings: { trustEmail: false } } }, box.env)
    const { refresh } = await federatedSignIn(untrusted, person(owner.email), { id: 'other' })
    expect((await sessionOf(untrusted, refresh!)).claims.sub).not.toBe(owner.user.id)
    expect(box.sent).toEqual([])
  })

  it('never joins by an address the provider did not verify', async () => {
    const owner = await withVerifiedEmail(box, 'link')
    const { refresh } = await federatedSignIn(env, person(owner.email, false))
    expect((await sessionOf(env, refresh!)).claims.sub).not.toBe(owner.user.id)
    expect(box.sent).toEqual([])
  })

  it('never joins by an address the account has not verified', async () => {
    const { user, tokens, username } = await signedIn('unverified')
    const email = `${username}@example.org`.toLowerCase()
    // Asked for, never confirmed.
    await box.call(
      '/users/me/email',
      jsonInit('PUT', { email, password: PASSWORD }, bearer(tokens.accessToken).headers),
    )
    const { refresh } = await federatedSignIn(env, person(email))
    expect((await sessionOf(env, refresh!)).claims.sub).not.toBe(user.id)
  })
})

describe('a reset', () => {
  it('lists the connected providers among the ways in that remain, in the page and the notice', async () => {
    const owner = await withVerifiedEmail(box, 'reset')
    const refresh = await pageSignIn(owner.username)
    expect((await connect(refresh, person())).status).toBe(303)
    box.sent.length = 0
    await box.call('/password/forgot', jsonInit('POST', { login: owner.username }))
    const token = box.token('reset-password')
    const ways = await box.call('/password/reset/inspect', jsonInit('POST', { token }))
    expect(await ways.json()).toMatchObject({ identities: [{ provider: 'local' }] })
    const page = await box.call(`/reset-password?token=${token}`)
    expect(await page.text()).toContain('<strong>local</strong>')
    const reset = await box.call(
      '/password/reset',
      jsonInit('POST', { token, newPassword: 'a brand new long password' }),
    )
    expect(reset.status).toBe(204)
    expect(box.sent.at(-1)!.text).toContain('Signing in with “local”')
  })
})

describe('two-factor', () => {
  it('asks a provider sign-in for the code too, and the session says both', async () => {
    const { username, user, tokens } = await signedIn('fedtotp')
    const as = bearer(tokens.accessToken).headers
    const enrol = await sendJson('POST', '/users/me/totp', { password: PASSWORD }, as)
    const { secret } = (await enrol.json()) as { secret: string }
    const code = (steps: number) =>
      generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)
    const confirm = await sendJson('POST', '/users/me/totp/verify', { code: code(0) }, as)
    const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] }
    const who = person()
    // Connect with a cookie session made by the two steps of the hosted sign-in.
    const first = await browse(env, '/signin', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: new URLSearchParams({ username, password: PASSWORD }).toString(),
    })
    const mfaToken = /name="mfaToken" value="([^"]+)"/.exec(await first.text())![1]!
    const second = await browse(env, '/signin/mfa', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: new URLSearchParams({ mfaToken, code: code(1) }).toString(),
    })
    const cookie = setCookie(second, REFRESH_COOKIE)!
    expect((await connect(cookie, who)).status).toBe(303)

    const { res, refresh: none } = await federatedSignIn(env, who)
    expect(res.status).toBe(200)
    expect(none).toBeNull()
    const page = await res.text()
    expect(page).toContain('action="/signin/mfa"')
    const fedToken = /name="mfaToken" value="([^"]+)"/.exec(page)![1]!
    const done = await browse(env, '/signin/mfa', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN },
      body: new URLSearchParams({
        mfaToken: fedToken,
        code: recoveryCodes[0]!,
        return_to: '/account',
      }).toString(),
    })
    expect(done.status).toBe(303)
    const { claims } = await sessionOf(env, setCookie(done, REFRESH_COOKIE)!)
    expect(claims).toMatchObject({ sub: user.id, amr: ['fed', 'otp'], idp: 'local' })
  })
})
