// The authorization endpoint's pages in French and Spanish: the consent page (our words around
// the app's and the resource's own, which stay as given), its refusals, the way back after a
// sign-in, and the account page's list of allowed apps, with its date in the page's language.
import { beforeAll, describe, expect, it } from 'vitest'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import {
  type ConsentView,
  consentPage,
  invalidRequestPage,
  returnPage,
} from '../../src/pages/authorize-views'
import { uiFor } from '../../src/pages/ui'
import { ORIGIN, installCatalogs } from '../helpers'
import {
  appAndUser,
  authorizePath,
  browse,
  consentRequestOf,
  cookieHeader,
  decide,
  pkce,
} from '../oauth-server/flow'
import { OPENID } from '../oauth-server/openid-flow'
import { englishLeft } from './untranslated'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

const render = async (html: unknown) => String(await html).replace(/\s+/g, ' ')

const VIEW: ConsentView = {
  clientName: 'Notes app',
  clientId: 'client-1',
  documentHost: null,
  target: { kind: 'web', shown: 'app.example' },
  resourceName: 'Notes',
  resource: 'https://notes.example/mcp',
  signInOnly: false,
  scopes: ['notes:read'],
  username: 'alice',
  request: 'sealed',
}

describe('the consent page in French and Spanish', () => {
  it('Accept-Language: fr: our words in French, the app’s and the resource’s as given', async () => {
    const { client, session } = await appAndUser()
    const { challenge, state } = await pkce()
    const res = await browse(
      authorizePath(client.client_id, { code_challenge: challenge, state }),
      {
        headers: { cookie: cookieHeader(session.cookie), 'accept-language': 'fr-CA,fr;q=0.9' },
      },
    )
    expect(res.status).toBe(200)
    const html = await res.text()
    // Runs of layout space as one; French's no-break spaces (before « ? : ; ») kept.
    const text = html.replace(/[ \t\n]+/g, ' ')
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('<title>Autoriser l’accès ?')
    expect(text).toContain(
      `<strong><bdi>Notes app</bdi></strong> souhaite utiliser <strong>Notes</strong> en tant que <strong>${session.username}</strong>.`,
    )
    expect(text).toContain(`${fr.apps.consent.unchecked} <code>${client.client_id}</code>.`)
    expect(html).toContain('<li><code>notes:read</code></li>')
    expect(text).toContain('Sur <code>https://notes.example/mcp</code>.')
    expect(text).toContain('Ensuite, vous revenez sur <strong>app.example</strong>.')
    expect(html).toContain('value="allow">Autoriser</button>')
    expect(html).toContain('value="deny" class="secondary">Refuser</button>')
    expect(englishLeft(html, 'fr', (m) => m.apps)).toEqual([])

    // Allowed: the account page lists it in French, the date as French writes it.
    const allowed = await decide(
      session.cookie,
      await consentRequestOf(new Response(html)),
      'allow',
    )
    expect(allowed.status).toBe(303)
    const account = await (
      await browse('/account?lang=fr', { headers: { cookie: cookieHeader(session.cookie) } })
    ).text()
    expect(account).toContain('<h2 id="apps-title">Applications autorisées</h2>')
    expect(account.replace(/\s+/g, ' ')).toContain(
      '<strong><bdi>Notes app</bdi></strong> sur <code>https://notes.example/mcp</code>',
    )
    expect(account).toMatch(
      /notes:read\u00a0; dernière utilisation le \d{1,2} [^<]+ \d{4}, \d\d:\d\d UTC/,
    )
    expect(account).toContain('aria-describedby="app-')
    expect(account).toMatch(/>\s*Retirer\s*<\/button>/)
    expect(account).not.toContain('Apps you allowed')
    expect(account).not.toContain('last used')
  })

  it('?lang=es on an OpenID request: the OpenID scopes in Spanish words, no English left', async () => {
    const { client, session } = await appAndUser()
    const { challenge, state } = await pkce()
    const res = await browse(
      authorizePath(client.client_id, {
        ...OPENID,
        scope: 'openid profile email offline_access',
        nonce: 'n-1',
        code_challenge: challenge,
        state,
        lang: 'es',
      }),
      { headers: { cookie: cookieHeader(session.cookie) } },
    )
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html.replace(/\s+/g, ' ')).toContain(
      `<strong><bdi>Notes app</bdi></strong> quiere iniciar tu sesión como <strong>${session.username}</strong>.`,
    )
    for (const words of Object.values(es.apps.scopes)) expect(html).toContain(`<li>${words}</li>`)
    expect(html).toContain('>Permitir</button>')
    expect(englishLeft(html, 'es', (m) => m.apps)).toEqual([])
  })

  it('a refused consent post says why in French, and sends nobody anywhere', async () => {
    const { session } = await appAndUser()
    const res = await browse('/authorize/consent', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        cookie: cookieHeader(session.cookie),
        'accept-language': 'fr',
      },
      body: new URLSearchParams({ request: 'forged', decision: 'allow' }),
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`<title>${fr.apps.refused.title}`)
    expect(html).toContain(fr.apps.refused.notYours)
    expect(html.replace(/\s+/g, ' ')).toContain(
      'Revenez à l’application et réessayez, ou <a href="/account">accédez à votre compte</a>.',
    )
    expect(englishLeft(html, 'fr', (m) => m.apps)).toEqual([])
  })
})

