// The hosted pages' HTML: plain forms that work without JavaScript, escaped by hono/html, with
// every field labelled and every error tied to its field (aria-describedby) and announced.
import { type AppView, connectedAppsSection } from './authorize-views'
import { html } from 'hono/html'
import type { ActivityEvent, SessionView } from '../schemas'
import { type FieldErrors, type Html, type Notice, confirmPassword, field } from './fields'
import { type SecurityState, passkeyMessages, securitySections } from './security-views'
import { emailSection } from './account-email-views'
import { activitySection } from './activity-views'
import {
  type IdentityChoice,
  type ProviderChoice,
  identitiesSection,
  providerButtons,
} from './identities-views'

import { LANGUAGES, LANGUAGE_NAMES, type Language } from '../i18n/languages'
import { brandCssPath } from './brand-css'
import type { Ui } from './ui'

export type { FieldErrors, Notice } from './fields'

/** One language in the footer: the page's own as plain text, each other as a link to it. */
function languageItem(ui: Ui, lang: Language): Html {
  const href = ui.languageLink(lang)
  return lang === ui.lang || href === null
    ? html`<li>
        <span ${lang === ui.lang ? html`aria-current="true"` : ''} lang="${lang}"
          >${LANGUAGE_NAMES[lang]}</span
        >
      </li>`
    : html`<li><a href="${href}" hreflang="${lang}" lang="${lang}">${LANGUAGE_NAMES[lang]}</a></li>`
}

/**
 * Every hosted page: the product's name and logo, the page, and links to it in each language.
 * The brand's stylesheets come after the pages' own, from this origin only (the CSP's 'self').
 */
export function layout(ui: Ui, title: string, body: Html, notice?: Notice): Html {
  const { brand, t } = ui
  return html`<!doctype html>
    <html lang="${ui.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="/favicon.svg" />
        <title>${title} · ${brand.name}</title>
        <link rel="stylesheet" href="/pages.css" />
        ${brand.accent ? html`<link rel="stylesheet" href="${brandCssPath(brand)}" />` : ''}
        ${brand.stylesheet ? html`<link rel="stylesheet" href="${brand.stylesheet}" />` : ''}
        <script type="module" src="/pages/passkeys.js"></script>
      </head>
      <body>
        <header class="brand">
          ${brand.logo ? html`<img src="${brand.logo}" alt="" height="40" />` : ''}
          <span class="brand-name">${brand.name}</span>
        </header>
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
        ${
          ui.languageLink(ui.lang) !== null
            ? html`<footer>
                <nav aria-label="${t.common.languages}">
                  <ul class="languages">
                    ${LANGUAGES.map((lang) => languageItem(ui, lang))}
                  </ul>
                </nav>
              </footer>`
            : ''
        }
      </body>
    </html>`
}

/** The sign-in and sign-up forms, which differ in words and autocomplete only. */
export function credentialsForm(
  ui: Ui,
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
  const t = ui.t.signin
  const other = signup
    ? html`${t.haveAccount}
        <a href="/signin?return_to=${encodeURIComponent(state.returnTo)}">${t.signInLink}</a>`
    : html`${t.noAccount}
        <a href="/signup?return_to=${encodeURIComponent(state.returnTo)}">${t.createLink}</a>.
        <a href="/forgot-password">${t.forgotLink}</a>`
  return html`<form method="post" action="/${kind}" novalidate>
      <input type="hidden" name="return_to" value="${state.returnTo}" />
      ${field(
        {
          name: 'username',
          label: signup ? t.username : t.usernameOrEmail,
          type: 'text',
          autocomplete: 'username',
          value: state.username,
          hint: signup ? t.usernameHint : undefined,
        },
        state.errors,
      )}
      ${field(
        {
          name: 'password',
          label: t.password,
          type: 'password',
          autocomplete: signup ? 'new-password' : 'current-password',
          hint: signup ? t.passwordHint : undefined,
        },
        state.errors,
      )}
      ${
        signup
          ? field(
              {
                name: 'email',
                label: t.email,
                type: 'text',
                autocomplete: 'email',
                value: state.email,
                optional: true,
                hint: t.emailHint,
              },
              state.errors,
            )
          : ''
      }
      <button type="submit">${signup ? t.signUpButton : t.signInButton}</button>
    </form>
    ${
      signup
        ? html`<div
            class="passkey"
            data-passkey-signup
            data-passkey-messages="${passkeyMessages(ui)}"
            data-username-field="username"
            data-return-to="${state.returnTo}"
            hidden
          >
            <p>${t.passkeySignUpIntro}</p>
            <button type="button" class="secondary">${t.passkeySignUpButton}</button>
            <p class="hint" data-passkey-status aria-live="polite"></p>
          </div>`
        : html`<div
            class="passkey"
            data-passkey-signin
            data-passkey-messages="${passkeyMessages(ui)}"
            data-return-to="${state.returnTo}"
            hidden
          >
            <p>${t.passkeySignInIntro}</p>
            <button type="button" class="secondary">${t.passkeySignInButton}</button>
            <p class="hint" data-passkey-status aria-live="polite"></p>
          </div>`
    }
    ${
      !signup && state.emailCode
        ? html`<p>
            <a href="/email-code?return_to=${encodeURIComponent(state.returnTo)}"
              >${t.emailCodeLink}</a
            >
          </p>`
        : ''
    }
    ${providerButtons(ui, state.providers ?? [], state.returnTo)}
    <p>${other}</p>`
}

