// The pages' language: ?lang= (remembered in a cookie), the cookie, Accept-Language, English;
// said in <html lang>, Content-Language and Vary; links to the same page in each language.
import { describe, expect, it } from 'vitest'
import { REFRESH_COOKIE, bearer, call, loginUser, registerUser, uniqueUsername } from '../helpers'
import { pageSignIn, post } from './forms'

const text = async (res: Response) => res.text()

describe('the pages’ language', () => {
  it('follows Accept-Language, and says so', async () => {
    const res = await call('/signin', { headers: { 'Accept-Language': 'es-MX, en;q=0.5' } })
    const html = await text(res)
    expect(html).toContain('<html lang="es">')
    expect(html).toContain('<h1>Iniciar sesión</h1>')
    expect(html).toContain('Nombre de usuario o correo electrónico')
    expect(html).not.toContain('Username or email address')
    expect(res.headers.get('content-language')).toBe('es')
    expect(res.headers.get('vary')).toMatch(/Accept-Language/)
    expect(res.headers.get('vary')).toMatch(/Cookie/)
  })

  it('takes ?lang= over Accept-Language and remembers it in a cookie (Lax, HttpOnly)', async () => {
    const res = await call('/signin?lang=fr', { headers: { 'Accept-Language': 'es' } })
    expect(await text(res)).toContain('<h1>Connexion</h1>')
    const cookie = res.headers.get('set-cookie')!
    expect(cookie).toMatch(
      /^__Host-lang=fr; Max-Age=31536000; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    )
    // The next page, with the cookie and without the query, stays French.
    const next = await call('/signup', {
      headers: { Cookie: '__Host-lang=fr', 'Accept-Language': 'es' },
    })
    expect(await text(next)).toContain('<h1>Créer un compte</h1>')
    expect(next.headers.get('set-cookie')).toBeNull()
  })

  it('ignores a language it does not have, in the query, the cookie or the header', async () => {
    for (const headers of [
      { Cookie: '__Host-lang=de' } as Record<string, string>,
      { Cookie: '__Host-lang=../../etc' },
      { 'Accept-Language': 'de-DE' },
    ]) {
      const res = await call('/signin?lang=xx%22%3E', { headers })
      const html = await text(res)
      expect(html).toContain('<html lang="en">')
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })

  it('links to this very page in each other language, keeping its query', async () => {
    const html = await text(await call('/signin?return_to=%2Faccount%3Fx%3D1&lang=es'))
    expect(html).toMatch(/<span aria-current="true" lang="es"\s*>Español<\/span/)
    expect(html).toContain(
      '<a href="/signin?return_to=%2Faccount%3Fx%3D1&amp;lang=en" hreflang="en" lang="en"',
    )
    expect(html).toContain('hreflang="fr"')
    expect(html).toContain('>Français</a')
  })

  it('keeps only the parameters the page is made from: nothing else of the query is echoed', async () => {
    const secret = 'client-secret-in-the-url'
    const html = await text(
      await call(
        `/signin?return_to=%2Faccount&login_hint=${'b'.repeat(300)}&client_secret=${secret}&x=%3Cscript%3E`,
      ),
    )
    expect(html).toContain('href="/signin?return_to=%2Faccount&amp;lang=fr"')
    expect(html).not.toContain(secret)
    expect(html).not.toContain('b'.repeat(255))
    // On /authorize: a kept parameter over 2048 characters, and the ones never kept (a request
    // object's URL, hints carrying personal data) are left out of the links.
    const authorize = await text(
      await call(
        `/authorize?client_id=abc&state=${'s'.repeat(2049)}&request_uri=https%3A%2F%2Fevil.example%2Fr&id_token_hint=eyJ.secret.hint&login_hint=ada%40example.com&scope=openid`,
      ),
    )
    expect(authorize).not.toContain('evil.example')
    expect(authorize).not.toContain('eyJ.secret.hint')
    expect(authorize).not.toContain('ada%40example.com')
    expect(authorize).not.toContain('s'.repeat(2049))
  })

  it('links only where a GET brings the page back; a form’s answer links to its form’s page', async () => {
    // A provider's callback (a page, but one a GET cannot bring back) gets none.
    const callback = await call('/signin/nope/callback?code=c&state=s', { redirect: 'manual' })
    const callbackPage = await text(callback)
    expect(callbackPage).toContain('<html lang="en">')
    expect(callbackPage).not.toContain('hreflang=')
    // The second factor's answer links to /signin, never to /signin/mfa (no such page).
    const mfa = await post('/signin/mfa', { mfaToken: 'x', code: '' })
    expect(mfa.status).toBe(400)
    const html = await text(mfa)
    expect(html).toContain('href="/signin?lang=fr"')
    expect(html).not.toContain('/signin/mfa?lang=')
    // A form with no page of its own to go back to: no links at all.
    const confirm = await post('/end-session/confirm', { decision: 'signout' })
    const page = await text(confirm)
    expect(page).toContain('<html lang="en">')
    expect(page).not.toContain('hreflang=')
  })

  it('answers a form post in the language, linking to the form’s page', async () => {
    const res = await post(
      '/signin',
      { username: 'ab', password: 'x' },
      { Cookie: '__Host-lang=fr' },
    )
    expect(res.status).toBe(400)
    const html = await text(res)
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('Saisissez de 3 à 32 caractères')
    expect(html).toContain('href="/signin?lang=en"')
  })

  it('shows the account page in Spanish: sessions, dates and buttons', async () => {
    const username = uniqueUsername()
    await registerUser(username)
    const safari = 'Mozilla/5.0 (Macintosh) Version/17.0 Safari/605.1.15'
    const cookie = await pageSignIn(username, { 'User-Agent': safari })
    const res = await call('/account', {
      headers: { Cookie: `${REFRESH_COOKIE}=${cookie}; __Host-lang=es` },
    })
    const html = await text(res)
    expect(html).toContain('<h1>Tu cuenta</h1>')
    expect(html).toContain('Safari en macOS')
    expect(html).toContain('este dispositivo')
    // Spanish writes the hour without a leading zero (0:20 just after midnight).
    expect(html).toMatch(/último uso: \d{1,2} [a-z]{3}\.? \d{4}, \d{1,2}:\d{2} UTC/)
    expect(html).toContain('Cerrar sesión en todas partes')
    for (const english of ['Your account', 'Sign out everywhere', 'this device', ' on macOS']) {
      expect(html).not.toContain(english)
    }
  })

  it('lets the account pick its language on /account: stored for its email, remembered for pages', async () => {
    const username = uniqueUsername()
    await registerUser(username)
    const cookie = await pageSignIn(username)
    const { accessToken } = await loginUser(username)
    const stored = async () =>
      (
        (await (await call('/users/me/language', bearer(accessToken))).json()) as {
          language: string | null
        }
      ).language
    const page = await (
      await call('/account', { headers: { Cookie: `${REFRESH_COOKIE}=${cookie}` } })
    ).text()
    expect(page).toMatch(/<option\s+value="en"\s+lang="en"\s+selected\s*>/)

    // From another origin: refused, nothing stored.
    const forged = await post(
      '/account/language',
      { language: 'es' },
      { Cookie: `${REFRESH_COOKIE}=${cookie}`, Origin: 'https://evil.example' },
    )
    expect(forged.status).toBe(403)
    // Not one of ours: the page again, nothing stored.
    const odd = await post(
      '/account/language',
      { language: 'de' },
      { Cookie: `${REFRESH_COOKIE}=${cookie}` },
    )
    expect(odd.status).toBe(400)
    expect(await odd.text()).toContain('id="language-error"')
    expect(await stored()).toBe('en')

    const res = await post(
      '/account/language',
      { language: 'fr' },
      { Cookie: `${REFRESH_COOKIE}=${cookie}` },
    )
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/account?done=language&lang=fr')
    expect(await stored()).toBe('fr')
    const after = await call('/account?done=language&lang=fr', {
      headers: { Cookie: `${REFRESH_COOKIE}=${cookie}` },
    })
    expect(after.headers.get('set-cookie')).toMatch(/^__Host-lang=fr;/)
    const html = await after.text()
    expect(html).toContain('Votre langue est enregistrée')
    expect(html).toMatch(/<option\s+value="fr"\s+lang="fr"\s+selected\s*>/)
    expect(html).not.toMatch(/<option\s+value="en"\s+lang="en"\s+selected/)
  })
})