describe('the consent views, rendered on their own', () => {
  it('loopback, native and document clients: each warning in French, none in English', async () => {
    const ui = uiFor('fr')
    const loopback = await render(
      consentPage(ui, { ...VIEW, target: { kind: 'loopback', shown: '127.0.0.1' } }),
    )
    expect(loopback).toContain(
      'Elle vous renvoie vers un programme sur <strong>cet ordinateur</strong> (<code>127.0.0.1</code>). N’autorisez que si',
    )
    const native = await render(
      consentPage(ui, { ...VIEW, target: { kind: 'native', shown: 'com.example.app' } }),
    )
    expect(native).toContain('qui ouvre les liens <code>com.example.app</code>. N’autorisez')
    const document = await render(
      consentPage(ui, {
        ...VIEW,
        clientName: null,
        clientId: 'https://docs.example/client.json',
        documentHost: 'docs.example',
      }),
    )
    expect(document).toContain('<bdi>Une application sans nom</bdi>')
    expect(document).toContain(
      'Cette application est identifiée par un document sur <strong>docs.example</strong> (<code>https://docs.example/client.json</code>): son nom',
    )
    for (const html of [loopback, native, document]) {
      expect(englishLeft(html, 'fr', (m) => m.apps)).toEqual([])
    }
  })

  it('keeps English word for word where the sentence was split around its markup', async () => {
    const ui = uiFor('en')
    const native = await render(
      consentPage(ui, { ...VIEW, target: { kind: 'native', shown: 'com.example.app' } }),
    )
    expect(native).toContain(
      'It sends you back to an app on this device that opens <code>com.example.app</code> links. Allow only if you just started this sign-in from an app you trust.',
    )
    const loopback = await render(
      consentPage(ui, { ...VIEW, target: { kind: 'loopback', shown: '127.0.0.1' } }),
    )
    expect(loopback).toContain(
      'It sends you back to a program on <strong>this computer</strong> (<code>127.0.0.1</code>). Allow only if',
    )
    expect(await render(consentPage(ui, VIEW))).toContain(
      '<strong><bdi>Notes app</bdi></strong> wants to use <strong>Notes</strong> as <strong>alice</strong>.',
    )
  })

  it('a scope named like an object’s own property is shown as a name, never looked up', async () => {
    const html = await render(
      consentPage(uiFor('es'), {
        ...VIEW,
        scopes: ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'openid'],
      }),
    )
    for (const scope of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(html).toContain(`<li><code>${scope}</code></li>`)
    }
    expect(html).toContain(`<li>${es.apps.scopes.openid}</li>`)
    expect(html).not.toContain('function')
    expect(html).not.toContain('[object')
  })

  it('the way back and an invalid request’s link, in Spanish; the host escaped', async () => {
    const ui = uiFor('es')
    const back = await render(returnPage(ui, 'https://app.example/cb?code=x', 'app.example'))
    expect(back).toContain('Volviendo a <strong>app.example</strong>…')
    expect(back).toContain('>Continuar a app.example</a>')
    const invalid = await render(
      invalidRequestPage(ui, {
        error: 'invalid_scope',
        description: '—',
        redirect: 'https://app.example/cb?error=invalid_scope',
        host: '<b>app.example</b>',
      }),
    )
    expect(invalid).toContain(es.apps.invalid.cannotComplete)
    expect(invalid).toContain('>Volver a &lt;b&gt;app.example&lt;/b&gt;</a>')
    expect(invalid).not.toContain('<b>app.example')
    for (const html of [back, invalid]) expect(englishLeft(html, 'es', (m) => m.apps)).toEqual([])
  })

  it('says why the service refused the request, in the visitor’s language, with no redirect', async () => {
    for (const [path, lang, text] of [
      ['/authorize?response_type=code', 'fr', fr.apps.refusedBecause.noClient],
      ['/authorize?client_id=no-such-app', 'es', es.apps.refusedBecause.unknownClient],
      ['/authorize?client_id=a&client_id=b', 'fr', fr.apps.refusedBecause.repeated('client_id')],
    ] as const) {
      const res = await browse(`${path}&lang=${lang}`)
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      const html = await res.text()
      expect(html).toContain(`<html lang="${lang}">`)
      expect(html).toContain(text)
      expect(englishLeft(html, lang, (m) => m.apps)).toEqual([])
    }
  })
})
