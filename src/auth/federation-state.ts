// What a sign-in at another provider must remember between sending the browser there and its
// return: sealed (AES-GCM under MFA_ENCRYPTION_KEY, the provider id as associated data) into a
// short-lived cookie of this browser, so the callback needs no storage read to find it, a
// callback from another browser (login CSRF) has nothing to match, and a state sealed for one
// provider cannot open at another's callback (mix-up).
import { randomBytes, sha256Base64Url, toBase64Url, utf8 } from './encoding'
import { type MfaKeys, seal, unseal } from './mfa-keys'

export type FederationState = {
  /** Sent as `state` and compared on return; also the key of its single-use record. */
  state: string
  /** Sent as `nonce` (OIDC); the ID token must carry it. */
  nonce: string
  /** PKCE: only its S256 hash went to the provider. */
  codeVerifier: string
  /** Where the browser goes afterwards, already checked (pages/return-to.ts). */
  returnTo: string
  /** Connecting to a signed-in account: whose, and from which session. Null to sign in. */
  link: { userId: string; sessionId: string } | null
  /** Epoch ms. */
  expiresAt: number
}

/** 256 random bits, base64url: the length RFC 7636 §4.1 recommends for a verifier. */
const random = () => toBase64Url(randomBytes(32))

/** A sealed state is a few hundred characters; anything much longer is refused unread. */
const SEALED_MAX_LENGTH = 4096

type Payload = { s: string; n: string; v: string; r: string; l: [string, string] | null; e: number }

const purpose = (providerId: string) => `federation:${providerId}`

export function newFederationState(
  returnTo: string,
  link: FederationState['link'],
  expiresAt: number,
): FederationState {
  return { state: random(), nonce: random(), codeVerifier: random(), returnTo, link, expiresAt }
}

export async function sealFederationState(
  keys: MfaKeys,
  providerId: string,
  state: FederationState,
): Promise<string> {
  const payload: Payload = {
    s: state.state,
    n: state.nonce,
    v: state.codeVerifier,
    r: state.returnTo,
    l: state.link && [state.link.userId, state.link.sessionId],
    e: state.expiresAt,
  }
  return seal(keys, purpose(providerId), utf8(JSON.stringify(payload)))
}

/** The state if this service sealed it for this provider; null for anything else. */
export async function openFederationState(
  keys: MfaKeys,
  providerId: string,
  sealed: string,
): Promise<FederationState | null> {
  if (sealed.length > SEALED_MAX_LENGTH) return null
  const plain = await unseal(keys, purpose(providerId), sealed)
  if (!plain) return null
  const { s, n, v, r, l, e } = JSON.parse(new TextDecoder().decode(plain)) as Payload
  return {
    state: s,
    nonce: n,
    codeVerifier: v,
    returnTo: r,
    link: l && { userId: l[0], sessionId: l[1] },
    expiresAt: e,
  }
}

/** RFC 7636 §4.2: base64url(SHA-256(verifier)). */
export const codeChallenge = (verifier: string): Promise<string> => sha256Base64Url(verifier)
