// The account page's passkeys and two-factor, the two-factor set-up and the recovery codes in
// French and Spanish: the catalog's words, the page's language, dates as each language writes
// them, no English left of these parts; and the words handed to the pages' script (as JSON in an
// attribute) are the page's language's, and the script's own English matches the catalog's.
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { describe, expect, it } from 'vitest'
import { ENGLISH, wordsOf } from '../../client/pages/passkey-words'
import { totpStep } from '../../src/auth/totp'
import { date } from '../../src/i18n/dates'
import { en } from '../../src/i18n/en'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import { softAuthenticator } from '../doubles/authenticator'
import { ORIGIN, PASSWORD, bearer, call, loginUser, registerUser, sendJson } from '../helpers'
import { englishLeft } from './untranslated'
import { post, pageSignIn, withCookie } from './forms'

const page = (path: string, cookie: string, headers: Record<string, string> = {}) =>
  call(path, { headers: withCookie(cookie, headers), redirect: 'manual' })

/** The JSON the page gives the script, read back as the browser reads the attribute. */
function scriptWords(html: string, marker: string): unknown {
  const tag = new RegExp(`<[^>]*${marker}[^>]*>`).exec(html)![0]
  const value = /data-passkey-messages="([^"]*)"/.exec(tag)![1]!
  return JSON.parse(
    value
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  )
}

async function addPasskey(username: string, name: string) {
  const tokens = await loginUser(username)
  const authenticator = await softAuthenticator({ origin: ORIGIN })
  const options = await (
    await sendJson(
      'POST',
      '/users/me/passkeys/options',
      { password: PASSWORD },
      bearer(tokens.accessToken).headers,
    )
  ).json()
  const credential = await authenticator.create(options as never)
  const created = await sendJson(
    'POST',
    '/users/me/passkeys',
    { credential, name },
    bearer(tokens.accessToken).headers,
  )
  expect(created.status).toBe(201)
}

describe('the security sections in French and Spanish', () => {
  it('?lang=fr: passkeys and two-factor in French, dates in French, no English of them left', async () => {
    const { username } = await registerUser()
    await addPasskey(username, 'Portable <b>')
    const cookie = await pageSignIn(username)
    const res = await page('/account?lang=fr', cookie)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('<h2 id="passkeys-title">Clés d’accès</h2>')
    expect(html).toContain(fr.security.passkeys.intro)
    expect(html).toContain(`ajoutée le ${date('fr', Date.now())}`)
    expect(html).toContain('>Renommer</button>')
    expect(html).toContain('Nom de cette clé d’accès')
    expect(html).toContain(fr.security.passkeys.needsScript)
    expect(html).toContain('<h2 id="totp-title">Authentification à deux facteurs</h2>')
    expect(html).toContain('>Activer l’authentification à deux facteurs</button>')
    // The passkey's name is the user's: shown as given, escaped.
    expect(html).toContain('Portable &lt;b&gt;')
    expect(englishLeft(html, 'fr', (m) => m.security)).toEqual([])
    expect(html).not.toContain('this device only')
    // The register form hands the script French words, and only words.
    expect(scriptWords(html, 'data-passkey-register')).toEqual(fr.security.script)
  })

  it('English is still the default, and its script words are the script’s own English', async () => {
    const cookie = await pageSignIn((await registerUser()).username)
    const html = await (await page('/account', cookie)).text()
    expect(html).toContain('<html lang="en">')
    expect(html).toContain('You have no passkeys yet.')
    expect(html).toContain('Off. Turn it on to ask for a code from an authenticator app')
    expect(scriptWords(html, 'data-passkey-register')).toEqual(en.security.script)
    // The check the other tests rely on finds English where there is English.
    expect(englishLeft(html, 'fr', (m) => m.security)).toEqual(
      expect.arrayContaining([
        'You have no passkeys yet.',
        'Add a passkey',
        'Optional, such as "Work laptop"',
      ]),
    )
    // The script falls back to these when a page gives none: they must be the catalog's.
    expect(ENGLISH).toEqual(en.security.script)
  })

  it('Accept-Language: es: set-up, recovery codes and the "on" section in Spanish', async () => {
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const spanish = withCookie(cookie, { 'Accept-Language': 'es-ES,es;q=0.9,en;q=0.5' })
    const setup = await post('/account/totp', { totpPassword: PASSWORD }, spanish)
    expect(setup.status).toBe(200)
    const setupHtml = await setup.text()
    expect(setupHtml).toContain('<html lang="es">')
    expect(setupHtml).toContain('<title>Activar la verificación en dos pasos')
    expect(setupHtml).toContain(es.security.setup.scan)
    expect(setupHtml).toContain(`aria-label="${es.security.setup.qrLabel}"`)
    expect(setupHtml).toContain('O escribe esta clave:')
    expect(setupHtml).toContain('>Seis dígitos</p>')
    expect(englishLeft(setupHtml, 'es', (m) => m.security)).toEqual([])

    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/
      .exec(setupHtml)![1]!
      .replace(/ /g, '')
    const code = generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now())), 6)
    const done = await post('/account/totp/verify', { code }, spanish)
    expect(done.status).toBe(200)
    const codesHtml = await done.text()
    expect(codesHtml).toContain('<title>Códigos de recuperación')
    expect(codesHtml).toContain(es.security.recoveryCodes.keep)
    expect(codesHtml).toContain('>Volver a tu cuenta</a>')
    expect(englishLeft(codesHtml, 'es', (m) => m.security)).toEqual([])
    expect(codesHtml).not.toContain('They are not shown again')

    const accountHtml = await (await page('/account', cookie, { 'Accept-Language': 'es' })).text()
    expect(accountHtml).toContain('Activada. Te quedan 10 de 10 códigos de recuperación.')
    expect(accountHtml).toContain('>Desactivar la verificación en dos pasos</button>')
    expect(accountHtml).toContain('O un código de tu aplicación')
    expect(englishLeft(accountHtml, 'es', (m) => m.security)).toEqual([])
  })

  it('the add-a-passkey form posted without the script says why in the page’s language', async () => {
    const cookie = await pageSignIn((await registerUser()).username)
    const res = await post(
      '/account/passkeys',
      { passkeyPassword: PASSWORD },
      withCookie(cookie, { 'Accept-Language': 'fr' }),
    )
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain(fr.security.passkeys.postedWithoutScript)
    expect(html).not.toContain('Adding a passkey needs JavaScript')
  })
})

