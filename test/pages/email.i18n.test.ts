// The pages behind the emails in French and Spanish: confirming an address, asking for a reset
// link and setting the new password, each wholly in the asked language (by ?lang=, the lang
// cookie or Accept-Language), with dates as that language writes them; English stays as it was.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { date } from '../../src/i18n/dates'
import { FORGOT_ANSWER } from '../../src/routes/recovery'
import { en } from '../../src/i18n/en'
import { fr } from '../../src/i18n/fr'
import { es } from '../../src/i18n/es'
import { softAuthenticator } from '../doubles/authenticator'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { totpStep } from '../../src/auth/totp'
import { ORIGIN, PASSWORD, bearer, jsonInit, signedIn } from '../helpers'
import { englishLeft } from './untranslated'

type Box = ReturnType<typeof mailbox>

const postForm = (box: Box, path: string, fields: Record<string, string>, headers = {}) =>
  box.call(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, ...headers },
    body: new URLSearchParams(fields).toString(),
  })

/** A fresh reset link for `username` (the mail interval cleared, as if five minutes passed). */
async function resetLinkFor(box: Box, username: string) {
  await env.DB.prepare(`DELETE FROM email_quota WHERE address LIKE 'reset:%'`).run()
  await box.call('/password/forgot', jsonInit('POST', { login: username }))
  return box.token('reset-password')
}

async function addPasskey(as: Awaited<ReturnType<typeof withVerifiedEmail>>['as'], name: string) {
  const authenticator = await softAuthenticator({ origin: ORIGIN })
  const options = await (
    await as('POST', '/users/me/passkeys/options', { password: PASSWORD })
  ).json()
  const credential = await authenticator.create(options as never)
  expect((await as('POST', '/users/me/passkeys', { credential, name })).status).toBe(201)
}

describe('/verify-email in another language', () => {
  it('asks for the button press in French, and says nothing in English', async () => {
    const box = mailbox()
    const res = await box.call('/verify-email?token=abc&lang=fr')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(fr.recovery.verify.title)
    expect(html).toContain(fr.recovery.verify.intro)
    expect(html).toContain(`>${fr.recovery.verify.submit}</button>`)
    expect(englishLeft(html, 'fr', (m) => m.recovery.verify)).toEqual([])
  })

  it('confirms an address in Spanish (by Accept-Language), naming it escaped', async () => {
    const box = mailbox()
    const account = await signedIn('i18nverify')
    const email = `${account.username}@example.org`.toLowerCase()
    const asked = await box.call(
      '/users/me/email',
      jsonInit('PUT', { email, password: PASSWORD }, bearer(account.tokens.accessToken).headers),
    )
    expect(asked.status).toBe(202)
    const res = await postForm(
      box,
      '/verify-email',
      { token: box.token() },
      {
        'Accept-Language': 'es-ES,es;q=0.9,en;q=0.5',
      },
    )
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(es.recovery.verify.confirmed(email))
    expect(html).toContain(`>${es.recovery.verify.toAccount}</a>`)
    expect(englishLeft(html, 'es', (m) => m.recovery.verify)).toEqual([])
  })

  it('says a dead link in French (by the lang cookie), with the same status as in English', async () => {
    const box = mailbox()
    const res = await postForm(
      box,
      '/verify-email',
      { token: 'x'.repeat(43) },
      { Cookie: '__Host-lang=fr' },
    )
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(fr.recovery.verify.deadLink)
    expect(html).not.toContain(en.recovery.verify.deadLink)
    expect(englishLeft(html, 'fr', (m) => m.recovery.verify)).toEqual([])
  })
})

describe('/forgot-password in another language', () => {
  it('shows the form in Spanish', async () => {
    const res = await mailbox().call('/forgot-password?lang=es')
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(`<title>${es.recovery.forgot.title}`)
    expect(html).toContain(`<label for="login">${es.recovery.forgot.loginLabel}</label>`)
    expect(englishLeft(html, 'es', (m) => m.recovery.forgot)).toEqual([])
  })

  it('answers a language it does not speak, or a forged one, in English, reflecting nothing', async () => {
    for (const lang of ['de', 'fr"><script>alert(1)</script>', '../en', 'FR-x']) {
      const res = await mailbox().call(`/forgot-password?lang=${encodeURIComponent(lang)}`)
      expect(res.status).toBe(200)
      const html = await res.text()
      expect(html).toContain('<html lang="en">')
      expect(html).toContain(en.recovery.forgot.intro)
      expect(html).not.toContain('<script>alert')
      expect(res.headers.getSetCookie().some((c) => c.startsWith('__Host-lang='))).toBe(false)
    }
  })

  it('refuses an empty login in French, beside its field', async () => {
    const box = mailbox()
    const res = await postForm(box, '/forgot-password?lang=fr', { login: ' ' })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(
      `id="login-error">${fr.recovery.forgot.loginMissing.replaceAll("'", '&#39;')}`,
    )
    expect(englishLeft(html, 'fr', (m) => m.recovery.forgot)).toEqual([])
    expect(box.sent).toEqual([])
  })

  it('answers the same French page for an account with an address and for no account', async () => {
    const box = mailbox()
    const { username } = await withVerifiedEmail(box, 'i18nforgot')
    const pages: string[] = []
    for (const login of [username, `ghost-${crypto.randomUUID()}`]) {
      await env.DB.prepare(`DELETE FROM email_quota WHERE address LIKE 'reset:%'`).run()
      const res = await postForm(box, '/forgot-password', { login }, { 'Accept-Language': 'fr' })
      expect(res.status).toBe(200)
      pages.push(await res.text())
    }
    expect(pages[0]).toContain(fr.recovery.forgot.sent)
    expect(pages[0]).toContain(`<title>${fr.recovery.forgot.sentTitle}`)
    expect(englishLeft(pages[0]!, 'fr', (m) => m.recovery.forgot)).toEqual([])
    // Nothing tells the two apart, in French either.
    expect(pages[1]).toBe(pages[0])
    expect(box.sent).toHaveLength(1)
  })

  it("keeps the English answer the API's own", () => {
    expect(en.recovery.forgot.sent).toBe(FORGOT_ANSWER.message)
  })
})

