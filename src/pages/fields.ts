// The pieces every hosted form is built from: a labelled field with its hint and error tied to it
// (aria-describedby), and the page-wide notice.
import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { Ui } from './ui'

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** Field name → the message shown under it. */
export type FieldErrors = Record<string, string>

/** A page-wide message: an error (announced at once) or a notice. */
export type Notice = { kind: 'error' | 'notice'; text: string }

export type Field = {
  name: string
  /** Defaults to the name; set it where one page repeats a name. */
  id?: string
  label: string
  type: 'text' | 'password' | 'email'
  autocomplete: string
  value?: string
  hint?: string
  /** Not `required`: one of several ways to fill a form. */
  optional?: boolean
  inputmode?: 'numeric' | 'text'
}

/**
 * The password that confirms a change to the account; an account with none (signed up with a
 * provider) confirms by having signed in within the last 10 minutes, which the note says.
 */
export function confirmPassword(
  ui: Ui,
  name: string,
  hasPassword: boolean,
  errors: FieldErrors,
  { label = ui.t.account.confirmPassword, optional = false } = {},
): Html {
  if (hasPassword) {
    return field(
      { name, label, type: 'password', autocomplete: 'current-password', optional },
      errors,
    )
  }
  return html`<p class="hint">${ui.t.account.noPasswordNote}</p>
    ${errors[name] ? html`<p class="error">${errors[name]}</p>` : ''}`
}

export function field(f: Field, errors: FieldErrors): Html {
  const id = f.id ?? f.name
  const error = errors[f.name]
  const described = [f.hint ? `${id}-hint` : '', error ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ')
  return html`<div class="field">
    <label for="${id}">${f.label}</label>
    ${f.hint ? html`<p class="hint" id="${id}-hint">${f.hint}</p>` : ''}
    <input
      id="${id}"
      name="${f.name}"
      type="${f.type}"
      autocomplete="${f.autocomplete}"
      value="${f.value ?? ''}"
      ${f.optional ? '' : html`required`}
      ${f.inputmode ? html`inputmode="${f.inputmode}"` : ''}
      ${described ? html`aria-describedby="${described}"` : ''}
      ${error ? html`aria-invalid="true"` : ''}
    />
    ${error ? html`<p class="error" id="${id}-error">${error}</p>` : ''}
  </div>`
}
