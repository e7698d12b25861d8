// An authorization request between its arrival at /authorize and the user's decision: checked
// once, then sealed (AES-GCM under MFA_ENCRYPTION_KEY) rather than stored. It rides in a
// short-lived cookie while the browser signs in (a long request would not fit the 2,048
// characters of return_to), and in the consent form, sealed for the user it was shown to, so a
// form lifted into another user's browser opens for nobody.
import { utf8 } from './encoding'
import { type MfaKeys, seal, unseal } from './mfa-keys'

export type AuthorizeRequest = {
  clientId: string
  /** The redirect the code goes to; checked against the client's registration. */
  redirectUri: string
  /** Whether the request named it (then the token request must name it too, RFC 6749 §4.1.3). */
  redirectUriSent: boolean
  state: string | null
  /** PKCE S256; null only for a confidential OpenID client that sent a nonce instead. */
  codeChallenge: string | null
  resource: string
  scopes: string[]
  /** prompt=login: a sign-in after `at` is needed; prompt=consent: ask even if remembered. */
  forceLogin: boolean
  forceConsent: boolean
  /** prompt=none: never show a page; answer at the redirect instead. */
  silent: boolean
  /** OpenID: the nonce the ID token repeats; null when none was sent or the request is not OpenID. */
  nonce: string | null
  /** max_age, in seconds: a sign-in older than this is done again (null: any age will do). */
  maxAge: number | null
  /** login_hint: the username the sign-in form starts with. */
  loginHint: string | null
  /** id_token_hint's `sub`: only that user's sign-in answers the request. */
  hintSubject?: string | null
  /** Epoch ms the request arrived. */
  at: number
  /** Epoch ms after which it is refused. */
  expiresAt: number
  /**
   * On a consent form: the user and session it was shown to, and the nonce its one decision
   * spends (a form decides once: no Allow after Deny, no second code from one page).
   */
  shownTo?: { userId: string; sessionId: string; nonce: string }
}

/** A sealed request is a few hundred characters to a few KiB; anything longer is refused unread. */
const SEALED_MAX_LENGTH = 8192
/**
 * Where a sealed request travels: the sign-in detour's cookie, or the consent form. Each is
 * sealed for its own use, so neither opens as the other.
 */
export type RequestUse = 'pending' | 'consent'
const purpose = (use: RequestUse) => `authorize-request:${use}`

export const sealAuthorizeRequest = (
  keys: MfaKeys,
  use: RequestUse,
  request: AuthorizeRequest,
): Promise<string> => seal(keys, purpose(use), utf8(JSON.stringify(request)))

/** The request if this service sealed it and it has not expired at `at`; null for anything else. */
export async function openAuthorizeRequest(
  keys: MfaKeys,
  use: RequestUse,
  sealed: string,
  at: number,
): Promise<AuthorizeRequest | null> {
  if (sealed.length > SEALED_MAX_LENGTH) return null
  const plain = await unseal(keys, purpose(use), sealed)
  if (!plain) return null
  const request = JSON.parse(new TextDecoder().decode(plain)) as AuthorizeRequest
  return request.expiresAt > at ? request : null
}
