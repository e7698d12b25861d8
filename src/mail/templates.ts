// The emails the service sends, each from one template with a text and an HTML body. Everything
// interpolated is escaped for HTML; nothing tracks (no images, no redirecting links); each says
// which service sent it and when its link stops working.
import type { Mail } from './mailer'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)

type Link = { service: string; to: string; url: string; hours: number }

const lasts = (hours: number) =>
  hours >= 1 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.round(hours * 60)} minutes`

function page(title: string, paragraphs: string[], link: { url: string; label: string }): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escape(title)}</title></head><body>`,
    ...paragraphs.map((p) => `<p>${escape(p)}</p>`),
    `<p><a href="${escape(link.url)}">${escape(link.label)}</a></p>`,
    `<p>${escape(link.url)}</p>`,
    '</body></html>',
  ].join('')
}

/** "Confirm this address": the link verifies it for the account. */
export function verificationEmail({ service, to, url, hours }: Link): Mail {
  const subject = `Confirm your email address for ${service}`
  const lines = [
    `Someone (we hope you) asked ${service} to use this address for their account.`,
    `To confirm it, open the link below. It works once, for ${lasts(hours)}.`,
    'If this was not you, ignore this message: nothing changes without the link.',
  ]
  return {
    to,
    subject,
    text: `${lines[0]}\n\n${lines[1]}\n\n${url}\n\n${lines[2]}\n`,
    html: page(subject, lines, { url, label: 'Confirm this address' }),
  }
}

/** "Reset your password": the link sets a new one and ends every session. */
export function resetEmail({ service, to, url, hours }: Link): Mail {
  const subject = `Reset your ${service} password`
  const lines = [
    `Someone (we hope you) asked to reset the password of your ${service} account.`,
    `To choose a new one, open the link below. It works once, for ${lasts(hours)}; a newer request or a password change ends it. Resetting signs you out everywhere.`,
    'If this was not you, ignore this message: your password stays as it is.',
  ]
  return {
    to,
    subject,
    text: `${lines[0]}\n\n${lines[1]}\n\n${url}\n\n${lines[2]}\n`,
    html: page(subject, lines, { url, label: 'Choose a new password' }),
  }
}
