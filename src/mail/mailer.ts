// Sending email: the one seam between the service and Cloudflare Email Service. In production
// the `send_email` binding named EMAIL, from MAIL_FROM; `wrangler dev` simulates the binding and
// prints each message instead of sending it; the tests pass a capturing double. No Hono.
import { type Bindings, ConfigError } from '../env'
import { type MailSender, mailSender } from './sender'

/**
 * How an email names and shows the service (http/mail-links.ts): its name (SERVICE_NAME, else its
 * public host), and, for the HTML part, the logo's absolute URL on the public base and the
 * accent colour (#rrggbb) of its link.
 */
export type MailBrand = { service: string; logo?: string | null; accent?: string | null }

/** What a mailed link needs: the brand, and the URL a token makes (http/mail-links.ts). */
export type MailLink = MailBrand & { url: (token: string) => string }

/** One message, from one template: a plain-text body and an HTML one. */
export type Mail = { to: string; subject: string; text: string; html: string }

export interface Mailer {
  send(mail: Mail): Promise<void>
}

/** The settings mail waits for: when one is missing or invalid, the routes that send answer 503. */
export type MailSetting =
  | 'EMAIL'
  | 'MAIL_FROM'
  | 'JWT_ISSUER'
  | 'MAIL_FROM_NAME'
  | 'MAIL_REPLY_TO'
  | 'APP_LINKS'
  | 'ALLOWED_ORIGINS'

/**
 * Email cannot be sent because a setting is missing or invalid (the binding, the sender, the
 * public URL its links are built on, or the app's links): the routes that send answer 503
 * `email_unavailable` and log the setting's name; every other route keeps working.
 */
export class MailSetupError extends Error {
  constructor(
    readonly setting: MailSetting,
    reason = 'is not configured',
  ) {
    super(`${setting} ${reason}`)
    this.name = 'MailSetupError'
  }
}

/**
 * A mail setting's ConfigError as the MailSetupError the email routes answer 503 for (and
 * security notices skip), rather than a 500 for the whole request; anything else unchanged.
 */
export function asMailSetupError(err: unknown): unknown {
  return err instanceof ConfigError
    ? new MailSetupError(err.variable as MailSetting, err.reason)
    : err
}

/** What the binding needs: Cloudflare's SendEmail, by its builder form (workers-types' EmailMessageBuilder). */
export type SendEmailBinding = {
  send(
    message: MailSender & { to: string; subject: string; text: string; html: string },
  ): Promise<unknown>
}

/**
 * The production mailer over the `send_email` binding, from MAIL_FROM (named MAIL_FROM_NAME,
 * replies to MAIL_REPLY_TO when set); throws MailSetupError when one is unset or invalid.
 */
export function bindingMailer(
  binding: SendEmailBinding | undefined,
  env: Pick<Bindings, 'MAIL_FROM' | 'MAIL_FROM_NAME' | 'MAIL_REPLY_TO'>,
): Mailer {
  if (!binding || typeof binding.send !== 'function') throw new MailSetupError('EMAIL')
  if (!env.MAIL_FROM) throw new MailSetupError('MAIL_FROM')
  let sender: MailSender
  try {
    sender = mailSender(env, env.MAIL_FROM)
  } catch (err) {
    throw asMailSetupError(err)
  }
  return {
    async send(mail) {
      // The sender last: no message can name another.
      await binding.send({ ...mail, ...sender })
    },
  }
}
