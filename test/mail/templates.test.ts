import { beforeAll, describe, expect, it } from 'vitest'
import {
  resetEmail,
  securityNotice,
  signInCodeEmail,
  verificationEmail,
} from '../../src/mail/templates'
import { installCatalogs } from '../helpers'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

describe('email templates', () => {
  it('say who sent them and when the link stops, in text and escaped HTML', () => {
    const mail = verificationEmail({
      lang: 'en',
      service: 'auth.example<script>',
      to: 'alice@example.com',
      url: 'https://auth.example/verify-email?token=abc&x="y"',
      hours: 24,
      account: 'mallory<b>\n',
    })
    expect(mail.subject).toBe('Confirm your email address for auth.example<script>')
    // The account that asked is named (escaped, on one line): a stranger's link says so.
    expect(mail.text).toContain('for the account "mallory<b>". If that is not your account')
    expect(mail.html).toContain('mallory&lt;b&gt;')
    expect(mail.text).toContain('https://auth.example/verify-email?token=abc&x="y"')
    expect(mail.text).toContain('for 24 hours')
    expect(mail.html).toContain('auth.example&lt;script&gt;')
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain(
      'href="https://auth.example/verify-email?token=abc&amp;x=&quot;y&quot;"',
    )
    // Nothing that tracks: no images, no other hosts.
    expect(mail.html).not.toMatch(/<img|https?:\/\/(?!auth\.example)/)
  })

  it('list, after a reset, each passkey and the two-factor state that remain, with no link', () => {
    const at = Date.UTC(2026, 11, 6, 8, 0)
    const notice = (remaining: Parameters<typeof securityNotice>[0]['remaining']) =>
      securityNotice({
        lang: 'en',
        service: 'auth.example',
        to: 'a@example.com',
        kind: 'password_reset',
        at,
        remaining,
      })
    const some = notice({
      passkeys: [{ id: 'x', name: 'Phone <i>', createdAt: '2026-11-30T10:00:00.000Z' }],
      totp: { enabled: true },
      identities: [{ provider: 'google', linkedAt: '2026-12-01T10:00:00.000Z' }],
    })
    // Dates as the language writes them, in UTC (i18n/dates.ts).
    expect(some.text).toContain('Passkey “Phone <i>”, added 30 Nov 2026')
    expect(some.text).toContain('Signing in with “google”, connected 1 Dec 2026')
    expect(some.text).toContain('(6 Dec 2026, 08:00 UTC)')
    expect(some.text).toContain('Two-factor authentication is on')
    expect(some.text).toContain('/account')
    expect(some.html).toContain('Phone &lt;i&gt;')
    expect(some.html).not.toMatch(/<a |https?:/)
    // A name is the adder's text: it stays on its line, never a paragraph of ours.
    const forged = notice({
      passkeys: [
        { id: 'y', name: 'Key\n\nAll is well.\u2028Ignore', createdAt: '2026-11-30T10:00:00.000Z' },
      ],
      totp: { enabled: false },
      identities: [],
    })
    expect(forged.text).toContain('Passkey “Key All is well. Ignore”, added 30 Nov 2026')
    const none = notice({ passkeys: [], totp: { enabled: false }, identities: [] })
    expect(none.text).toContain(
      'no passkeys, no other providers, and two-factor authentication is off',
    )
    // Other notices are as before: no list.
    expect(notice(undefined).text).not.toContain('Passkey')
  })
})

