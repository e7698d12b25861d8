// Which language an account's email is written in: its own (set at sign-up, changed with
// PUT /users/me/language), whatever language the request that causes the mail asks for; the
// request's only for an account with none stored. And the brand in those emails: the name, and
// the logo on the public URL, never on the Host a request named.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Bindings } from '../../src/env'
import worker from '../../src/index'
import { mailbox } from '../doubles/mailbox'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  expectProblem,
  jsonInit,
  loginUser,
  uniqueUsername,
} from '../helpers'

type Box = ReturnType<typeof mailbox>

/** An account registered through the API with `headers`, its address verified through `box`. */
async function registered(box: Box, headers: Record<string, string> = {}) {
  const username = uniqueUsername('lang')
  const email = `${username}@example.org`.toLowerCase()
  const res = await box.call(
    '/register',
    jsonInit('POST', { username, password: PASSWORD, email }, headers),
  )
  expect(res.status).toBe(201)
  const verification = box.sent.at(-1)!
  expect((await box.call('/email/verify', jsonInit('POST', { token: box.token() }))).status).toBe(
    200,
  )
  box.sent.length = 0
  return { username, email, verification }
}

/** Every way a request can ask for Spanish at once: the query, the cookie, Accept-Language. */
const SPANISH = { 'Accept-Language': 'es', Cookie: '__Host-lang=es' }

const forgot = (box: Box, login: string, headers: Record<string, string> = SPANISH) =>
  box.call('/password/forgot?lang=es', jsonInit('POST', { login }, headers))

const storedLanguage = async (username: string) =>
  (
    await env.DB.prepare('SELECT language FROM users WHERE username = ?')
      .bind(username)
      .first<{ language: string | null }>()
  )?.language