describe('plurals and the script’s words', () => {
  it('counts recovery codes as each language does (French: 0 and 1 singular)', () => {
    expect(en.security.totp.on(10, 10)).toBe('On. 10 of 10 recovery codes left.')
    expect(fr.security.totp.on(1, 10)).toBe('Activée. Il reste 1 code de secours sur 10.')
    expect(fr.security.totp.on(0, 10)).toBe('Activée. Il reste 0 code de secours sur 10.')
    expect(fr.security.totp.on(2, 10)).toBe('Activée. Il reste 2 codes de secours sur 10.')
    expect(es.security.totp.on(1, 10)).toBe('Activada. Te queda 1 de 10 códigos de recuperación.')
  })

  it('every language keeps the {seconds} slot the script fills', () => {
    for (const lang of [en, fr, es]) expect(lang.security.script.tooMany).toContain('{seconds}')
  })

  it('the script reads given words, and falls back to English for anything missing or odd', () => {
    expect(wordsOf(JSON.stringify(fr.security.script))).toEqual(fr.security.script)
    expect(wordsOf(undefined)).toEqual(ENGLISH)
    expect(wordsOf('{not json')).toEqual(ENGLISH)
    expect(wordsOf('"a string"')).toEqual(ENGLISH)
    expect(wordsOf('[1,2]')).toEqual(ENGLISH)
    // A non-string or empty word, an unknown key, or an inherited one: English, nothing added.
    const odd = wordsOf(
      '{"waiting":{"toString":1},"failed":"","extra":"x","__proto__":{"cancelled":"pwned"}}',
    )
    expect(odd).toEqual(ENGLISH)
    expect(Object.keys(odd)).toEqual(Object.keys(ENGLISH))
    expect(({} as Record<string, unknown>).cancelled).toBeUndefined()
    expect(wordsOf('{"waiting":"Un instant…"}')).toEqual({ ...ENGLISH, waiting: 'Un instant…' })
  })
})
