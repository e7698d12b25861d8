// The account page's email section in French and Spanish: the address (or none), the form, and
// the notice naming where the link went; English stays as it was.
import { beforeAll, describe, expect, it } from 'vitest'
import { es } from '../../src/i18n/es'
import { fr } from '../../src/i18n/fr'
import { emailSection } from '../../src/pages/account-email-views'
import { uiFor } from '../../src/pages/ui'
import { mailbox } from '../doubles/mailbox'
import { ORIGIN, PASSWORD, registerUser, installCatalogs } from '../helpers'
import { pageSignIn, withCookie } from './forms'
import { englishLeft } from './untranslated'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

const section = (m: typeof fr) => m.recovery.account
const apostrophes = (text: string) => text.replaceAll("'", '&#39;')

describe('the email section of /account in another language', () => {
  it('shows no address and the form in French, then names the address the link went to', async () => {
    const box = mailbox()
    const { username } = await registerUser()
    const cookie = await pageSignIn(username)
    const page = await box.call('/account?lang=fr', { headers: withCookie(cookie) })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`<h2 id="email-title">${fr.recovery.account.title}</h2>`)
    expect(html).toContain(apostrophes(fr.recovery.account.none))
    expect(html).toContain(`<label for="email">${fr.recovery.account.emailLabel}</label>`)
    expect(englishLeft(html, 'fr', section)).toEqual([])

    const email = `ana.${crypto.randomUUID().slice(0, 6)}@example.com`
    const res = await box.call('/account/email', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Origin: ORIGIN,
        Cookie: `${withCookie(cookie).Cookie}; __Host-lang=fr`,
      },
      body: new URLSearchParams({ email, emailPassword: PASSWORD }).toString(),
    })
    expect(res.status).toBe(200)
    const sent = await res.text()
    expect(sent).toContain('<html lang="fr">')
    expect(sent).toContain(apostrophes(fr.recovery.account.sent(email)))
    expect(englishLeft(sent, 'fr', section)).toEqual([])
    expect(box.sent.map((m) => m.to)).toEqual([email])
  })

  it('shows a verified address in Spanish, around the address in bold', () => {
    const html = String(emailSection(uiFor('es'), 'ana@example.com', true, true, {}))
    expect(html).toContain(
      `${es.recovery.account.currentBefore} <strong>ana@example.com</strong>${es.recovery.account.currentAfter}`,
    )
    expect(html).toContain(`<label for="email">${es.recovery.account.newEmailLabel}</label>`)
    expect(englishLeft(html, 'es', section)).toEqual([])
  })

  it('says in Spanish that no address can be confirmed without email, and offers no form', () => {
    const html = String(emailSection(uiFor('es'), null, false, true, {}))
    expect(html).toContain(es.recovery.account.noMail)
    expect(html).not.toContain('<form')
    expect(englishLeft(html, 'es', section)).toEqual([])
  })

  it('reads in English word for word as before', () => {
    const html = String(emailSection(uiFor('en'), 'ana@example.com', true, true, {}))
    expect(html).toContain(
      '<p>Your address is <strong>ana@example.com</strong>. Password reset links go to it.</p>',
    )
    expect(html).toContain('<label for="email">New email address</label>')
  })
})
