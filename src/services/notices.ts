// Security notices: a short email to the account's verified address when something that guards
// the account changes (password, passkeys, two-factor, the address itself) or when a stolen
// refresh token was caught. Sent after the response, never failing what caused it: an account
// without a verified address, a service without email set up, or an address over its hourly
// quota simply gets none. Knows nothing of Hono or bindings.
import { now } from '../clock'
import { log } from '../log'
import { maskedAddress } from '../auth/email-address'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'
import { type MailBrand, MailSetupError, type Mailer } from '../mail/mailer'
import { type NoticeKind, type WaysIn, securityNotice } from '../mail/templates'
import type { EmailQuota, EmailRule } from '../store/email-quota'
import type { UserStore } from '../store/users'
import type { EventSink } from './events'

export type NoticeDeps = {
  users: UserStore
  events: EventSink
  emailQuota: EmailQuota
  mailer: () => Mailer
  defer: (task: Promise<unknown>) => void
  /** How a notice names and shows the service (http/mail-links.ts noticeBrand), when one is sent. */
  noticeBrand: () => MailBrand
  /**
   * The language of the request that causes a mail: used only for an account with no language
   * stored (mailLanguage), so no request chooses the words of a mail to someone else's account.
   */
  requestLanguage?: Language
  /**
   * Makes a language's words ready before a mail is written in it, and says which language they
   * are in: that one, or English when its words cannot be had (http/catalog-assets.ts).
   */
  loadLanguage: (lang: Language) => Promise<Language>
  requestId?: string
}

/**
 * The language of a mail to an account: its own when stored. Else, for a mail its owner caused
 * (a change they made, an address they named), the request's; for one anyone may cause (a reset
 * link, a sign-in code, a reuse notice), English: a stranger never picks its words.
 */
export async function mailLanguage(
  stored: Language | null,
  deps: Pick<NoticeDeps, 'requestLanguage' | 'loadLanguage'>,
  causedBy: 'owner' | 'anyone',
): Promise<Language> {
  const lang =
    stored ?? (causedBy === 'owner' ? deps.requestLanguage : undefined) ?? DEFAULT_LANGUAGE
  return deps.loadLanguage(lang)
}

/** Notices a request by someone other than the owner may cause: a thief's replay, a reset link. */
const CAUSED_BY_ANYONE: ReadonlySet<NoticeKind> = new Set([
  'session_ended_for_reuse',
  'password_reset',
])

/**
 * Notices of one kind one address may be sent in an hour, beside the links (a burst is not a
 * flood). Each kind counts apart, so ten password changes cannot silence "your address changed".
 */
const NOTICES_PER_KIND: EmailRule = { max: 10, windowMs: 60 * 60 * 1000 }

export type { NoticeKind, WaysIn }

/** What a notice may add: after a reset, the ways in that remain; for an identity, its provider. */
export type NoticeDetails = { remaining?: WaysIn; provider?: string }

export class Notices {
  constructor(private readonly deps: NoticeDeps) {}

  /** Tells the user's verified address (or `to`, an address being replaced) what happened. */
  send(userId: string, kind: NoticeKind, to?: string, details: NoticeDetails = {}): void {
    this.deps.defer(this.deliver(userId, kind, to, details))
  }

  private async deliver(
    userId: string,
    kind: NoticeKind,
    to: string | undefined,
    details: NoticeDetails,
  ): Promise<void> {
    const address = to ?? (await this.deps.users.verifiedEmail(userId))
    if (!address) return
    let mailer: Mailer
    try {
      mailer = this.deps.mailer()
    } catch (err) {
      if (err instanceof MailSetupError) return // the 503 belongs to the email routes only
      throw err
    }
    // Counted apart from links, and by kind, so nobody can spend one budget to silence another.
    const budget = { kind: 'notice' as const, address, by: kind }
    if (!(await this.deps.emailQuota.take(budget, NOTICES_PER_KIND, now()))) {
      log.warn('security_notice_throttled', { requestId: this.deps.requestId, userId, kind })
      return
    }
    const lang = await mailLanguage(
      await this.deps.users.language(userId),
      this.deps,
      CAUSED_BY_ANYONE.has(kind) ? 'anyone' : 'owner',
    )
    await mailer.send(
      securityNotice({
        ...this.deps.noticeBrand(),
        lang,
        to: address,
        kind,
        at: now(),
        remaining: details.remaining,
        provider: details.provider,
      }),
    )
    log.info('security_notice_sent', {
      requestId: this.deps.requestId,
      userId,
      kind,
      to: maskedAddress(address),
    })
  }
}
