// The consent page of the authorization endpoint, and its refusals. No script: a plain form whose
// two buttons post decision=allow or decision=deny.
import { html } from 'hono/html'
import type { RedirectKind } from '../auth/redirect-uris'
import type { Html } from './fields'

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

const whereTo = (target: ConsentView['target']) => {
  switch (target.kind) {
    case 'loopback':
      return html`<p class="warning" role="alert">
        It sends you back to a program on <strong>this computer</strong>
        (<code>${target.shown}</code>). Allow only if you just started this sign-in from an app you
        trust.
      </p>`
    case 'native':
      return html`<p class="warning" role="alert">
        It sends you back to an app on this device that opens <code>${target.shown}</code> links.
        Allow only if you just started this sign-in from an app you trust.
      </p>`
    default:
      return html`<p>Afterwards you go back to <strong>${target.shown}</strong>.</p>`
  }
}

/** What the OpenID scopes let the app learn or do, in words. */
const OPENID_SCOPE_TEXT: Record<string, string> = {
  openid: 'Know that you are this account (its id, not your password)',
  profile: 'See your username',
  email: 'See your email address, if you have verified one',
  offline_access: 'Stay connected while you are away, until you remove it',
}

const scopeItem = (scope: string) => {
  const text = OPENID_SCOPE_TEXT[scope]
  return text === undefined ? html`<li><code>${scope}</code></li>` : html`<li>${text}</li>`
}

export function consentPage(view: ConsentView): Html {
  const name = view.clientName ?? 'An unnamed app'
  return html`<p>
      ${
        view.signInOnly
          ? html`<strong><bdi>${name}</bdi></strong> wants to sign you in as
              <strong>${view.username}</strong>.`
          : html`<strong><bdi>${name}</bdi></strong> wants to use
              <strong>${view.resourceName}</strong> as <strong>${view.username}</strong>.`
      }
    </p>
    ${
      view.documentHost === null
        ? html`<p class="hint">
            The app chose its own name; this service has not checked it. Its id is
            <code>${view.clientId}</code>.
          </p>`
        : html`<p class="warning">
            This app is identified by a document at
            <strong>${view.documentHost}</strong> (<code>${view.clientId}</code>): its name and
            where it sends you come from there. Allow only if you trust
            <strong>${view.documentHost}</strong>.
          </p>`
    }
    <p>It asks to:</p>
    <ul class="scopes">
      ${view.scopes.map(scopeItem)}
    </ul>
    ${view.signInOnly ? '' : html`<p class="hint">On <code>${view.resource}</code>.</p>`}
    ${whereTo(view.target)}
    <form method="post" action="/authorize/consent">
      <input type="hidden" name="request" value="${view.request}" />
      <button type="submit" name="decision" value="allow">Allow</button>
      <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
    </form>
    <p class="hint">You can remove this app's access later from your account.</p>`
}

export const refusedRequest = (message: string): Html =>
  html`<p>${message}</p>
    <p>Go back to the app and try again, or <a href="/account">go to your account</a>.</p>`

/** A connected app, as the account page lists it. */
export type AppView = {
  id: string
  name: string | null
  resource: string
  scopes: string[]
  lastUsedAt: string
}

/** The account page's "Apps you allowed" section: each with a Remove button. Empty: nothing. */
export function connectedAppsSection(apps: AppView[]): Html | string {
  if (apps.length === 0) return ''
  return html`<section aria-labelledby="apps-title">
    <h2 id="apps-title">Apps you allowed</h2>
    <ul class="apps">
      ${apps.map(
        (app) =>
          html`<li>
            <span id="app-${app.id}"
              ><strong><bdi>${app.name ?? 'An unnamed app'}</bdi></strong> on
              <code>${app.resource}</code></span
            >
            <span class="when">${app.scopes.join(', ')}; last used ${app.lastUsedAt}</span>
            <form method="post" action="/account/apps/${app.id}/remove">
              <button type="submit" aria-describedby="app-${app.id}">Remove</button>
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
export const invalidRequestPage = (invalid: {
  error: string
  description: string
  redirect: string
  host: string
}): Html =>
  html`<p>
      The app sent a request this service cannot complete: ${invalid.description}
      (<code>${invalid.error}</code>).
    </p>
    <p><a href="${invalid.redirect}">Return to ${invalid.host}</a></p>`

/**
 * The way back to the app after a sign-in by form: a page that moves on by itself. A 303 would
 * be the tail of the sign-in form's submission, which the sign-in page's CSP form-action (this
 * origin only) forbids in Chromium; a refresh is a navigation of its own.
 */
export const returnPage = (redirect: string, host: string): Html =>
  html`<meta http-equiv="refresh" content="0;url=${redirect}" />
    <p>Returning you to <strong>${host}</strong>…</p>
    <p><a href="${redirect}">Continue to ${host}</a></p>`
