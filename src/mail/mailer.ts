// Sending email: the one seam between the service and Cloudflare Email Service. In production
// the `send_email` binding named EMAIL, from MAIL_FROM; `wrangler dev` simulates the binding and
// prints each message instead of sending it; the tests pass a capturing double. No Hono.

/** What a mailed link needs: the service's name, and the URL a token makes (http/mail-links.ts). */
export type MailLink = { service: string; url: (token: string) => string }

/** One message, from one template: a plain-text body and an HTML one. */
export type Mail = { to: string; subject: string; text: string; html: string }

export interface Mailer {
  send(mail: Mail): Promise<void>
}

/**
 * Email cannot be sent because a setting is missing (the binding, the sender, or the public URL
 * its links are built on): the routes that send answer 503 `email_unavailable` and log the
 * setting's name; every other route keeps working.
 */
export class MailSetupError extends Error {
  constructor(readonly setting: 'EMAIL' | 'MAIL_FROM' | 'JWT_ISSUER') {
    super(`${setting} is not configured`)
    this.name = 'MailSetupError'
  }
}

/** What the binding needs: Cloudflare's SendEmail, by its builder form. */
export type SendEmailBinding = {
  send(message: {
    from: string
    to: string
    subject: string
    text: string
    html: string
  }): Promise<unknown>
}

/** The production mailer over the `send_email` binding; throws MailSetupError when unset. */
export function bindingMailer(
  binding: SendEmailBinding | undefined,
  from: string | undefined,
): Mailer {
  if (!binding || typeof binding.send !== 'function') throw new MailSetupError('EMAIL')
  if (!from) throw new MailSetupError('MAIL_FROM')
  return {
    async send(mail) {
      await binding.send({ from, ...mail })
    },
  }
}
