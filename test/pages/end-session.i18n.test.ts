// RP-initiated sign-out's pages in French and Spanish: the confirmation (the app's own name kept
// as given and marked unchecked), the "signed out" page, and a refused answer.
import { beforeAll, describe, expect, it } from 'vitest'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import { confirmSignOutPage } from '../../src/pages/end-session-views'
import { uiFor } from '../../src/pages/ui'
import { ORIGIN, installCatalogs } from '../helpers'
import { browse, cookieHeader } from '../oauth-server/flow'
import { LOGOUT_URI, endSession, signedInRp } from '../oauth-server/openid-flow'
import { englishLeft } from './untranslated'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

describe('sign-out pages in French and Spanish', () => {
  it('?lang=fr: the confirmation in French; nothing ends before the answer', async () => {
    const { client, session } = await signedInRp()
    const res = await endSession(session.cookie, {
      client_id: client.client_id,
      post_logout_redirect_uri: LOGOUT_URI,
      state: 'bye',
      lang: 'fr',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('set-cookie') ?? '').not.toContain('refresh')
    const html = await res.text()
    const text = html.replace(/\s+/g, ' ')
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('<title>Se déconnecter ?')
    expect(text).toContain(
      'L’application <strong><bdi>Notes app</bdi></strong> (nom qu’elle se donne, non vérifié) demande à vous déconnecter de ce service.',
    )
    expect(text).toContain(`Vous êtes connecté en tant que <strong>${session.username}</strong>.`)
    expect(html).toContain('value="signout">Se déconnecter</button>')
    expect(html).toContain('value="stay" class="secondary">Rester connecté</button>')
    expect(text).toContain('Dans les deux cas, vous revenez sur <strong>app.example</strong>.')
    // Only the app's parameters are carried to the confirmation, not the page's language.
    expect(html).not.toContain('name="lang"')
    expect(englishLeft(html, 'fr', (m) => m.apps)).toEqual([])
  })

  it('Accept-Language: es, nobody signed in: the "signed out" page in Spanish, a link back only', async () => {
    const { tokens } = await signedInRp()
    const res = await browse(
      `/end-session?${new URLSearchParams({
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: LOGOUT_URI,
        state: 'bye',
      })}`,
      { headers: { 'accept-language': 'es' } },
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('location')).toBeNull()
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(`<title>${es.apps.signedOut.title}`)
    expect(html).toContain(es.apps.signedOut.done)
    expect(html).toContain(`href="${LOGOUT_URI}?state=bye">Volver a app.example</a>`)
    expect(englishLeft(html, 'es', (m) => m.apps)).toEqual([])
  })

  it('a confirmation with no decision is refused in French, and signs nobody out', async () => {
    const { client, session } = await signedInRp()
    const res = await browse('/end-session/confirm', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        cookie: cookieHeader(session.cookie),
        'accept-language': 'fr',
      },
      body: new URLSearchParams({ client_id: client.client_id, decision: 'maybe' }),
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/Max-Age=0/)
    const html = await res.text()
    expect(html).toContain(`<title>${fr.apps.signOut.refusedTitle}`)
    expect(html).toContain(fr.apps.signOut.choose)
    expect(englishLeft(html, 'fr', (m) => m.apps)).toEqual([])
  })

  it('an unnamed app, and English as it was', async () => {
    const view = { clientName: null, username: 'alice', returnsTo: null, carried: {} }
    const spanish = String(await confirmSignOutPage(uiFor('es'), view))
    expect(spanish).toContain('<p>Una aplicación pide cerrar tu sesión en este servicio.</p>')
    expect(spanish).not.toContain('Either way')
    const english = String(
      await confirmSignOutPage(uiFor('en'), { ...view, clientName: '<i>Notes</i>' }),
    ).replace(/\s+/g, ' ')
    expect(english).toContain(
      'The app <strong><bdi>&lt;i&gt;Notes&lt;/i&gt;</bdi></strong> (its own name, unchecked) asks to sign you out of this service.',
    )
    expect(english).toContain('You are signed in as <strong>alice</strong>.')
  })

  it('says why the service refused a sign-out request, in the visitor’s language', async () => {
    for (const [query, lang, text] of [
      [{ client_id: 'a', state: 's'.repeat(5000) }, 'fr', fr.apps.signOutRefusedBecause.tooLong],
      [{ client_id: 'no-such-app' }, 'es', es.apps.signOutRefusedBecause.unknownClient],
      [{ id_token_hint: 'not.a.token' }, 'fr', fr.apps.signOutRefusedBecause.badHint],
    ] as const) {
      const res = await browse(`/end-session?${new URLSearchParams({ ...query, lang })}`)
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain(`<html lang="${lang}">`)
      expect(html).toContain(text)
      expect(englishLeft(html, lang, (m) => m.apps)).toEqual([])
    }
    const twice = await browse('/end-session?state=a&state=b&lang=es')
    expect(await twice.text()).toContain(es.apps.signOutRefusedBecause.repeated('state'))
  })
})
