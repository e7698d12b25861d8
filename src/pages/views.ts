// The hosted pages' HTML: plain forms that work without JavaScript, escaped by hono/html, with
// every field labelled and every error tied to its field (aria-describedby) and announced.
import { type AppView, connectedAppsSection } from './authorize-views'
import { html } from 'hono/html'
import type { SessionView } from '../schemas'
import { DEVICE_TEXT } from '../services/device'
import { type FieldErrors, type Html, type Notice, confirmPassword, field } from './fields'
import { type SecurityState, securitySections } from './security-views'
import { emailSection } from './account-email-views'
import {
  type IdentityChoice,
  type ProviderChoice,
  identitiesSection,
  providerButtons,
} from './identities-views'

export type { FieldErrors, Notice } from './fields'

export function layout(title: string, body: Html, notice?: Notice): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <link rel="icon" href="/favicon.svg" />
        <title>${title} · edge-auth</title>
        <link rel="stylesheet" href="/pages.css" />
        <script type="module" src="/pages/passkeys.js"></script>
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          ${
            notice
              ? html`<p
                  class="${notice.kind}"
                  role="${notice.kind === 'error' ? 'alert' : 'status'}"
                >
                  ${notice.text}
                </p>`
              : ''
          }
          ${body}
        </main>
      </body>
    </html>`
}

const USERNAME_HINT = '3 to 32 letters, digits, _ . or -'
const PASSWORD_HINT = '8 to 128 characters'

/** The sign-in and sign-up forms, which differ in words and autocomplete only. */
export function credentialsForm(
  kind: 'signin' | 'signup',
  state: {
    username?: string
    email?: string
    returnTo: string
    errors: FieldErrors
    /** The providers whose "Continue with" buttons to show. */
    providers?: ProviderChoice[]
    /** Email is set up: offer a code by email instead of the password. */
    emailCode?: boolean
  },
): Html {
  const signup = kind === 'signup'
  const other = signup
    ? html`Have an account?
        <a href="/signin?return_to=${encodeURIComponent(state.returnTo)}">Sign in</a>`
    : html`No account yet?
        <a href="/signup?return_to=${encodeURIComponent(state.returnTo)}">Create one</a>.
        <a href="/forgot-password">Forgot your password?</a>`
  return html`<form method="post" action="/${kind}" novalidate>
      <input type="hidden" name="return_to" value="${state.returnTo}" />
      ${field(
        {
          name: 'username',
          label: signup ? 'Username' : 'Username or email address',
          type: 'text',
          autocomplete: 'username',
          value: state.username,
          hint: signup ? USERNAME_HINT : undefined,
        },
        state.errors,
      )}
      ${field(
        {
          name: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: signup ? 'new-password' : 'current-password',
          hint: signup ? PASSWORD_HINT : undefined,
        },
        state.errors,
      )}
      ${
        signup
          ? field(
              {
                name: 'email',
                label: 'Email address (optional)',
                type: 'text',
                autocomplete: 'email',
                value: state.email,
                optional: true,
                hint: 'Lets you reset a forgotten password; we send a link to confirm it',
              },
              state.errors,
            )
          : ''
      }
      <button type="submit">${signup ? 'Create account' : 'Sign in'}</button>
    </form>
    ${
      signup
        ? html`<div
            class="passkey"
            data-passkey-signup
            data-username-field="username"
            data-return-to="${state.returnTo}"
            hidden
          >
            <p>Or, with no password: choose a username above and use a passkey on this device.</p>
            <button type="button">Create an account with a passkey</button>
            <p class="hint" data-passkey-status aria-live="polite"></p>
          </div>`
        : html`<div class="passkey" data-passkey-signin data-return-to="${state.returnTo}" hidden>
            <p>Or, with no username or password:</p>
            <button type="button">Sign in with a passkey</button>
            <p class="hint" data-passkey-status aria-live="polite"></p>
          </div>`
    }
    ${
      !signup && state.emailCode
        ? html`<p>
            <a href="/email-code?return_to=${encodeURIComponent(state.returnTo)}"
              >Email me a sign-in code instead</a
            >
          </p>`
        : ''
    }
    ${providerButtons(state.providers ?? [], state.returnTo)}
    <p>${other}</p>`
}

/** The second step of a sign-in with two-factor on: the code, and the mfaToken carried along. */
export function mfaForm(state: { mfaToken: string; returnTo: string; errors: FieldErrors }): Html {
  return html`<form method="post" action="/signin/mfa" novalidate>
    <input type="hidden" name="mfaToken" value="${state.mfaToken}" />
    <input type="hidden" name="return_to" value="${state.returnTo}" />
    ${field(
      {
        name: 'code',
        label: 'Code from your authenticator app',
        type: 'text',
        autocomplete: 'one-time-code',
        inputmode: 'numeric',
        hint: 'Six digits; or one of your recovery codes',
      },
      state.errors,
    )}
    <button type="submit">Continue</button>
  </form>`
}

const when = (iso: string) => iso.replace('T', ' ').slice(0, 16) + ' UTC'

/**
 * The account page: sessions with an end button each, sign-outs, the email address, passkeys and
 * two-factor, password change, deletion.
 */
export function accountPage(state: {
  username: string
  sessions: SessionView[]
  /** The verified address, or null. */
  email: string | null
  /** Email is set up: the section offers to send a link. */
  mail: boolean
  security: SecurityState
  /** Connected identities, and the providers that could be connected. */
  identities: IdentityChoice[]
  providers: ProviderChoice[]
  /** Third-party apps the user has allowed. */
  apps: AppView[]
  errors: FieldErrors
}): Html {
  const { hasPassword } = state.security
  // Each End button's name is its visible text; which session it ends is its description:
  // "Chrome on macOS · Lisbon, Portugal · this device". The device and place come from the
  // client's User-Agent and Cloudflare, so they are escaped like any other text.
  const rows = state.sessions.map(
    (s) =>
      html`<li>
        <span class="device" id="session-${s.id}"
          >${s.device}${s.location === null ? '' : ` · ${s.location}`}${
            s.current ? html` · <strong>${DEVICE_TEXT.thisDevice}</strong>` : ''
          }</span
        >
        <span class="when" id="session-${s.id}-when"
          >last used ${when(s.lastUsedAt)}, signed in ${when(s.createdAt)}</span
        >
        <form method="post" action="/account/sessions/${s.id}/end">
          <button type="submit" aria-describedby="session-${s.id} session-${s.id}-when">
            ${s.current ? 'Sign out here' : 'End'}
          </button>
        </form>
      </li>`,
  )
  return html`<p>Signed in as <strong>${state.username}</strong>.</p>
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are signed in</h2>
      <ul class="sessions">
        ${rows}
      </ul>
      <form method="post" action="/account/signout">
        <input type="hidden" name="scope" value="global" />
        <button type="submit">Sign out everywhere</button>
      </form>
    </section>
    ${emailSection(state.email, state.mail, state.security.hasPassword, state.errors)}
    ${securitySections(state.security, state.errors)}
    ${identitiesSection(state.identities, state.providers, hasPassword, state.errors)}
    ${connectedAppsSection(state.apps)}
    <section aria-labelledby="password-title">
      <h2 id="password-title">${hasPassword ? 'Change password' : 'Set a password'}</h2>
      <p>
        ${hasPassword ? '' : 'Then you can also sign in with your username and a password. '}Every
        other session ends; this one stays signed in.
      </p>
      <form method="post" action="/account/password" novalidate>
        ${confirmPassword('currentPassword', hasPassword, state.errors, {
          label: 'Current password',
        })}
        ${field(
          {
            name: 'newPassword',
            label: 'New password',
            type: 'password',
            autocomplete: 'new-password',
            hint: PASSWORD_HINT,
          },
          state.errors,
        )}
        <button type="submit">${hasPassword ? 'Change password' : 'Set password'}</button>
      </form>
    </section>
    <section aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>The account and every session end; this cannot be undone.</p>
      <form method="post" action="/account/delete" novalidate>
        ${confirmPassword('password', hasPassword, state.errors)}
        <button type="submit" class="danger">Delete my account</button>
      </form>
    </section>`
}
