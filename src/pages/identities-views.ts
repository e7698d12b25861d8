// The sign-in buttons of the other providers, and the account page's section that connects and
// disconnects them. No script: links and plain forms.
import { html } from 'hono/html'
import { type FieldErrors, type Html, confirmPassword } from './fields'

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
export function providerButtons(providers: ProviderChoice[], returnTo: string): Html | string {
  if (providers.length === 0) return ''
  return html`<div class="providers">
    <p>Or continue with another account:</p>
    <ul>
      ${providers.map(
        (p) =>
          html`<li>
            <a class="provider" href="/signin/${p.id}?return_to=${encodeURIComponent(returnTo)}"
              >Continue with ${p.name}</a
            >
          </li>`,
      )}
    </ul>
  </div>`
}

export function identitiesSection(
  identities: IdentityChoice[],
  providers: ProviderChoice[],
  hasPassword: boolean,
  errors: FieldErrors,
): Html | string {
  const connected = new Set(identities.map((identity) => identity.provider))
  const available = providers.filter((p) => !connected.has(p.id))
  if (identities.length === 0 && available.length === 0) return ''
  return html`<section aria-labelledby="identities-title">
    <h2 id="identities-title">Sign-in with other accounts</h2>
    ${
      identities.length === 0
        ? html`<p>No other account signs in to this one.</p>`
        : html`<ul class="identities">
            ${identities.map(
              (identity) =>
                html`<li>
                  <span id="identity-${identity.provider}"
                    >${identity.name}${identity.email ? ` (${identity.email})` : ''}</span
                  >
                  <span class="when">connected ${identity.linkedAt.slice(0, 10)}</span>
                  <form method="post" action="/account/identities/${identity.provider}/remove">
                    <button type="submit" aria-describedby="identity-${identity.provider}">
                      Disconnect
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
            ${confirmPassword('connectPassword', hasPassword, errors)}
            ${available.map(
              (p) =>
                html`<button type="submit" formaction="/account/identities/${p.id}/connect">
                  Connect ${p.name}
                </button>`,
            )}
          </form>`
    }
  </section>`
}
