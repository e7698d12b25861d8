// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): a relying party sends the browser
// here to end its sign-in at this service, then back to one of its post-logout URIs. Nothing
// goes anywhere the client did not register (exact match); without an ID token issued to the
// signed-in user during this very sign-in, the user confirms first, so no page can sign anyone
// out unseen; and the browser is sent back by itself only after a session really ended here
// (anyone can register a client: a registered URI alone is no reason to redirect a visitor).
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
/** Why a sign-out request is refused: a key the page words in the visitor's language. */
export type EndSessionRefusal =
  'repeated' | 'badHint' | 'twoApps' | 'tooLong' | 'unknownClient' | 'unregisteredRedirect'

export type EndSessionPlan =
  { refuse: { reason: EndSessionRefusal; param?: string } } | CheckedLogout

/** A logout request that passed every check. */
export type CheckedLogout = {
  /** What the id_token_hint says: whose it is, and when it was issued (epoch ms). */
  hint: { sub: string; issuedAt: number } | null
  clientName: string | null
  /** The checked post-logout redirect, with the client's state; null: stay here. */
  redirect: { url: string; origin: string; shown: string } | null
  /** What a confirmation form carries over to repeat the check. */
  carried: { client_id?: string; post_logout_redirect_uri?: string; state?: string }
}

/** Who is signed in in this browser: the user, and when that sign-in happened (epoch ms). */
export type Visitor = { userId: string; authTime: number } | null

/**
 * What the browser gets: its session ended at once (then the app's URI, if any); a question
 * first; or, with nobody signed in here, a page saying so (with a link back, never a redirect).
 */
export type EndSessionStep = { signOut: true } | { confirm: true } | { signedOut: true }

export type EndSessionDeps = {
  clientService: ClientService
  config: () => Promise<Config>
}

export class EndSessionService {
  constructor(private readonly deps: EndSessionDeps) {}

  async check(params: EndSessionParams): Promise<EndSessionPlan> {
    const refuse = (reason: EndSessionRefusal, param?: string): EndSessionPlan => ({
      refuse: { reason, ...(param === undefined ? {} : { param }) },
    })
    const repeated = Object.entries(params).find(([, values]) => values.length > 1)
    if (repeated) return refuse('repeated', repeated[0])
    const one = (name: string) => params[name]?.[0]
    const hintText = one('id_token_hint')
    const hint = hintText ? await readIdTokenHint(hintText, await this.deps.config()) : null
    // A hint that is not one of this service's ID tokens may be a forgery: it decides nothing.
    if (hintText && !hint) return refuse('badHint')
    const named = one('client_id')
    if (named !== undefined && hint && named !== hint.clientId) {
      return refuse('twoApps')
    }
    const clientId = named ?? hint?.clientId
    const state = one('state')
    if (state !== undefined && state.length > STATE_MAX_LENGTH) {
      return refuse('tooLong')
    }
    const uri = one('post_logout_redirect_uri')
    const client = clientId === undefined ? null : await this.deps.clientService.find(clientId)
    if (clientId !== undefined && !client) {
      return refuse('unknownClient')
    }
    let redirect: { url: string; origin: string; shown: string } | null = null
    if (uri !== undefined) {
      // §3: exactly as registered, by the client the request names; no other comparison.
      if (!client || !client.postLogoutRedirectUris.includes(uri)) {
        return refuse('unregisteredRedirect')
      }
      const url = new URL(uri)
      if (state !== undefined) url.searchParams.append('state', state)
      const target = redirectTarget(uri)
      redirect = { url: url.href, origin: target.origin, shown: target.shown }
    }
    return {
      hint: hint && { sub: hint.sub, issuedAt: hint.issuedAt },
      clientName: client?.name ?? null,
      redirect,
      carried: {
        ...(clientId === undefined ? {} : { client_id: clientId }),
        ...(uri === undefined ? {} : { post_logout_redirect_uri: uri }),
        ...(state === undefined ? {} : { state }),
      },
    }
  }

  /**
   * Silent only for a hint issued to the signed-in user during this sign-in (RP-Initiated Logout
   * §2): an ID token from an earlier sign-in, or one leaked from a URL long ago, asks first.
   */
  decide(plan: CheckedLogout, visitor: Visitor): EndSessionStep {
    if (visitor === null) return { signedOut: true }
    const { hint } = plan
    // `iat` is in whole seconds: a sign-in and the token it led to may share the second.
    const signedInAt = Math.floor(visitor.authTime / 1000) * 1000
    if (hint && hint.sub === visitor.userId && hint.issuedAt >= signedInAt) return { signOut: true }
    return { confirm: true }
  }
}
