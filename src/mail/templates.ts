// The emails the service sends, each from one template with a text and an HTML body, in the
// language given (i18n/<lang>/mail.ts). Everything interpolated is escaped for HTML; nothing
// tracks (no redirecting links; the one image, the product's logo, is the same URL for every
// recipient); each says which service sent it and when its link stops working.
import { messagesFor } from '../i18n/catalogs'
import { date, dateTime } from '../i18n/dates'
import type { Language } from '../i18n/languages'
import { accent } from '../brand'
import type { Mail, MailBrand } from './mailer'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)

/** Only a colour of this exact shape reaches a style attribute, whatever the caller passes. */
const HEX_COLOR = /^#[0-9a-f]{6}$/i

/** A logo's URL as an attribute: absolute http(s) only; anything else shows no image. */
function logoUrl(url: string | null | undefined): string | null {
  if (!url || !URL.canParse(url)) return null
  const parsed = new URL(url)
  return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null
}

/** What every template is given: the language, the brand, and the recipient. */
type Common = MailBrand & { lang: Language; to: string }

type Link = Common & { url: string; hours: number }

/** The link's colour when BRAND_COLOR is unset: the hosted pages' own. */
const DEFAULT_ACCENT = '#1a56db'

// Inline styles: mail clients drop <style> and external sheets. Fixed text, and colours only of
// the checked #rrggbb shape, so nothing from configuration or a caller reaches CSS unchecked.
const BODY =
  'margin:0;padding:24px 12px;background:#f4f5f7;color:#1b1d21;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif'
const CARD =
  'max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #d9dce2;border-radius:12px'
const HEADER = 'margin:0 0 16px;font-size:18px;font-weight:600'
const button = (color: string) =>
  `display:inline-block;padding:10px 18px;border-radius:8px;background:${color};color:${accent(color).text};font-weight:600;text-decoration:none`

/**
 * The HTML body, on a card: the logo (if any) and the service's name, the paragraphs, then the
 * link (if any) as a button in the brand's colour, and spelled out.
 */
function page(
  { lang, service, logo, accent: brandColor }: Common,
  title: string,
  paragraphs: string[],
  link?: { url: string; label: string },
): string {
  const src = logoUrl(logo)
  const color = brandColor && HEX_COLOR.test(brandColor) ? brandColor.toLowerCase() : DEFAULT_ACCENT
  return [
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escape(title)}</title></head><body style="${BODY}"><div style="${CARD}">`,
    `<p style="${HEADER}">`,
    ...(src
      ? [
          `<img src="${escape(src)}" alt="" height="32" style="vertical-align:middle;margin-right:8px">`,
        ]
      : []),
    `${escape(service)}</p>`,
    ...paragraphs.map((p) => `<p>${escape(p)}</p>`),
    ...(link
      ? [
          `<p><a href="${escape(link.url)}" style="${button(color)}">${escape(link.label)}</a></p>`,
          `<p style="font-size:14px;color:#5b6270;word-break:break-all">${escape(link.url)}</p>`,
        ]
      : []),
    '</div></body></html>',
  ].join('')
}

/** A message around one link: why it came, what the link does, and what to do if not asked for. */
function linkMail(
  link: Link,
  subject: string,
  [why, how, ifNot]: [string, string, string],
  label: string,
): Mail {
  return {
    to: link.to,
    subject,
    text: `${why}\n\n${how}\n\n${link.url}\n\n${ifNot}\n`,
    html: page(link, subject, [why, how, ifNot], { url: link.url, label }),
  }
}

const minutesOf = (hours: number) => Math.round(hours * 60)

/**
 * "Confirm this address": the link verifies it for the account, which the mail names, so the
 * owner of an address a stranger named can tell the link is not theirs to open.
 */
export function verificationEmail(link: Link & { account: string }): Mail {
  const t = messagesFor(link.lang).mail.verification
  return linkMail(
    link,
    t.subject(link.service),
    [t.why(link.service, oneLine(link.account)), t.how(minutesOf(link.hours)), t.ifNot],
    t.button,
  )
}

/** "Reset your password": the link sets a new one and ends every session. */
export function resetEmail(link: Link): Mail {
  const t = messagesFor(link.lang).mail.reset
  return linkMail(
    link,
    t.subject(link.service),
    [t.why(link.service), t.how(minutesOf(link.hours)), t.ifNot],
    t.button,
  )
}

/** What a security notice can say happened. */
export type NoticeKind =
  | 'password_changed'
  | 'password_reset'
  | 'passkey_added'
  | 'passkey_removed'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'email_changed'
  | 'session_ended_for_reuse'
  | 'identity_linked'
  | 'identity_removed'

/** The persistent ways into an account besides its password: what a reset may leave behind. */
export type WaysIn = {
  passkeys: { id: string; name: string; createdAt: string }[]
  totp: { enabled: boolean }
  /** Identities at other providers (by provider id), which sign in with no password at all. */
  identities: { provider: string; linkedAt: string }[]
}

/**
 * A name whoever added the passkey chose, on one line: line breaks and other control or
 * separator characters become spaces, so it cannot pass for a paragraph of ours.
 */
const oneLine = (name: string) => name.replace(/[\p{C}\p{Z}]+/gu, ' ').trim()

/** The ways in that remain, one line each, and where to remove them (named, not linked). */
function remainingLines(
  lang: Language,
  service: string,
  { passkeys, totp, identities }: WaysIn,
): string[] {
  const t = messagesFor(lang).mail.notice.remaining
  return [
    passkeys.length === 0 && !totp.enabled && identities.length === 0 ? t.none : t.some,
    ...passkeys.map((p) => t.passkey(oneLine(p.name), date(lang, p.createdAt))),
    ...identities.map((i) => t.identity(oneLine(i.provider), date(lang, i.linkedAt))),
    ...(passkeys.length > 0 || totp.enabled ? [totp.enabled ? t.totpOn(service) : t.totpOff] : []),
  ]
}

/** "Something changed": no link to follow, so nothing to phish with. */
export function securityNotice(
  notice: Common & {
    kind: NoticeKind
    at: number
    /** For identity notices: the provider's name, as its sign-in button shows it. */
    provider?: string
    /** After a reset: the passkeys and two-factor state that remain. */
    remaining?: WaysIn
  },
): Mail {
  const { lang, service, to, kind, at, remaining, provider } = notice
  const t = messagesFor(lang).mail.notice
  const subject = t.subject(service)
  const lines = [
    t.happened(t.kinds[kind], dateTime(lang, at)),
    ...(provider ? [t.provider(oneLine(provider))] : []),
    ...(remaining ? remainingLines(lang, service, remaining) : []),
    t.closing,
  ]
  return {
    to,
    subject,
    text: `${[...lines, service].join('\n\n')}\n`,
    html: page(notice, subject, [...lines, service]),
  }
}

/** A sign-in code: the code, how long it works, and what to do if it was not asked for. */
export function signInCodeEmail(mail: Common & { code: string; minutes: number }): Mail {
  const { lang, service, to, code, minutes } = mail
  const t = messagesFor(lang).mail.signInCode
  const subject = t.subject(service)
  const lines = [t.asked(service), t.code(code, minutes), t.ifNot]
  return {
    to,
    subject,
    text: `${[...lines, service].join('\n\n')}\n`,
    html: page(mail, subject, [...lines, service]),
  }
}
