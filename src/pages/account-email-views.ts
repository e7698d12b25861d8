// The account page's email section: the verified address (or none) and the form that asks to
// use a new one, with the password, as PUT /users/me/email does. No script: a plain form.
import { html } from 'hono/html'
import { type FieldErrors, type Html, confirmPassword, field } from './fields'
import type { Ui } from './ui'

export function emailSection(
  ui: Ui,
  email: string | null,
  mail: boolean,
  hasPassword: boolean,
  errors: FieldErrors,
): Html {
  const t = ui.t.recovery.account
  const offer = mail ? emailForm(ui, email, hasPassword, errors) : html`<p>${t.noMail}</p>`
  return html`<section aria-labelledby="email-title">
    <h2 id="email-title">${t.title}</h2>
    ${
      email
        ? html`<p>${t.currentBefore} <strong>${email}</strong>${t.currentAfter}</p>`
        : html`<p>${t.none}</p>`
    }
    ${offer}
  </section>`
}

function emailForm(ui: Ui, email: string | null, hasPassword: boolean, errors: FieldErrors): Html {
  const t = ui.t.recovery.account
  return html`<form method="post" action="/account/email" novalidate>
    ${field(
      {
        name: 'email',
        label: email ? t.newEmailLabel : t.emailLabel,
        type: 'email',
        autocomplete: 'email',
        hint: t.emailHint,
      },
      errors,
    )}
    ${confirmPassword(ui, 'emailPassword', hasPassword, errors)}
    <button type="submit">${t.submit}</button>
  </form>`
}
