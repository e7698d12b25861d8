// The account page's sign-in security: passkeys (added by the page's script, which runs the
// WebAuthn ceremony; renamed and removed by plain forms) and TOTP two-factor (enrol with a QR
// code the page's script draws, confirm, recovery codes shown once, turn off).
import { html } from 'hono/html'
import { RECOVERY_CODE_COUNT } from '../auth/recovery-codes'
import type { PasskeyView } from '../schemas'
import { type FieldErrors, type Html, confirmPassword, field } from './fields'
import type { Ui } from './ui'

export type SecurityState = {
  passkeys: PasskeyView[]
  totp: 'off' | 'pending' | 'on'
  recoveryCodesLeft: number
  /** False for an account made by a provider sign-in: changes confirm by a recent sign-in. */
  hasPassword: boolean
}

/**
 * The words the pages' script says during a passkey ceremony, for its data-passkey-messages
 * attribute: the script cannot import the catalog (and the CSP allows no inline script), so the
 * page carries them as JSON, escaped as any attribute value is. The sign-in and sign-up blocks of
 * src/pages/views.ts carry the same attribute.
 */
export const passkeyMessages = (ui: Ui): string => JSON.stringify(ui.t.security.script)

function passkeyRow(ui: Ui, p: PasskeyView): Html {
  const t = ui.t.security.passkeys
  const label = `passkey-${p.id}`
  return html`<li>
    <span class="device" id="${label}">${p.name}</span>
    <span class="when"
      >${t.detail(
        p.deviceType === 'multiDevice',
        ui.date(p.createdAt),
        p.lastUsedAt ? ui.date(p.lastUsedAt) : null,
      )}</span
    >
    <form method="post" action="/account/passkeys/${p.id}/rename" class="inline">
      <label for="rename-${p.id}">${t.newName}</label>
      <input id="rename-${p.id}" name="name" maxlength="64" required value="${p.name}" />
      <button type="submit" aria-describedby="${label}">${t.rename}</button>
    </form>
    <form method="post" action="/account/passkeys/${p.id}/remove" class="inline">
      <button type="submit" aria-describedby="${label}">${t.remove}</button>
    </form>
  </li>`
}

function passkeysSection(
  ui: Ui,
  passkeys: PasskeyView[],
  hasPassword: boolean,
  errors: FieldErrors,
) {
  const t = ui.t.security.passkeys
  return html`<section aria-labelledby="passkeys-title">
    <h2 id="passkeys-title">${t.title}</h2>
    <p>${t.intro}</p>
    ${
      passkeys.length
        ? html`<ul class="sessions">
            ${passkeys.map((p) => passkeyRow(ui, p))}
          </ul>`
        : html`<p>${t.none}</p>`
    }
    <form
      method="post"
      action="/account/passkeys"
      data-passkey-register
      data-passkey-messages="${passkeyMessages(ui)}"
      novalidate
    >
      ${confirmPassword(ui, 'passkeyPassword', hasPassword, errors)}
      ${field(
        {
          name: 'passkeyName',
          label: t.nameLabel,
          type: 'text',
          autocomplete: 'off',
          optional: true,
          hint: t.nameHint,
        },
        errors,
      )}
      <button type="submit">${t.add}</button>
      <p class="hint" data-passkey-status aria-live="polite">${t.needsScript}</p>
    </form>
  </section>`
}

function totpSection(ui: Ui, state: SecurityState, errors: FieldErrors): Html {
  const t = ui.t.security.totp
  if (state.totp !== 'on') {
    return html`<section aria-labelledby="totp-title">
      <h2 id="totp-title">${t.title}</h2>
      <p>${t.off}</p>
      <form method="post" action="/account/totp" novalidate>
        ${confirmPassword(ui, 'totpPassword', state.hasPassword, errors)}
        <button type="submit">${t.turnOn}</button>
      </form>
    </section>`
  }
  return html`<section aria-labelledby="totp-title">
    <h2 id="totp-title">${t.title}</h2>
    <p>${t.on(state.recoveryCodesLeft, RECOVERY_CODE_COUNT)}</p>
    <form method="post" action="/account/totp/disable" novalidate>
      <p>${t.turnOffHow}</p>
      ${confirmPassword(ui, 'disablePassword', state.hasPassword, errors, {
        label: t.passwordLabel,
        optional: true,
      })}
      ${field(
        {
          name: 'disableCode',
          label: t.codeLabel,
          type: 'text',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          optional: true,
        },
        errors,
      )}
      <button type="submit" class="danger">${t.turnOff}</button>
    </form>
  </section>`
}

export const securitySections = (ui: Ui, state: SecurityState, errors: FieldErrors): Html =>
  html`${passkeysSection(ui, state.passkeys, state.hasPassword, errors)}
  ${totpSection(ui, state, errors)}`

/**
 * The enrolment step: the QR code, the secret to type instead, and the field for the first code.
 * The code is drawn by public/pages/totp-qr.js (client/pages/totp-qr.ts) from the otpauth URI in
 * data-totp-qr, in the browser, so no image host ever sees the secret and the worker carries no
 * QR encoder; without script the box stays hidden and the typed key is the way in. The URI holds
 * only what the typed key already shows, and the page is never cached (no-store).
 */
export function totpSetup(
  ui: Ui,
  state: { otpauthUri: string; secret: string; errors: FieldErrors },
) {
  const t = ui.t.security.setup
  return html`<p>${t.scan}</p>
    <figure class="qr">
      <div role="img" aria-label="${t.qrLabel}" data-totp-qr="${state.otpauthUri}" hidden></div>
      <figcaption>
        ${t.typeKey}
        <code class="secret">${state.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
      </figcaption>
    </figure>
    <script type="module" src="/pages/totp-qr.js"></script>
    <form method="post" action="/account/totp/verify" novalidate>
      ${field(
        {
          name: 'code',
          label: t.codeLabel,
          type: 'text',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          hint: t.codeHint,
        },
        state.errors,
      )}
      <button type="submit">${t.confirm}</button>
    </form>
    <p><a href="/account">${t.cancel}</a></p>`
}

/** The recovery codes, shown this once. */
export function recoveryCodesView(ui: Ui, codes: string[]): Html {
  const t = ui.t.security.recoveryCodes
  return html`<p>${t.on}</p>
    <p>${t.keep}</p>
    <ul class="codes">
      ${codes.map((code) => html`<li><code>${code}</code></li>`)}
    </ul>
    <p><a href="/account">${t.back}</a></p>`
}
