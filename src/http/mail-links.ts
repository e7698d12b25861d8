// The links mailed to people (confirm an address, reset a password): the hosted pages, built on
// the service's public URL, JWT_ISSUER; or the app's own pages, APP_LINKS' templates on an
// ALLOWED_ORIGINS origin. Never on a request's Host or any other request field, which whoever
// sends the request chooses (reset-link poisoning); only a loopback host (`npm run dev`) may
// stand in for JWT_ISSUER.
import { type AppLinkKind, type Bindings, publicBase, settings } from '../env'
import { type MailLink, MailSetupError, asMailSetupError } from '../mail/mailer'

type Request = { env: Bindings; req: { url: string } }

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** JWT_ISSUER's URL, or a loopback origin in development; else email waits for the setting. */
function linkBase(c: Request): string {
  const { base, fromHost } = publicBase(c)
  if (fromHost && !LOOPBACK.has(new URL(base).hostname)) throw new MailSetupError('JWT_ISSUER')
  return base
}

/** APP_LINKS' template for `kind`, or null for the hosted page; invalid, email waits (503). */
function appTemplate(c: Request, kind: AppLinkKind): string | null {
  try {
    return settings(c.env).appLinks?.[kind] ?? null
  } catch (err) {
    throw asMailSetupError(err)
  }
}

const PLACEHOLDER = '{token}'

const linkTo = (c: Request, page: string, kind: AppLinkKind): MailLink => {
  const base = linkBase(c)
  const template = appTemplate(c, kind)
  return {
    service: new URL(base).host,
    // The token is URL-encoded into the one placeholder (a function replacement, so `$` in a
    // token could never act as a replacement pattern).
    url: (token) =>
      template === null
        ? `${base}/${page}?token=${encodeURIComponent(token)}`
        : template.replace(PLACEHOLDER, () => encodeURIComponent(token)),
  }
}

/** A verification email's link: the hosted page, which confirms on a button press, or the app's. */
export const verificationLink = (c: Request) => linkTo(c, 'verify-email', 'verifyEmail')

/** A reset email's link: the hosted page, which asks for the new password, or the app's. */
export const resetLink = (c: Request) => linkTo(c, 'reset-password', 'resetPassword')

/** The service's name in an email without a link (a sign-in code): the public URL's host. */
export const mailService = (c: Request): string => new URL(linkBase(c)).host