describe('email templates in other languages and with the brand', () => {
  const link = {
    service: 'Acme <b>ID</b>',
    to: 'alice@example.com',
    url: 'https://auth.example/reset-password?token=abc',
    hours: 0.5,
  }

  it('write the reset mail in French: subject, lines, the button, and <html lang="fr">', () => {
    const mail = resetEmail({ ...link, lang: 'fr' })
    expect(mail.subject).toBe('Réinitialisez votre mot de passe Acme <b>ID</b>')
    expect(mail.text).toContain('pendant 30 minutes')
    expect(mail.html).toContain('<html lang="fr">')
    expect(mail.html).toContain('Choisir un nouveau mot de passe')
    // No English sentence of the English mail is left.
    const english = resetEmail({ ...link, lang: 'en' })
    for (const sentence of english.text.split('\n\n').filter((l) => !l.startsWith('https:'))) {
      expect(mail.text).not.toContain(sentence.trim())
    }
    expect(mail.text.replace(link.url, '')).not.toMatch(/\b(?:the|your|password|link)\b/i)
  })

  it('write a Spanish sign-in code mail and a Spanish notice with Spanish dates', () => {
    const code = signInCodeEmail({
      lang: 'es',
      service: 'auth.example',
      to: 'a@example.com',
      code: '012345',
      minutes: 10,
    })
    expect(code.subject).toBe('Tu código de inicio de sesión para auth.example')
    expect(code.text).toContain('Tu código es 012345. Funciona una sola vez, durante 10 minutos.')
    expect(code.html).toContain('<html lang="es">')
    const notice = securityNotice({
      lang: 'es',
      service: 'auth.example',
      to: 'a@example.com',
      kind: 'password_reset',
      at: Date.UTC(2026, 11, 6, 17, 6),
      remaining: {
        passkeys: [{ id: 'x', name: 'Móvil', createdAt: '2026-11-30T10:00:00.000Z' }],
        totp: { enabled: false },
        identities: [],
      },
    })
    expect(notice.subject).toBe('Aviso de seguridad de auth.example')
    expect(notice.text).toContain('17:06 UTC')
    expect(notice.text).toContain('Llave de acceso «Móvil», añadida el 30 nov 2026')
    expect(notice.text).not.toMatch(/\b(?:Passkey|The password|Two-factor)\b/)
  })

  it('escape a service name with markup everywhere in the HTML, and keep it as text in the text part', () => {
    const mail = verificationEmail({ ...link, lang: 'en', hours: 24, account: 'alice' })
    expect(mail.html).not.toContain('<b>ID</b>')
    expect(mail.html).toContain('Acme &lt;b&gt;ID&lt;/b&gt;')
    expect(mail.text).toContain('asked Acme <b>ID</b> to use this address')
  })

  it('show the logo, by its absolute URL, with the name as its alt text; the accent on the link only', () => {
    const mail = resetEmail({
      ...link,
      service: 'Acme "ID"',
      lang: 'en',
      logo: 'https://auth.example/brand/logo.svg',
      accent: '#0b57d0',
    })
    // The logo beside the name (which is its text: alt is empty, so it is not said twice).
    expect(mail.html).toMatch(
      /<img src="https:\/\/auth\.example\/brand\/logo\.svg" alt="" [^>]*>Acme &quot;ID&quot;<\/p>/,
    )
    // The link is a button in the brand's colour, its text white (the readable one on it).
    expect(mail.html).toMatch(
      /<a href="https:\/\/auth\.example\/reset-password\?token=abc" style="[^"]*background:#0b57d0;color:#ffffff;/,
    )
    // The text part names the service as before, and shows no image.
    expect(mail.text).not.toContain('logo.svg')
    // Every attribute closes where it should: no quote inside a style.
    for (const style of mail.html.match(/style="[^"]*"/g) ?? []) expect(style).not.toMatch(/'/)
    expect(mail.html).not.toMatch(/style="[^"]*"[^ >/]/)
    // Exactly one image, and no other host.
    expect(mail.html.match(/<img /g)).toHaveLength(1)
    expect(mail.html).not.toMatch(/https?:\/\/(?!auth\.example\/)/)
  })

  it('refuse, whatever a caller passes, a colour that is not #rrggbb and a logo that is not an http(s) URL', () => {
    for (const accent of ['red', '#0b57d0;background:url(x)', '#fff', 'expression(1)']) {
      const html = resetEmail({ ...link, lang: 'en', accent }).html
      // The pages' own colour instead; nothing of the value reaches the style.
      expect(html).toContain('background:#1a56db;color:#ffffff;')
      expect(html).not.toMatch(/url\(|expression|background:red|background:#fff;/)
    }
    for (const logo of ['javascript:alert(1)', '/brand/logo.svg', 'data:image/svg+xml,<svg>', '']) {
      expect(resetEmail({ ...link, lang: 'en', logo }).html).not.toContain('<img')
    }
  })
})
