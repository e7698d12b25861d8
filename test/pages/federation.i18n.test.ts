// Signing in with another provider in French and Spanish: the buttons, every refusal the pages
// explain (in the words of the service's reason, now in the asked language), and the account
// page's section with its dates; in English, each refusal stays the service's own detail.
import { beforeAll, describe, expect, it } from 'vitest'
import { date } from '../../src/i18n/dates'
import { en } from '../../src/i18n/en'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import { identitiesSection, providerButtons } from '../../src/pages/identities-views'
import { uiFor } from '../../src/pages/ui'
import {
  STATE_COOKIE,
  accountPost,
  begin,
  browse,
  callback,
  cookies,
  federatedSignIn,
  providerEnv,
  setCookie,
} from '../federation/flow'
import { denyAtProvider, signInAtProvider } from '../federation/openid-provider'
import { json, script, serverOrigin, uniquePath } from '../global/scripted'
import { PASSWORD, REFRESH_COOKIE, signedIn, installCatalogs } from '../helpers'
import { pageSignIn } from './forms'
import { englishLeft } from './untranslated'
import { LANGUAGE_COOKIE } from '../../src/i18n/languages'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

const env = providerEnv({ local: {} })
const PROVIDER = 'Local local'
const identities = (m: typeof en) => m.identities
const apostrophes = (text: string) => text.replaceAll("'", '&#39;')
const person = () => ({
  sub: `p-${crypto.randomUUID()}`,
  email: `p-${crypto.randomUUID().slice(0, 8)}@example.org`,
  email_verified: true,
  preferred_username: `p${crypto.randomUUID().slice(0, 6)}`,
})

/** Connects `who` at the provider to the account signed in by `refresh`: the callback's answer. */
async function connect(refresh: string, who: ReturnType<typeof person>, lang: string) {
  const start = await accountPost(env, '/account/identities/local/connect', refresh, {
    connectPassword: PASSWORD,
  })
  expect(start.status).toBe(302)
  const state = setCookie(start, STATE_COOKIE('local'))!
  const back = await signInAtProvider(start.headers.get('location')!, who)
  return callback(env, back, {
    [STATE_COOKIE('local')]: state,
    [REFRESH_COOKIE]: refresh,
    [LANGUAGE_COOKIE]: lang,
  })
}

describe('the provider buttons in another language', () => {
  it('offers the providers on /signin in French', async () => {
    const html = await (await browse(env, '/signin?lang=fr')).text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(fr.identities.buttons.intro)
    expect(html).toContain(`>${fr.identities.buttons.continueWith(PROVIDER)}</a`)
    expect(englishLeft(html, 'fr', (m) => m.identities.buttons)).toEqual([])
  })

  it('reads in English word for word as before', () => {
    const html = String(providerButtons(uiFor('en'), [{ id: 'g', name: 'Google' }], '/account'))
    expect(html).toContain('<p>Or continue with another account:</p>')
    expect(html).toContain('>Continue with Google</a')
  })
})

