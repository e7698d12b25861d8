// Single-use ceremony tokens: WebAuthn challenges and the mfaToken of a two-step sign-in. Sealed
// (AES-GCM under MFA_ENCRYPTION_KEY, the kind as associated data), so each carries its own kind,
// user, expiry and binding, is opaque to the client, and costs no write to hand out. Its nonce is
// what store/ceremony-uses.ts records when it is used, which makes a second use fail.
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from './encoding'
import { type MfaKeys, seal, unseal } from './mfa-keys'

export type CeremonyKind = 'mfa' | 'passkey_register' | 'passkey_signin' | 'passkey_signup'

export type Ceremony = {
  kind: CeremonyKind
  /** 128 random bits: the key of its use record, and what makes every token unique. */
  nonce: string
  /** The user it is for; null for a passkey sign-in, where the credential names the user. */
  userId: string | null
  /** Epoch ms. */
  expiresAt: number
  /** What else it is bound to: for an mfaToken, the password hash it was issued against. */
  bind?: string
  /**
   * For an mfaToken: how the first step signed in, when not with the password: at a provider
   * (`fed`, which `idp` names) or with a code mailed to the account's address (`email`).
   */
  first?: 'fed' | 'email'
  idp?: string
}

const NONCE_BYTES = 16
/** Sealed tokens are a few hundred characters; anything longer is refused unread. */
const CEREMONY_TOKEN_MAX_LENGTH = 1024

type Payload = {
  n: string
  u: string | null
  e: number
  b?: string
  f?: 'fed' | 'email'
  i?: string
}

export async function issueCeremony(
  keys: MfaKeys,
  ceremony: Omit<Ceremony, 'nonce'>,
): Promise<{ token: string; ceremony: Ceremony }> {
  const nonce = toBase64Url(randomBytes(NONCE_BYTES))
  const payload: Payload = {
    n: nonce,
    u: ceremony.userId,
    e: ceremony.expiresAt,
    b: ceremony.bind,
    f: ceremony.first,
    i: ceremony.idp,
  }
  const token = await seal(keys, `ceremony:${ceremony.kind}`, utf8(JSON.stringify(payload)))
  return { token, ceremony: { ...ceremony, nonce } }
}

/**
 * The ceremony a token stands for if it was sealed by this service for `kind`; null for anything
 * else (forged, altered, another kind's). Expiry is the caller's to judge, against its clock.
 */
export async function openCeremony(
  keys: MfaKeys,
  kind: CeremonyKind,
  token: string,
): Promise<Ceremony | null> {
  if (token.length > CEREMONY_TOKEN_MAX_LENGTH) return null
  const plain = await unseal(keys, `ceremony:${kind}`, token)
  if (!plain) return null
  const { n, u, e, b, f, i } = JSON.parse(new TextDecoder().decode(plain)) as Payload
  return {
    kind,
    nonce: n,
    userId: u,
    expiresAt: e,
    bind: b,
    ...(f === undefined ? {} : { first: f }),
    ...(i === undefined ? {} : { idp: i }),
  }
}

/** A ceremony token as the bytes WebAuthn signs over (its challenge). */
export const challengeBytes = (token: string) => fromBase64Url(token)!
