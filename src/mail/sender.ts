// Who account emails come from: MAIL_FROM, with MAIL_FROM_NAME as its display name and
// MAIL_REPLY_TO as where replies go. Read here rather than in env.ts because the reply-to is
// checked by the account addresses' own rules (auth/email-address.ts), which env.ts sits below.
import { type Bindings, ConfigError } from '../env'
import { parseEmailAddress } from '../auth/email-address'

/** The sender, in Cloudflare SendEmail's builder form: an address, or a name and an address. */
export type MailSender = {
  from: string | { name: string; email: string }
  replyTo?: string
}

/** A display name is a header value: this many characters at most. */
export const MAX_SENDER_NAME = 64

/**
 * What a display name may not hold: control and format characters (CR and LF would start a new
 * header; bidi overrides would disguise it), line and paragraph separators, and the quote,
 * backslash and angle brackets that would end the name or start an address inside it.
 */
const UNSAFE_NAME = /[\p{C}\p{Zl}\p{Zp}"\\<>]/u

/** MAIL_FROM_NAME: printable, at most 64 characters; unset or blank, none. */
function senderName(env: Pick<Bindings, 'MAIL_FROM_NAME'>): string | null {
  const raw: unknown = env.MAIL_FROM_NAME
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null
  if (typeof raw !== 'string' || [...raw.trim()].length > MAX_SENDER_NAME) {
    throw new ConfigError('MAIL_FROM_NAME', `must be text of at most ${MAX_SENDER_NAME} characters`)
  }
  if (UNSAFE_NAME.test(raw)) {
    throw new ConfigError(
      'MAIL_FROM_NAME',
      'must be printable, without quotes, backslashes, angle brackets or line breaks',
    )
  }
  return raw.trim()
}

/** MAIL_REPLY_TO: one address, by the rules account addresses follow; unset or blank, none. */
function replyTo(env: Pick<Bindings, 'MAIL_REPLY_TO'>): string | null {
  const raw: unknown = env.MAIL_REPLY_TO
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return null
  const address = typeof raw === 'string' ? parseEmailAddress(raw.trim()) : null
  if (address === null) {
    throw new ConfigError('MAIL_REPLY_TO', 'must be one email address such as help@example.com')
  }
  return address
}

/**
 * The sender for `from` (MAIL_FROM, already known to be set), with the optional name and
 * reply-to; throws ConfigError naming whichever of the two is invalid.
 */
export function mailSender(
  env: Pick<Bindings, 'MAIL_FROM_NAME' | 'MAIL_REPLY_TO'>,
  from: string,
): MailSender {
  const name = senderName(env)
  const reply = replyTo(env)
  return {
    from: name === null ? from : { name, email: from },
    ...(reply === null ? {} : { replyTo: reply }),
  }
}
