// The pages of RP-initiated logout: the confirmation asked when the app's request does not name
// the signed-in user, and the "signed out" page. No script; the form posts to this origin.
import { html } from 'hono/html'
import type { Html } from './fields'

export type SignOutView = {
  /** The app that asked, by its own (unchecked) name; null when unnamed or not said. */
  clientName: string | null
  /** Who is signed in here; null when nobody is. */
  username: string | null
  /** Where the browser goes afterwards, as shown; null: it stays here. */
  returnsTo: string | null
  carried: Record<string, string>
}

const hidden = (carried: Record<string, string>) =>
  Object.entries(carried).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  )

export function confirmSignOutPage(view: SignOutView): Html {
  const asker =
    view.clientName === null
      ? html`An app`
      : html`The app <strong><bdi>${view.clientName}</bdi></strong> (its own name, unchecked)`
  return html`<p>${asker} asks to sign you out of this service.</p>
    <p>You are signed in as <strong>${view.username}</strong>.</p>
    <form method="post" action="/end-session/confirm">
      ${hidden(view.carried)}
      <button type="submit" name="decision" value="signout">Sign out</button>
      <button type="submit" name="decision" value="stay" class="secondary">Stay signed in</button>
    </form>
    ${
      view.returnsTo === null
        ? ''
        : html`<p class="hint">Either way you go back to <strong>${view.returnsTo}</strong>.</p>`
    }`
}

export const signedOutPage = (back: { url: string; shown: string } | null): Html =>
  html`<p>You are signed out of this service.</p>
    ${
      back === null
        ? html`<p><a href="/signin">Sign in again</a></p>`
        : html`<p><a href="${back.url}">Return to ${back.shown}</a></p>`
    }`
