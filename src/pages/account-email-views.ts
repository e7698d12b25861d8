// The account page's email section: the verified address (or none) and the form that asks to
// use a new one, with the password, as PUT /users/me/email does. No script: a plain form.
import { html } from 'hono/html'
import { type FieldErrors, type Html, confirmPassword, field } from './fields'

export function emailSection(
  email: string | null,
  mail: boolean,
  hasPassword: boolean,
  errors: FieldErrors,
): Html {
  const offer = mail
    ? emailForm(email, hasPassword, errors)
    : html`<p>This service does not send email yet, so an address cannot be confirmed.</p>`
  return html`<section aria-labelledby="email-title">
    <h2 id="email-title">Email address</h2>
    ${
      email
        ? html`<p>Your address is <strong>${email}</strong>. Password reset links go to it.</p>`
        : html`<p>You have no verified address. With one, you can reset a forgotten password.</p>`
    }
    ${offer}
  </section>`
}

function emailForm(email: string | null, hasPassword: boolean, errors: FieldErrors): Html {
  return html`<form method="post" action="/account/email" novalidate>
    ${field(
      {
        name: 'email',
        label: email ? 'New email address' : 'Email address',
        type: 'email',
        autocomplete: 'email',
        hint: 'We send a link to it; it becomes your address once the link is opened',
      },
      errors,
    )}
    ${confirmPassword('emailPassword', hasPassword, errors)}
    <button type="submit">Send the link</button>
  </form>`
}
