// The links mailed to people (confirm an address, reset a password), built on the service's
// public URL: JWT_ISSUER. Never on a request's Host, which whoever sends the request chooses
// (reset-link poisoning); only a loopback host (`npm run dev`) may stand in for it.
import { type Bindings, publicBase } from '../env'
import { type MailLink, MailSetupError } from '../mail/mailer'

type Request = { env: Bindings; req: { url: string } }

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** JWT_ISSUER's URL, or a loopback origin in development; else email waits for the setting. */
function linkBase(c: Request): string {
  const { base, fromHost } = publicBase(c)
  if (fromHost && !LOOPBACK.has(new URL(base).hostname)) throw new MailSetupError('JWT_ISSUER')
  return base
}

const linkTo = (c: Request, page: string): MailLink => {
  const base = linkBase(c)
  return { service: new URL(base).host, url: (token) => `${base}/${page}?token=${token}` }
}

/** A verification email's link: the hosted page, which confirms on a button press. */
export const verificationLink = (c: Request) => linkTo(c, 'verify-email')

/** A reset email's link: the hosted page, which asks for the new password. */
export const resetLink = (c: Request) => linkTo(c, 'reset-password')

/** The service's name in an email without a link (a sign-in code): the public URL's host. */
export const mailService = (c: Request): string => new URL(linkBase(c)).host
