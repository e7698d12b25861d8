// The account page's sign-in security: passkeys (added by the page's script, which runs the
// WebAuthn ceremony; renamed and removed by plain forms) and TOTP two-factor (enrol with a QR
// code drawn as inline SVG on the server, confirm, recovery codes shown once, turn off).
import { html, raw } from 'hono/html'
import { renderSVG } from 'uqr'
import type { PasskeyView } from '../schemas'
import { type FieldErrors, type Html, confirmPassword, field } from './fields'

export type SecurityState = {
  passkeys: PasskeyView[]
  totp: 'off' | 'pending' | 'on'
  recoveryCodesLeft: number
  /** False for an account made by a provider sign-in: changes confirm by a recent sign-in. */
  hasPassword: boolean
}

const day = (iso: string) => iso.slice(0, 10)

function passkeyRow(p: PasskeyView): Html {
  const label = `passkey-${p.id}`
  return html`<li>
    <span class="device" id="${label}">${p.name}</span>
    <span class="when"
      >${p.deviceType === 'multiDevice' ? 'synced' : 'this device only'}, added
      ${day(p.createdAt)}${p.lastUsedAt ? `, last used ${day(p.lastUsedAt)}` : ''}</span
    >
    <form method="post" action="/account/passkeys/${p.id}/rename" class="inline">
      <label for="rename-${p.id}">New name</label>
      <input id="rename-${p.id}" name="name" maxlength="64" required value="${p.name}" />
      <button type="submit" aria-describedby="${label}">Rename</button>
    </form>
    <form method="post" action="/account/passkeys/${p.id}/remove" class="inline">
      <button type="submit" aria-describedby="${label}">Remove</button>
    </form>
  </li>`
}

function passkeysSection(passkeys: PasskeyView[], hasPassword: boolean, errors: FieldErrors) {
  return html`<section aria-labelledby="passkeys-title">
    <h2 id="passkeys-title">Passkeys</h2>
    <p>Sign in with your fingerprint, face or screen lock instead of a password.</p>
    ${
      passkeys.length
        ? html`<ul class="sessions">
            ${passkeys.map(passkeyRow)}
          </ul>`
        : html`<p>You have no passkeys yet.</p>`
    }
    <form method="post" action="/account/passkeys" data-passkey-register novalidate>
      ${confirmPassword('passkeyPassword', hasPassword, errors)}
      ${field(
        {
          name: 'passkeyName',
          label: 'Name for this passkey',
          type: 'text',
          autocomplete: 'off',
          optional: true,
          hint: 'Optional, such as "Work laptop"',
        },
        errors,
      )}
      <button type="submit">Add a passkey</button>
      <p class="hint" data-passkey-status aria-live="polite">
        Adding a passkey needs JavaScript and a browser that supports passkeys.
      </p>
    </form>
  </section>`
}

function totpSection(state: SecurityState, errors: FieldErrors): Html {
  if (state.totp !== 'on') {
    return html`<section aria-labelledby="totp-title">
      <h2 id="totp-title">Two-factor authentication</h2>
      <p>Off. Turn it on to ask for a code from an authenticator app after your password.</p>
      <form method="post" action="/account/totp" novalidate>
        ${confirmPassword('totpPassword', state.hasPassword, errors)}
        <button type="submit">Turn on two-factor</button>
      </form>
    </section>`
  }
  return html`<section aria-labelledby="totp-title">
    <h2 id="totp-title">Two-factor authentication</h2>
    <p>On. ${state.recoveryCodesLeft} of 10 recovery codes left.</p>
    <form method="post" action="/account/totp/disable" novalidate>
      <p>To turn it off, give your password or a current code.</p>
      ${confirmPassword('disablePassword', state.hasPassword, errors, {
        label: 'Password',
        optional: true,
      })}
      ${field(
        {
          name: 'disableCode',
          label: 'Or a code from your app',
          type: 'text',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          optional: true,
        },
        errors,
      )}
      <button type="submit" class="danger">Turn off two-factor</button>
    </form>
  </section>`
}

export const securitySections = (state: SecurityState, errors: FieldErrors): Html =>
  html`${passkeysSection(state.passkeys, state.hasPassword, errors)} ${totpSection(state, errors)}`

/**
 * The enrolment step: the QR code (an SVG drawn here, so no image host ever sees the secret),
 * the secret to type instead, and the field for the first code.
 */
export function totpSetup(state: { otpauthUri: string; secret: string; errors: FieldErrors }) {
  const svg = renderSVG(state.otpauthUri, { border: 2 })
  return html`<p>Scan this code with your authenticator app, then enter the code it shows.</p>
    <figure class="qr">
      <div role="img" aria-label="QR code of your two-factor secret">${raw(svg)}</div>
      <figcaption>
        Or type this key:
        <code class="secret">${state.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
      </figcaption>
    </figure>
    <form method="post" action="/account/totp/verify" novalidate>
      ${field(
        {
          name: 'code',
          label: 'Code from the app',
          type: 'text',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          hint: 'Six digits',
        },
        state.errors,
      )}
      <button type="submit">Turn on</button>
    </form>
    <p><a href="/account">Cancel</a></p>`
}

/** The recovery codes, shown this once. */
export function recoveryCodesView(codes: string[]): Html {
  return html`<p>Two-factor authentication is on.</p>
    <p>
      Keep these recovery codes somewhere safe. Each works once, instead of a code, if you lose your
      app. They are not shown again.
    </p>
    <ul class="codes">
      ${codes.map((code) => html`<li><code>${code}</code></li>`)}
    </ul>
    <p><a href="/account">Back to your account</a></p>`
}
