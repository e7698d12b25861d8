// The consent page of the authorization endpoint, and its refusals. No script: a plain form whose
// two buttons post decision=allow or decision=deny.
import { html } from 'hono/html'
import type { RedirectKind } from '../auth/redirect-uris'
import type { Html } from './fields'
import type { Ui } from './ui'

export type ConsentView = {
  clientName: string | null
  clientId: string
  /** For a client identified by its metadata document's URL: that URL's host. */
  documentHost: string | null
  /** Where the browser goes afterwards, as shown: a host, or a native app's scheme. */
  target: { kind: RedirectKind; shown: string }
  resourceName: string
  resource: string
  /** An OpenID request for nothing but the user's identity (UserInfo): no resource to name. */
  signInOnly: boolean
  scopes: string[]
  username: string
  /** The sealed request, bound to this user. */
  request: string
}

const whereTo = (ui: Ui, target: ConsentView['target']) => {
  const t = ui.t.apps.consent
  switch (target.kind) {
    case 'loopback':
      return html`<p class="warning" role="alert">
        ${t.loopback} <strong>${t.thisComputer}</strong> (<code>${target.shown}</code>).
        ${t.trustStarted}
      </p>`
    case 'native':
      return html`<p class="warning" role="alert">
        ${t.nativeBefore} <code>${target.shown}</code>${t.nativeAfter} ${t.trustStarted}
      </p>`
    default:
      return html`<p>${t.afterwards} <strong>${target.shown}</strong>.</p>`
  }
}

/**
 * What an OpenID scope lets the app learn or do, in words; any other scope is the resource's own
 * name for it, shown as it is. Own keys only: a scope named "constructor" is a name, not a lookup.
 */
const scopeItem = (ui: Ui, scope: string) => {
  const words: Record<string, string> = ui.t.apps.scopes
  return Object.hasOwn(words, scope)
    ? html`<li>${words[scope]}</li>`
    : html`<li><code>${scope}</code></li>`
}

export function consentPage(ui: Ui, view: ConsentView): Html {
  const t = ui.t.apps.consent
  const name = view.clientName ?? ui.t.apps.unnamed
  return html`<p>
      ${
        view.signInOnly
          ? html`<strong><bdi>${name}</bdi></strong> ${t.wantsSignIn}
              <strong>${view.username}</strong>.`
          : html`<strong><bdi>${name}</bdi></strong> ${t.wantsToUse}
              <strong>${view.resourceName}</strong> ${t.as} <strong>${view.username}</strong>.`
      }
    </p>
    ${
      view.documentHost === null
        ? html`<p class="hint">${t.unchecked} <code>${view.clientId}</code>.</p>`
        : html`<p class="warning">
            ${t.documentAt} <strong>${view.documentHost}</strong>
            (<code>${view.clientId}</code>): ${t.documentSays} ${t.trustHost}
            <strong>${view.documentHost}</strong>.
          </p>`
    }
    <p>${t.asks}</p>
    <ul class="scopes">
      ${view.scopes.map((scope) => scopeItem(ui, scope))}
    </ul>
    ${view.signInOnly ? '' : html`<p class="hint">${t.onResource} <code>${view.resource}</code>.</p>`}
    ${whereTo(ui, view.target)}
    <form method="post" action="/authorize/consent">
      <input type="hidden" name="request" value="${view.request}" />
      <button type="submit" name="decision" value="allow">${t.allow}</button>
      <button type="submit" name="decision" value="deny" class="secondary">${t.deny}</button>
    </form>
    <p class="hint">${t.removeLater}</p>`
}

export const refusedRequest = (ui: Ui, message: string): Html =>
  html`<p>${message}</p>
    <p>${ui.t.apps.refused.goBack} <a href="/account">${ui.t.apps.refused.accountLink}</a>.</p>`

/** A connected app, as the account page lists it. */
export type AppView = {
  id: string
  name: string | null
  resource: string
  scopes: string[]
  /** When the app last used its access: an ISO 8601 time, written out here in the page's language. */
  lastUsedAt: string
}

/** The account page's "Apps you allowed" section: each with a Remove button. Empty: nothing. */
export function connectedAppsSection(ui: Ui, apps: AppView[]): Html | string {
  if (apps.length === 0) return ''
  const t = ui.t.apps.connected
  return html`<section aria-labelledby="apps-title">
    <h2 id="apps-title">${t.title}</h2>
    <ul class="apps">
      ${apps.map(
        (app) =>
          html`<li>
            <span id="app-${app.id}"
              ><strong><bdi>${app.name ?? ui.t.apps.unnamed}</bdi></strong> ${t.on}
              <code>${app.resource}</code></span
            >
            <span class="when"
              >${t.lastUsed(app.scopes.join(', '), ui.dateTime(app.lastUsedAt))}</span
            >
            <form method="post" action="/account/apps/${app.id}/remove">
              <button type="submit" aria-describedby="app-${app.id}">${t.remove}</button>
            </form>
          </li>`,
      )}
    </ul>
  </section>`
}

/**
 * An invalid request from a known app: what is wrong, and a link (never an automatic redirect)
 * that takes the error back to the app.
 */
export const invalidRequestPage = (
  ui: Ui,
  invalid: {
    error: string
    description: string
    redirect: string
    host: string
  },
): Html =>
  html`<p>
      ${ui.t.apps.invalid.cannotComplete} ${invalid.description} (<code>${invalid.error}</code>).
    </p>
    <p><a href="${invalid.redirect}">${ui.t.apps.invalid.returnTo(invalid.host)}</a></p>`

/**
 * The way back to the app after a sign-in by form: a page that moves on by itself. A 303 would
 * be the tail of the sign-in form's submission, which the sign-in page's CSP form-action (this
 * origin only) forbids in Chromium; a refresh is a navigation of its own.
 */
export const returnPage = (ui: Ui, redirect: string, host: string): Html =>
  html`<meta http-equiv="refresh" content="0;url=${redirect}" />
    <p>${ui.t.apps.returning.returningTo} <strong>${host}</strong>…</p>
    <p><a href="${redirect}">${ui.t.apps.returning.continueTo(host)}</a></p>`