/** The second step of a sign-in with two-factor on: the code, and the mfaToken carried along. */
export function mfaForm(
  ui: Ui,
  state: { mfaToken: string; returnTo: string; errors: FieldErrors },
): Html {
  return html`<form method="post" action="/signin/mfa" novalidate>
    <input type="hidden" name="mfaToken" value="${state.mfaToken}" />
    <input type="hidden" name="return_to" value="${state.returnTo}" />
    ${field(
      {
        name: 'code',
        label: ui.t.signin.mfaCode,
        type: 'text',
        autocomplete: 'one-time-code',
        inputmode: 'numeric',
        hint: ui.t.signin.mfaHint,
      },
      state.errors,
    )}
    <button type="submit">${ui.t.signin.continue}</button>
  </form>`
}

/**
 * The account page: sessions with an end button each, sign-outs, the email address, passkeys and
 * two-factor, password change, deletion.
 */
export function accountPage(
  ui: Ui,
  state: {
    username: string
    sessions: SessionView[]
    /** The language the account's email (and, once picked, these pages) use. */
    language: Language
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
    /** The latest security events, newest first, and how a provider id is named in them. */
    activity: ActivityEvent[]
    providerName: (id: string) => string
    errors: FieldErrors
  },
): Html {
  const { hasPassword } = state.security
  const t = ui.t.account
  // Each End button's name is its visible text; which session it ends is its description:
  // "Chrome on macOS · Lisbon, Portugal · this device". The device and place come from the
  // client's User-Agent and Cloudflare, so they are escaped like any other text.
  const rows = state.sessions.map(
    (s) =>
      html`<li>
        <span class="device" id="session-${s.id}"
          >${s.device}${s.location === null ? '' : ` · ${s.location}`}${
            s.current ? html` · <strong>${t.thisDevice}</strong>` : ''
          }</span
        >
        <span class="when" id="session-${s.id}-when"
          >${t.lastUsed(ui.dateTime(s.lastUsedAt), ui.dateTime(s.createdAt))}</span
        >
        <form method="post" action="/account/sessions/${s.id}/end">
          <button type="submit" aria-describedby="session-${s.id} session-${s.id}-when">
            ${s.current ? t.signOutHere : t.end}
          </button>
        </form>
      </li>`,
  )
  return html`<p>${t.signedInAs} <strong>${state.username}</strong>.</p>
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">${t.sessionsTitle}</h2>
      <ul class="sessions">
        ${rows}
      </ul>
      <form method="post" action="/account/signout">
        <input type="hidden" name="scope" value="global" />
        <button type="submit">${t.signOutEverywhere}</button>
      </form>
    </section>
    ${activitySection(ui, state.activity, state.providerName)}
    <section aria-labelledby="language-title">
      <h2 id="language-title">${t.languageTitle}</h2>
      <p>${t.languageIntro}</p>
      <form method="post" action="/account/language" class="inline">
        <label for="language">${t.languageLabel}</label>
        <select id="language" name="language">
          ${LANGUAGES.map(
            (lang) =>
              html`<option
                value="${lang}"
                lang="${lang}"
                ${lang === state.language ? 'selected' : ''}
              >
                ${LANGUAGE_NAMES[lang]}
              </option>`,
          )}
        </select>
        <button type="submit">${t.languageSave}</button>
      </form>
      ${
        state.errors.language
          ? html`<p class="error" id="language-error" role="alert">${state.errors.language}</p>`
          : ''
      }
    </section>
    ${emailSection(ui, state.email, state.mail, state.security.hasPassword, state.errors)}
    ${securitySections(ui, state.security, state.errors)}
    ${identitiesSection(ui, state.identities, state.providers, hasPassword, state.errors)}
    ${connectedAppsSection(ui, state.apps)}
    <section aria-labelledby="password-title">
      <h2 id="password-title">${hasPassword ? t.changePasswordTitle : t.setPasswordTitle}</h2>
      <p>${hasPassword ? '' : `${t.alsoPassword} `}${t.otherSessionsEnd}</p>
      <form method="post" action="/account/password" novalidate>
        ${confirmPassword(ui, 'currentPassword', hasPassword, state.errors, {
          label: t.currentPassword,
        })}
        ${field(
          {
            name: 'newPassword',
            label: t.newPassword,
            type: 'password',
            autocomplete: 'new-password',
            hint: ui.t.signin.passwordHint,
          },
          state.errors,
        )}
        <button type="submit">${hasPassword ? t.changePasswordButton : t.setPasswordButton}</button>
      </form>
    </section>
    <section aria-labelledby="delete-title">
      <h2 id="delete-title">${t.deleteTitle}</h2>
      <p>${t.deleteWarning}</p>
      <form method="post" action="/account/delete" novalidate>
        ${confirmPassword(ui, 'password', hasPassword, state.errors)}
        <button type="submit" class="danger">${t.deleteButton}</button>
      </form>
    </section>`
}