describe('/reset-password in another language', () => {
  it('lists the ways in in French, dated as French writes dates, without spending the link', async () => {
    const box = mailbox()
    const { username, as } = await withVerifiedEmail(box, 'i18nreset')
    await addPasskey(as, 'Clé <b>perso</b>')
    const token = await resetLinkFor(box, username)
    const res = await box.call(`/reset-password?token=${token}&lang=fr`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`<title>${fr.recovery.reset.title}`)
    const today = date('fr', Date.now())
    expect(html).toContain(
      fr.recovery.reset
        .removePasskey('Clé &lt;b&gt;perso&lt;/b&gt;', today)
        .replaceAll("'", '&#39;'),
    )
    expect(html).toContain(fr.recovery.reset.totpOff.replaceAll("'", '&#39;'))
    expect(html).not.toContain('Clé <b>perso</b>')
    expect(englishLeft(html, 'fr', (m) => m.recovery.reset)).toEqual([])
    // Not spent: the link still sets a password.
    expect((await box.call(`/reset-password?token=${token}`)).status).toBe(200)
  })

  it('dates the passkey as English writes dates, in English', async () => {
    const box = mailbox()
    const { username, as } = await withVerifiedEmail(box, 'i18nreset')
    await addPasskey(as, 'Laptop')
    const token = await resetLinkFor(box, username)
    const html = await (await box.call(`/reset-password?token=${token}`)).text()
    expect(html).toContain('<html lang="en">')
    expect(html).toContain(`Remove the passkey “Laptop”, added ${date('en', Date.now())}`)
  })

  it('refuses a wrong two-factor code in French, keeping the form, the choices and the link', async () => {
    const box = mailbox()
    const { username, as } = await withVerifiedEmail(box, 'i18nreset')
    const { secret } = (await (
      await as('POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as { secret: string }
    const codeAt = (steps: number) =>
      generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)
    expect((await as('POST', '/users/me/totp/verify', { code: codeAt(0) })).status).toBe(200)
    const token = await resetLinkFor(box, username)
    const page = await (await box.call(`/reset-password?token=${token}&lang=fr`)).text()
    expect(page).toContain(fr.recovery.reset.disableTotp.replaceAll("'", '&#39;'))
    expect(page).toContain(fr.recovery.reset.codeLabel)
    expect(englishLeft(page, 'fr', (m) => m.recovery.reset)).toEqual([])
    const fields = { token, newPassword: 'a brand new passphrase', disableTotp: 'on' }
    const refused = await postForm(box, '/reset-password', fields, { Cookie: '__Host-lang=fr' })
    expect(refused.status).toBe(401)
    const html = await refused.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain(`id="code-error">${fr.recovery.reset.wrongCode}`)
    expect(html).toMatch(/name="disableTotp"\s+checked/)
    expect(englishLeft(html, 'fr', (m) => m.recovery.reset)).toEqual([])
    // The link is not spent: with a code, it resets.
    const done = await postForm(box, '/reset-password', { ...fields, code: codeAt(1) })
    expect(done.status).toBe(303)
  })

  it('says a dead link in Spanish, and shows nothing of any account', async () => {
    const res = await mailbox().call(`/reset-password?token=${'y'.repeat(43)}&lang=es`)
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(es.recovery.reset.deadLink)
    expect(html).toContain(`>${es.recovery.reset.askNewLink}</a>`)
    expect(html).not.toContain('name="newPassword"')
    expect(englishLeft(html, 'es', (m) => m.recovery.reset)).toEqual([])
  })

  it('refuses a short password in Spanish and keeps the link', async () => {
    const box = mailbox()
    const { username } = await withVerifiedEmail(box, 'i18nreset')
    const token = await resetLinkFor(box, username)
    const res = await postForm(
      box,
      '/reset-password',
      { token, newPassword: 'short' },
      {
        Cookie: '__Host-lang=es',
      },
    )
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('<html lang="es">')
    expect(html).toContain(es.recovery.reset.newPasswordHint)
    expect(html).toContain('id="newPassword-error"')
    expect(englishLeft(html, 'es', (m) => m.recovery.reset)).toEqual([])
    expect((await box.call(`/reset-password?token=${token}`)).status).toBe(200)
  })
})