describe('the language of an account’s email', () => {
  it('is the sign-up’s Accept-Language: the verification mail is French, and stored', async () => {
    const box = mailbox()
    const { username, verification } = await registered(box, {
      'Accept-Language': 'fr-CA, en;q=0.5',
    })
    expect(await storedLanguage(username)).toBe('fr')
    expect(verification.subject).toBe('Confirmez votre adresse e-mail pour auth.example')
    expect(verification.html).toContain('<html lang="fr">')
    expect(verification.text).not.toContain('Someone (we hope you)')
  })

  it('stays French when a request for a reset asks for Spanish (by query, cookie and header)', async () => {
    const box = mailbox()
    const { username, email } = await registered(box, { 'Accept-Language': 'fr' })
    expect((await forgot(box, username)).status).toBe(202)
    expect(box.sent).toHaveLength(1)
    const mail = box.sent[0]!
    expect(mail.to).toBe(email)
    expect(mail.subject).toBe('Réinitialisez votre mot de passe auth.example')
    expect(mail.html).toContain('<html lang="fr">')
    expect(mail.text).not.toMatch(/Restablece|contraseña|Reset your/)
  })

  it('stays French for a sign-in code asked for in Spanish, and for a notice caused in Spanish', async () => {
    const box = mailbox()
    const { username, email } = await registered(box, { 'Accept-Language': 'fr' })
    await box.call('/login/email-code?lang=es', jsonInit('POST', { email }, SPANISH))
    expect(box.sent.at(-1)!.subject).toBe('Votre code de connexion à auth.example')
    box.sent.length = 0
    const { accessToken } = await loginUser(username)
    const res = await box.call(
      '/users/me/password?lang=es',
      jsonInit(
        'POST',
        { currentPassword: PASSWORD, newPassword: 'another passphrase' },
        { ...bearer(accessToken).headers, ...SPANISH },
      ),
    )
    expect(res.status).toBe(204)
    expect(box.sent.map((m) => m.subject)).toEqual(['Avis de sécurité de auth.example'])
    expect(box.sent[0]!.text).toContain('Le mot de passe de votre compte a été modifié')
  })

  it('for an account with none stored (made before the column): English when anyone may ask, the owner’s request’s otherwise', async () => {
    const box = mailbox()
    const { username, email } = await registered(box)
    await env.DB.prepare('UPDATE users SET language = NULL WHERE username = ?').bind(username).run()
    // A reset or a code: whoever asks, in whatever language, the mail is English.
    expect((await forgot(box, username, { 'Accept-Language': 'es' })).status).toBe(202)
    expect(box.sent.at(-1)!.subject).toBe('Reset your auth.example password')
    expect(box.sent.at(-1)!.html).toContain('<html lang="en">')
    const before = box.sent.length
    await box.call('/login/email-code?lang=es', jsonInit('POST', { email }, SPANISH))
    expect(box.sent.length).toBe(before + 1)
    expect(box.sent.at(-1)!.subject).toBe('Your sign-in code for auth.example')
    // A change the owner makes, signed in: the notice in the owner's request's language.
    box.sent.length = 0
    const { accessToken } = await loginUser(username)
    const res = await box.call(
      '/users/me/password',
      jsonInit(
        'POST',
        { currentPassword: PASSWORD, newPassword: 'another passphrase' },
        { ...bearer(accessToken).headers, ...SPANISH },
      ),
    )
    expect(res.status).toBe(204)
    expect(box.sent.map((m) => m.subject)).toEqual(['Aviso de seguridad de auth.example'])
  })

  it('is English for an API sign-up with no Accept-Language, and an unknown or refused one', async () => {
    const box = mailbox()
    const plain = await registered(box)
    expect(await storedLanguage(plain.username)).toBe('en')
    const german = await registered(box, { 'Accept-Language': 'de, fr;q=0' })
    expect(await storedLanguage(german.username)).toBe('en')
    expect(german.verification.subject).toBe('Confirm your email address for auth.example')
  })

  it('ignores a cookie or query at API sign-up: Accept-Language alone says it', async () => {
    const box = mailbox()
    const username = uniqueUsername('lang')
    const res = await box.call(
      '/register?lang=es',
      jsonInit(
        'POST',
        { username, password: PASSWORD },
        { Cookie: '__Host-lang=es', 'Accept-Language': 'fr' },
      ),
    )
    expect(res.status).toBe(201)
    expect(await storedLanguage(username)).toBe('fr')
  })
})

describe('PUT /users/me/language', () => {
  it('changes it for every later mail, and GET reads it back', async () => {
    const box = mailbox()
    const { username } = await registered(box, { 'Accept-Language': 'fr' })
    const { accessToken } = await loginUser(username)
    const auth = bearer(accessToken).headers
    const got = await call('/users/me/language', { headers: auth })
    expect(await got.json()).toEqual({ language: 'fr' })
    const set = await call('/users/me/language', jsonInit('PUT', { language: 'es' }, auth))
    expect(set.status).toBe(200)
    expect(set.headers.get('cache-control')).toContain('no-store')
    expect(await set.json()).toEqual({ language: 'es' })
    expect(await storedLanguage(username)).toBe('es')
    // A later request in English gets Spanish: the account's choice.
    await forgot(box, username, { 'Accept-Language': 'en' })
    expect(box.sent.at(-1)!.subject).toBe('Restablece tu contraseña de auth.example')
  })

  it('refuses a language not offered, extra members, no token, and changes nothing', async () => {
    const box = mailbox()
    const { username } = await registered(box, { 'Accept-Language': 'fr' })
    const { accessToken } = await loginUser(username)
    const auth = bearer(accessToken).headers
    for (const body of [
      { language: 'de' },
      { language: 'FR' },
      { language: '../en' },
      { language: 'es', extra: 1 },
      { language: ['es'] },
      {},
    ]) {
      await expectProblem(
        await call('/users/me/language', jsonInit('PUT', body, auth)),
        400,
        'validation_failed',
      )
    }
    // A body that is not JSON: a 400 with its code, never a 500.
    const broken = await call('/users/me/language', {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: '{"language":',
    })
    await expectProblem(broken, 400, 'invalid_json')
    await expectProblem(
      await call('/users/me/language', jsonInit('PUT', { language: 'es' })),
      401,
      'invalid_token',
    )
    expect(await storedLanguage(username)).toBe('fr')
  })
})

