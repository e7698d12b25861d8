// The account page's "Recent activity": the caller's latest security events, each a sentence in
// the page's language, with when, from what device and where. What the owner should check (a
// failed sign-in, a reused sign-in) stands out and says what to do. Every value is escaped by
// hono/html: a provider id, a device or a place in a row is text, never markup.
import { html } from 'hono/html'
import type { Messages } from '../i18n/catalogs'
import type { ActivityEvent } from '../schemas'
import type { Html } from './fields'
import type { Ui } from './ui'

type Sentences = Messages['account']['activity']['events']

/** The sentence for a sign-in, by how it was made (the audit row's method and provider). */
function signInSentence(t: Sentences, detail: ActivityEvent['detail'], provider: string | null) {
  switch (detail.method) {
    case 'totp':
      return t.signedInTwoStep
    case 'recovery_code':
      return t.signedInRecoveryCode
    case 'passkey':
    case 'passkey_signup':
      return t.signedInPasskey
    case 'email':
      return t.signedInEmailCode
    case 'fed':
      return provider === null ? t.signedIn : t.signedInProvider(provider)
    // The password sign-in is the one that names no method.
    case undefined:
      return provider === null ? t.signedInPassword : t.signedInProvider(provider)
    default:
      return t.signedIn
  }
}

/**
 * One event as a sentence. `providerName` names a provider id as the pages do ("Google"); an
 * id no longer configured is shown as it is. A type with no sentence here gets the generic one.
 */
export function activitySentence(
  ui: Ui,
  event: ActivityEvent,
  providerName: (id: string) => string,
): string {
  const t = ui.t.account.activity.events
  const { detail } = event
  const provider = detail.provider === undefined ? null : providerName(detail.provider)
  switch (event.type) {
    case 'sign_in.succeeded':
      return signInSentence(t, detail, provider)
    case 'sign_in.failed':
      return detail.reason === 'bad_mfa_code' ? t.signInFailedSecondStep : t.signInFailed
    case 'sign_in.throttled':
      return t.signInThrottled
    case 'sign_out':
      if (detail.scope === 'global') return t.signedOutEverywhere
      return detail.scope === 'others' ? t.signedOutOthers : t.signedOut
    case 'session.ended':
      return t.sessionEnded
    case 'refresh_token.reused':
      return t.refreshReused
    case 'password.changed':
      return t.passwordChanged
    case 'password.reset':
      return t.passwordReset
    case 'password.check_failed':
      return t.passwordCheckFailed
    case 'mfa.totp_enabled':
      return t.totpEnabled
    case 'mfa.totp_disabled':
      return t.totpDisabled
    case 'mfa.recovery_code_used':
      return t.recoveryCodeUsed
    case 'passkey.added':
      return t.passkeyAdded
    case 'passkey.removed':
      return t.passkeyRemoved
    case 'identity.linked':
      return provider === null ? t.other : t.identityLinked(provider)
    case 'identity.unlinked':
      return provider === null ? t.other : t.identityUnlinked(provider)
    case 'grant.created':
      return t.appAllowed
    case 'grant.revoked':
      return t.appRevoked
    case 'grant.session_ended':
      return t.appSessionEnded
    case 'oauth.code_replayed':
      return t.codeReplayed
    case 'user.created':
      return t.accountCreated
    case 'user.language_changed':
      return t.languageChanged
    case 'email.verified':
      return t.emailVerified
    case 'user.disabled':
      return t.accountDisabled
    case 'user.enabled':
      return t.accountEnabled
    case 'sessions.ended':
      return t.sessionsEndedByAdmin
    case 'mfa.reset':
      return t.mfaReset
    default:
      return t.other
  }
}

/** When, from what, where, and who when it was not the account's own side: "… · Chrome on macOS · Portugal". */
function eventMeta(ui: Ui, event: ActivityEvent): string {
  const t = ui.t.account.activity
  const by =
    event.actor === 'admin' ? t.byAdministrator : event.actor === 'service' ? t.byService : null
  return [ui.dateTime(event.at), event.device, event.location, by]
    .filter((part) => part !== null)
    .join(' · ')
}

export function activitySection(
  ui: Ui,
  events: ActivityEvent[],
  providerName: (id: string) => string,
): Html {
  const t = ui.t.account.activity
  const rows = events.map((event) => {
    const sentence = activitySentence(ui, event, providerName)
    return event.attention
      ? html`<li class="attention">
          <strong>${sentence}</strong>
          <span class="when">${eventMeta(ui, event)}</span>
          <span class="hint">${t.checkThis}</span>
        </li>`
      : html`<li>
          <span>${sentence}</span>
          <span class="when">${eventMeta(ui, event)}</span>
        </li>`
  })
  return html`<section aria-labelledby="activity-title">
    <h2 id="activity-title">${t.title}</h2>
    <p>${t.intro}</p>
    ${
      events.length === 0
        ? html`<p>${t.none}</p>`
        : html`<ul class="activity">
            ${rows}
          </ul>`
    }
  </section>`
}