describe('a refused provider sign-in in another language', () => {
  it('says the person cancelled, in French (by the lang cookie), and signs no one in', async () => {
    const { authorizeUrl, state } = await begin(env)
    const back = await denyAtProvider(authorizeUrl)
    const res = await callback(env, back, {
      [STATE_COOKIE('local')]: state,
      [LANGUAGE_COOKIE]: 'fr',
    })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`<title>${fr.identities.signInTitle}`)
    expect(html).toContain(apostrophes(fr.identities.refused.cancelled(PROVIDER)))
    expect(englishLeft(html, 'fr', identities)).toEqual([])
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })

  it('says a sign-in this browser did not start cannot finish, in Spanish', async () => {
    const { authorizeUrl } = await begin(env)
    const back = await signInAtProvider(authorizeUrl, person())
    // No state cookie: another browser's callback (login CSRF).
    const res = await browse(env, back.pathname + back.search, {
      headers: { 'Accept-Language': 'es' },
    })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(es.identities.refused.stateRefused)
    expect(englishLeft(html, 'es', identities)).toEqual([])
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })

  it('says there is no such provider, in Spanish', async () => {
    const res = await browse(env, '/signin/nobody?lang=es')
    expect(res.status).toBe(404)
    const html = await res.text()
    expect(html).toContain(es.identities.refused.noSuchProvider)
    expect(englishLeft(html, 'es', identities)).toEqual([])
  })

  it('says a provider cannot be reached, in French, with a 503 page', async () => {
    const base = uniquePath('broken-idp-i18n')
    await script(json(`${base}/.well-known/openid-configuration`, { error: 'down' }, 500))
    const broken = {
      AUTH_PROVIDERS: JSON.stringify({
        broken: { type: 'oidc', name: 'Broken', issuer: `${serverOrigin()}${base}`, clientId: 'c' },
      }),
      PROVIDER_BROKEN_CLIENT_SECRET: 's',
    } as never
    const res = await browse(broken, '/signin/broken?lang=fr')
    expect(res.status).toBe(503)
    const html = await res.text()
    expect(html).toContain(fr.identities.refused.unreachable('Broken'))
    expect(englishLeft(html, 'fr', identities)).toEqual([])
  })

  it('says a provider is not set up correctly, in Spanish', async () => {
    const bad = {
      AUTH_PROVIDERS: JSON.stringify({
        bad: { type: 'oidc', issuer: 'http://idp.example', clientId: 'c' },
      }),
    } as never
    const res = await browse(bad, '/signin/bad?lang=es')
    expect(res.status).toBe(503)
    const html = await res.text()
    expect(html).toContain(es.identities.refused.misconfigured)
    expect(englishLeft(html, 'es', identities)).toEqual([])
  })

  it('refuses an identity that signs in to another account, in French, connecting nothing', async () => {
    const who = person()
    await federatedSignIn(env, who)
    const { username } = await signedIn('i18nconn')
    const refresh = await pageSignIn(username)
    const res = await connect(refresh, who, 'fr')
    expect(res.status).toBe(409)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(fr.identities.refused.identityTaken(PROVIDER))
    expect(englishLeft(html, 'fr', (m) => m.identities.refused)).toEqual([])
    // The account page behind it lists no identity.
    expect(html).not.toContain('/account/identities/local/remove')
  })

  it('refuses a second identity at the same provider, in Spanish', async () => {
    const { username } = await signedIn('i18nconn')
    const refresh = await pageSignIn(username)
    expect((await connect(refresh, person(), 'es')).status).toBe(303)
    const res = await connect(refresh, person(), 'es')
    expect(res.status).toBe(409)
    const html = await res.text()
    expect(html).toContain(es.identities.refused.alreadyLinked(PROVIDER))
    expect(englishLeft(html, 'es', identities)).toEqual([])
  })

  it('says in French that the account has no such identity to disconnect', async () => {
    const { username } = await signedIn('i18nconn')
    const refresh = await pageSignIn(username)
    const res = await browse(env, '/account/identities/local/remove', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: 'https://auth.example',
        Cookie: cookies({ [REFRESH_COOKIE]: refresh, [LANGUAGE_COOKIE]: 'fr' }),
      },
      body: '',
    })
    expect(res.status).toBe(404)
    const html = await res.text()
    expect(html).toContain(apostrophes(fr.identities.refused.identityNotFound))
    expect(englishLeft(html, 'fr', (m) => m.identities.refused)).toEqual([])
  })
})

describe('in English, each refusal is the service detail it always was', () => {
  it('word for word', async () => {
    const { authorizeUrl, state } = await begin(env)
    const cancelled = await callback(env, await denyAtProvider(authorizeUrl), {
      [STATE_COOKIE('local')]: state,
    })
    expect(await cancelled.text()).toContain(`Signing in with ${PROVIDER} was cancelled`)
    const back = await signInAtProvider((await begin(env)).authorizeUrl, person())
    const stateless = await browse(env, back.pathname + back.search)
    expect(await stateless.text()).toContain(
      'This sign-in cannot be finished in this browser (it expired, was finished already, or was started elsewhere); start it again',
    )
    expect(en.identities.refused.identityTaken(PROVIDER)).toBe(
      `That ${PROVIDER} account already signs in to another account here`,
    )
    expect(en.identities.refused.alreadyLinked(PROVIDER)).toBe(
      `Your account already has a ${PROVIDER} account connected; disconnect it first`,
    )
  })
})

describe('the account page section in another language', () => {
  it('lists a connected provider in Spanish, dated as Spanish writes dates', async () => {
    const { refresh } = await federatedSignIn(env, person())
    const page = await browse(env, '/account?lang=es', {
      headers: { Cookie: cookies({ [REFRESH_COOKIE]: refresh! }) },
    })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(`<h2 id="identities-title">${es.identities.section.title}</h2>`)
    expect(html).toContain(es.identities.section.connectedOn(date('es', Date.now())))
    expect(html).toContain(es.identities.section.disconnect)
    expect(englishLeft(html, 'es', (m) => m.identities.section)).toEqual([])
  })

  it('offers to connect in French, and says when none signs in', () => {
    const html = String(identitiesSection(uiFor('fr'), [], [{ id: 'g', name: 'Google' }], true, {}))
    expect(html).toContain(fr.identities.section.none)
    expect(html).toContain(fr.identities.section.connect('Google'))
    expect(englishLeft(html, 'fr', (m) => m.identities.section)).toEqual([])
  })

  it('dates a connected provider as English writes dates, in English', () => {
    const linkedAt = '2026-12-06T17:06:00.000Z'
    const html = String(
      identitiesSection(
        uiFor('en'),
        [{ provider: 'g', name: 'Google', email: null, linkedAt }],
        [],
        true,
        {},
      ),
    )
    expect(html).toContain(`<span class="when">connected ${date('en', linkedAt)}</span>`)
    expect(date('en', linkedAt)).toContain('2026')
    expect(html).toContain('Sign-in with other accounts')
  })
})
