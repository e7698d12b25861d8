// The sign-in buttons of the other providers, and the account page's section that connects and
// disconnects them. No script: links and plain forms.
import { html } from 'hono/html'
import { type FieldErrors, type Html, confirmPassword } from './fields'
import type { Ui } from './ui'

/** A configured, usable provider, as a button shows it. */
export type ProviderChoice = { id: string; name: string }

/** A connected identity, as the account page lists it. */
export type IdentityChoice = {
  provider: string
  name: string
  email: string | null
  linkedAt: string
}

/** "Continue with …" links: a GET that starts the sign-in and comes back to `returnTo`. */
export function providerButtons(
  ui: Ui,
  providers: ProviderChoice[],
  returnTo: string,
): Html | string {
  if (providers.length === 0) return ''
  const t = ui.t.identities.buttons
  return html`<div class="providers">
    <p>${t.intro}</p>
    <ul>
      ${providers.map(
        (p) =>
          html`<li>
            <a class="provider" href="/signin/${p.id}?return_to=${encodeURIComponent(returnTo)}"
              >${t.continueWith(p.name)}</a
            >
          </li>`,
      )}
    </ul>
  </div>`
}

export function identitiesSection(
  ui: Ui,
  identities: IdentityChoice[],
  providers: ProviderChoice[],
  hasPassword: boolean,
  errors: FieldErrors,
): Html | string {
  const connected = new Set(identities.map((identity) => identity.provider))
  const available = providers.filter((p) => !connected.has(p.id))
  if (identities.length === 0 && available.length === 0) return ''
  const t = ui.t.identities.section
  return html`<section aria-labelledby="identities-title">
    <h2 id="identities-title">${t.title}</h2>
    ${
      identities.length === 0
        ? html`<p>${t.none}</p>`
        : html`<ul class="identities">
            ${identities.map(
              (identity) =>
                html`<li>
                  <span id="identity-${identity.provider}"
                    >${identity.name}${identity.email ? ` (${identity.email})` : ''}</span
                  >
                  <span class="when">${t.connectedOn(ui.date(identity.linkedAt))}</span>
                  <form method="post" action="/account/identities/${identity.provider}/remove">
                    <button type="submit" aria-describedby="identity-${identity.provider}">
                      ${t.disconnect}
                    </button>
                  </form>
                </li>`,
            )}
          </ul>`
    }
    ${
      available.length === 0
        ? ''
        : html`<form method="post" action="/account/identities/${available[0]!.id}/connect">
            ${confirmPassword(ui, 'connectPassword', hasPassword, errors)}
            ${available.map(
              (p) =>
                html`<button type="submit" formaction="/account/identities/${p.id}/connect">
                  ${t.connect(p.name)}
                </button>`,
            )}
          </form>`
    }
  </section>`
}
