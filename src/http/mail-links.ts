// The links mailed to people (confirm an address, reset a password): the hosted pages, built on
// the service's public URL, JWT_ISSUER; or the app's own pages, APP_LINKS' templates on an
// ALLOWED_ORIGINS origin. Never on a request's Host or any other request field, which whoever
// sends the request chooses (reset-link poisoning); only a loopback host (`npm run dev`) may
// stand in for JWT_ISSUER. The product's name and logo in every email come from here too: the
// logo's URL is on that same base, and the same for every recipient (nothing to track with).
import { type AppLinkKind, type Bindings, publicBase, serviceName, settings } from '../env'
import { type MailBrand, type MailLink, MailSetupError, asMailSetupError } from '../mail/mailer'

type Request = { env: Bindings; req: { url: string } }

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** JWT_ISSUER's URL, or a loopback origin in development; null when only the Host names it. */
function trustedBase(c: Request): string | null {
  const { base, fromHost } = publicBase(c)
  return fromHost && !LOOPBACK.has(new URL(base).hostname) ? null : base
}

/** JWT_ISSUER's URL, or a loopback origin in development; else email waits for the setting. */
function linkBase(c: Request): string {
  const base = trustedBase(c)
  if (base === null) throw new MailSetupError('JWT_ISSUER')
  return base
}

/**
 * The service as an email shows it: serviceName (SERVICE_NAME, else the public host); BRAND_LOGO
 * as an absolute URL on `base` (the links' base, never a Host the request chose: without one, no
 * logo); BRAND_COLOR, already validated as #rrggbb, for the link.
 */
function brandOn(c: Request, base: string | null): MailBrand {
  const brand = settings(c.env).brand
  return {
    service: serviceName(c),
    logo: brand.logo !== null && base !== null ? new URL(brand.logo, base).href : null,
    accent: brand.accent?.light.color ?? null,
  }
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
    ...brandOn(c, base),
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

/** The service in an email without a link (a sign-in code): as on the links, on their base. */
export const mailService = (c: Request): MailBrand => brandOn(c, linkBase(c))

/**
 * The service in a security notice, which has no link and so needs no public URL: named as
 * always (with no JWT_ISSUER, the host the request came to, as before), but with a logo only on
 * a public URL, never on the request's Host.
 */
export const noticeBrand = (c: Request): MailBrand => brandOn(c, trustedBase(c))