/** A request to `url` (any host), with `overrides` on the env, settled after waitUntil work. */
async function callAt(url: string, overrides: Partial<Bindings>, init: RequestInit) {
  const ctx = createExecutionContext()
  const req = new Request(url, init)
  req.headers.set('cf-connecting-ip', `2001:db8:2::${crypto.randomUUID().slice(0, 4)}`)
  const res = await worker.fetch(req, { ...env, ...overrides } as Bindings, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

describe('the brand in emails', () => {
  const BRAND = {
    SERVICE_NAME: 'Acme <b>ID</b> & co',
    BRAND_LOGO: '/brand/logo.svg',
    BRAND_COLOR: '#0B57D0',
  }

  it('names the service by SERVICE_NAME (escaped in HTML) and shows the logo on the public URL, not the Host', async () => {
    const box = mailbox()
    const { username } = await registered(box)
    Object.assign(box.env, BRAND)
    const res = await callAt(
      'https://evil.example/password/forgot',
      box.env,
      jsonInit('POST', { login: username }),
    )
    expect(res.status).toBe(202)
    const mail = box.sent.at(-1)!
    expect(mail.subject).toBe('Reset your Acme <b>ID</b> & co password')
    expect(mail.text).toContain('your Acme <b>ID</b> & co account')
    expect(mail.html).not.toContain('<b>ID</b>')
    expect(mail.html).toContain('Acme &lt;b&gt;ID&lt;/b&gt; &amp; co')
    expect(mail.html).toContain(`<img src="${ORIGIN}/brand/logo.svg" alt=""`)
    expect(mail.html).toMatch(/>Acme &lt;b&gt;ID&lt;\/b&gt; &amp; co<\/p>/)
    expect(mail.html).toContain('background:#0b57d0;')
    expect(mail.html).not.toContain('evil.example')
    expect(mail.text).not.toContain('logo.svg')
    // The same image URL for everyone: nothing of the recipient or the token in it.
    const src = /<img src="([^"]+)"/.exec(mail.html)![1]!
    expect(src).toBe(`${ORIGIN}/brand/logo.svg`)
  })

  it('shows the logo in a notice on JWT_ISSUER, and none when only the request’s Host names the service', async () => {
    const box = mailbox()
    const { username } = await registered(box)
    const change = async (overrides: Partial<Bindings>, newPassword: string, current: string) => {
      const at = { ...box.env, ...BRAND, ...overrides }
      const login = await callAt(
        `${ORIGIN}/login`,
        at,
        jsonInit('POST', { username, password: current }),
      )
      const { accessToken } = (await login.json()) as { accessToken: string }
      box.sent.length = 0
      const res = await callAt(
        `${ORIGIN}/users/me/password`,
        at,
        jsonInit('POST', { currentPassword: current, newPassword }, bearer(accessToken).headers),
      )
      expect(res.status).toBe(204)
      expect(box.sent).toHaveLength(1)
      return box.sent[0]!
    }
    const onIssuer = await change({}, 'second passphrase', PASSWORD)
    expect(onIssuer.html).toContain(`<img src="${ORIGIN}/brand/logo.svg"`)
    expect(onIssuer.subject).toBe('Security notice from Acme <b>ID</b> & co')
    // No JWT_ISSUER: the Host is all that names the public URL, so no image is built on it.
    const onHost = await change({ JWT_ISSUER: undefined }, 'third passphrase', 'second passphrase')
    expect(onHost.html).not.toContain('<img')
    expect(onHost.subject).toBe('Security notice from Acme <b>ID</b> & co')
  })
})
