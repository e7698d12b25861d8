// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): a relying party sends the browser
// here to end its sign-in at this service, then back to one of its post-logout URIs. Nothing
// goes anywhere the client did not register (exact match), and without an ID token naming the
// signed-in user the user confirms first, so no page can sign anyone out unseen.
import type { Config } from '../../env'
import { readIdTokenHint } from '../../auth/id-tokens'
import { redirectTarget } from '../../auth/redirect-uris'
import type { ClientService } from './clients'

/** What the request may carry (RP-Initiated Logout §2); the rest is ignored. */
export type EndSessionParams = Record<string, string[]>

/** A client's state comes back verbatim; this much is plenty for any real one. */
const STATE_MAX_LENGTH = 1024

/**
 * What the request asks for, checked: a refusal (shown as a page; nothing is redirected), or the
 * user its hint names, if any, and where the browser may go afterwards.
 */
export type EndSessionPlan =
  | { refuse: string }
  | {
      /** The user the id_token_hint names: signed in as them, no confirmation is asked. */
      hintUserId: string | null
      clientName: string | null
      /** The checked post-logout redirect, with the client's state; null: stay here. */
      redirect: { url: string; origin: string; shown: string } | null
      /** What a confirmation form carries over to repeat the check. */
      carried: { client_id?: string; post_logout_redirect_uri?: string; state?: string }
    }

export type EndSessionDeps = {
  clientService: ClientService
  config: () => Promise<Config>
}

export class EndSessionService {
  constructor(private readonly deps: EndSessionDeps) {}

  async check(params: EndSessionParams): Promise<EndSessionPlan> {
    const refuse = (reason: string): EndSessionPlan => ({ refuse: reason })
    const repeated = Object.entries(params).find(([, values]) => values.length > 1)
    if (repeated) return refuse(`The sign-out request names ${repeated[0]} twice.`)
    const one = (name: string) => params[name]?.[0]
    const hintText = one('id_token_hint')
    const hint = hintText ? await readIdTokenHint(hintText, await this.deps.config()) : null
    // A hint that is not one of this service's ID tokens may be a forgery: it decides nothing.
    if (hintText && !hint)
      return refuse('The app sent a sign-out request that could not be checked.')
    const named = one('client_id')
    if (named !== undefined && hint && named !== hint.clientId) {
      return refuse('The sign-out request names two different apps.')
    }
    const clientId = named ?? hint?.clientId
    const state = one('state')
    if (state !== undefined && state.length > STATE_MAX_LENGTH) {
      return refuse('The sign-out request is too long.')
    }
    const uri = one('post_logout_redirect_uri')
    const client = clientId === undefined ? null : await this.deps.clientService.find(clientId)
    if (clientId !== undefined && !client) {
      return refuse('The app that sent you here is not registered with this service.')
    }
    let redirect: { url: string; origin: string; shown: string } | null = null
    if (uri !== undefined) {
      // §3: exactly as registered, by the client the request names; no other comparison.
      if (!client || !client.postLogoutRedirectUris.includes(uri)) {
        return refuse('The app asked to send you to an address it has not registered.')
      }
      const url = new URL(uri)
      if (state !== undefined) url.searchParams.append('state', state)
      const target = redirectTarget(uri)
      redirect = { url: url.href, origin: target.origin, shown: target.shown }
    }
    return {
      hintUserId: hint?.sub ?? null,
      clientName: client?.name ?? null,
      redirect,
      carried: {
        ...(clientId === undefined ? {} : { client_id: clientId }),
        ...(uri === undefined ? {} : { post_logout_redirect_uri: uri }),
        ...(state === undefined ? {} : { state }),
      },
    }
  }
}
