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

/** The HTML body: the paragraphs, then the link (if any), as a link and spelled out. */
function page(title: string, paragraphs: string[], link?: { url: string; label: string }): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escape(title)}</title></head><body>`,
    ...paragraphs.map((p) => `<p>${escape(p)}</p>`),
    ...(link
      ? [
          `<p><a href="${escape(link.url)}">${escape(link.label)}</a></p>`,
          `<p>${escape(link.url)}</p>`,
        ]
      : []),
    '</body></html>',
  ].join('')
}

/** A message around one link: why it came, what the link does, and what to do if not asked for. */
function linkMail(
  { to, url }: Link,
  subject: string,
  [why, how, ifNot]: [string, string, string],
  label: string,
): Mail {
  return {
    to,
    subject,
    text: `${why}\n\n${how}\n\n${url}\n\n${ifNot}\n`,
    html: page(subject, [why, how, ifNot], { url, label }),
  }
}

/**
 * "Confirm this address": the link verifies it for the account, which the mail names, so the
 * owner of an address a stranger named can tell the link is not theirs to open.
 */
export const verificationEmail = (link: Link & { account: string }): Mail =>
  linkMail(
    link,
    `Confirm your email address for ${link.service}`,
    [
      `Someone (we hope you) asked ${link.service} to use this address for the account "${oneLine(link.account)}". If that is not your account, do not open the link.`,
      `To confirm it, open the link below. It works once, for ${lasts(link.hours)}.`,
      'If this was not you, ignore this message: nothing changes without the link.',
    ],
    'Confirm this address',
  )

/** "Reset your password": the link sets a new one and ends every session. */
export const resetEmail = (link: Link): Mail =>
  linkMail(
    link,
    `Reset your ${link.service} password`,
    [
      `Someone (we hope you) asked to reset the password of your ${link.service} account.`,
      `To choose a new one, open the link below. It works once, for ${lasts(link.hours)}, until a newer link is mailed or the password changes. We mail at most one link every five minutes: if you asked again within five minutes of this message, use this one. Resetting signs you out everywhere.`,
      'If this was not you, ignore this message: your password stays as it is.',
    ],
    'Choose a new password',
  )

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

const NOTICES: Record<NoticeKind, string> = {
  password_changed: 'The password of your account was changed, and your other sessions ended.',
  password_reset: 'The password of your account was reset by email, and every session ended.',
  passkey_added: 'A passkey was added to your account.',
  passkey_removed: 'A passkey was removed from your account.',
  totp_enabled: 'Two-factor authentication was turned on for your account.',
  totp_disabled: 'Two-factor authentication was turned off for your account.',
  email_changed:
    'Your account now uses another email address; this one no longer receives its mail.',
  session_ended_for_reuse:
    'A sign-in of your account was ended because its refresh token was used twice: one copy may be in other hands. Sign in again, and if you did not expect this, change your password.',
  identity_linked:
    'Signing in with another provider was connected to your account: it now signs in to this account.',
  identity_removed:
    'Signing in with another provider was disconnected from your account: it no longer signs in to this account.',
}

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
function remainingLines(service: string, { passkeys, totp, identities }: WaysIn): string[] {
  return [
    passkeys.length === 0 && !totp.enabled && identities.length === 0
      ? 'Nothing else signs in to your account: no passkeys, no other providers, and two-factor authentication is off.'
      : 'These still sign in to your account. If one is not yours, sign in and remove it on your account page (/account):',
    ...passkeys.map((p) => `Passkey “${oneLine(p.name)}”, added ${p.createdAt.slice(0, 10)}`),
    ...identities.map(
      (i) => `Signing in with “${oneLine(i.provider)}”, connected ${i.linkedAt.slice(0, 10)}`,
    ),
    ...(passkeys.length > 0 || totp.enabled
      ? [
          totp.enabled
            ? `Two-factor authentication is on: an authenticator app holding ${service}’s code still works with your password.`
            : 'Two-factor authentication is off.',
        ]
      : []),
  ]
}

/** "Something changed": no link to follow, so nothing to phish with. */
export function securityNotice({
  service,
  to,
  kind,
  at,
  remaining,
  provider,
}: {
  service: string
  to: string
  kind: NoticeKind
  at: number
  /** For identity notices: the provider's name, as its sign-in button shows it. */
  provider?: string
  /** After a reset: the passkeys and two-factor state that remain. */
  remaining?: WaysIn
}): Mail {
  const subject = `Security notice from ${service}`
  const when = new Date(at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  const lines = [
    `${NOTICES[kind]} (${when})`,
    ...(provider ? [`Provider: ${oneLine(provider)}`] : []),
    ...(remaining ? remainingLines(service, remaining) : []),
    'If this was you, there is nothing to do. If it was not, sign in and secure your account: change your password and review your sessions, passkeys and two-factor.',
  ]
  return {
    to,
    subject,
    text: `${[...lines, service].join('\n\n')}\n`,
    html: page(subject, [...lines, service]),
  }
}

/** A sign-in code: the code, how long it works, and what to do if it was not asked for. */
export function signInCodeEmail({
  service,
  to,
  code,
  minutes,
}: {
  service: string
  to: string
  code: string
  minutes: number
}): Mail {
  const subject = `Your sign-in code for ${service}`
  const lines = [
    `Someone asked to sign in to your ${service} account with a code sent to this address.`,
    `Your code is ${code}. It works once, for ${minutes} minutes.`,
    'If you did not ask for it, ignore this email: without the code nobody can use it. Never give it to anyone.',
  ]
  return {
    to,
    subject,
    text: `${[...lines, service].join('\n\n')}\n`,
    html: page(subject, [...lines, service]),
  }
}
