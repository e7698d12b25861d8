// The pages of RP-initiated logout: the confirmation asked when the app's request does not name
// the signed-in user, and the "signed out" page. No script; the form posts to this origin.
import { html } from 'hono/html'
import type { Html } from './fields'
import type { Ui } from './ui'

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

export function confirmSignOutPage(ui: Ui, view: SignOutView): Html {
  const t = ui.t.apps.signOut
  const asker =
    view.clientName === null
      ? t.anApp
      : html`${t.namedApp} <strong><bdi>${view.clientName}</bdi></strong> ${t.namedAsks}`
  return html`<p>${asker}</p>
    <p>${t.signedInAs} <strong>${view.username}</strong>.</p>
    <form method="post" action="/end-session/confirm">
      ${hidden(view.carried)}
      <button type="submit" name="decision" value="signout">${t.signOut}</button>
      <button type="submit" name="decision" value="stay" class="secondary">${t.stay}</button>
    </form>
    ${
      view.returnsTo === null
        ? ''
        : html`<p class="hint">${t.eitherWay} <strong>${view.returnsTo}</strong>.</p>`
    }`
}

export const signedOutPage = (ui: Ui, back: { url: string; shown: string } | null): Html =>
  html`<p>${ui.t.apps.signedOut.done}</p>
    ${
      back === null
        ? html`<p><a href="/signin">${ui.t.apps.signedOut.signInAgain}</a></p>`
        : html`<p><a href="${back.url}">${ui.t.apps.signedOut.returnTo(back.shown)}</a></p>`
    }`
