// What a proven identity at a provider signs in to: a pure decision (sign in, create, link,
// refuse), kept apart from the flow so each rule has a test of its own. An identity is
// (provider, subject); an address decides nothing unless both sides verified it and the
// provider is one whose word on that is trusted.
import { parseEmailAddress } from '../auth/email-address'
import type { ExternalProfile } from '../federation/client'
import type { IdentityRecord } from '../store/identities'

export type LinkIntent =
  /** Signing in from the sign-in page: whoever this identity is. */
  | { kind: 'sign_in' }
  /** A signed-in user connecting this provider to their account. */
  | { kind: 'link'; userId: string }

export type LinkDecision =
  /** The identity is known: sign in to its account. */
  | { kind: 'sign_in'; userId: string }
  /** Unknown identity, no account to join: a new password-less account. */
  | { kind: 'create'; verifiedEmail: string | null }
  /**
   * Join the identity to this account: asked for by its signed-in owner, or (`auto`) because
   * both the provider and the account verified the same address; the owner is then told.
   */
  | { kind: 'link'; userId: string; auto: boolean }
  /** The signed-in user connected an identity that is already theirs: nothing to do. */
  | { kind: 'already_linked'; userId: string }
  /** The identity signs in to another account; connecting it here would take it over. */
  | { kind: 'identity_taken' }

export type LinkFacts = {
  intent: LinkIntent
  profile: ExternalProfile
  /** Whether this provider's "verified" may join accounts (false for Microsoft). */
  emailTrusted: boolean
  /** The account this identity signs in to already, if any. */
  existing: IdentityRecord | null
  /**
   * The account that has the profile's address verified, if any. Looked up only for a trusted,
   * verified address (linkableEmail); null otherwise.
   */
  emailOwner: string | null
}

/**
 * The profile's address, if it is one: a provider may let its users put anything in `email`
 * (a bare name that is someone's username here, say), and that must never find an account.
 */
export const addressOf = (profile: ExternalProfile): string | null =>
  profile.email === null ? null : parseEmailAddress(profile.email)

/** The address that may join or be given to an account: verified, by a provider trusted to. */
export const linkableEmail = (profile: ExternalProfile, emailTrusted: boolean): string | null =>
  emailTrusted && profile.emailVerified ? addressOf(profile) : null

export function decideLink({
  intent,
  profile,
  emailTrusted,
  existing,
  emailOwner,
}: LinkFacts): LinkDecision {
  if (existing) {
    if (intent.kind === 'sign_in') return { kind: 'sign_in', userId: existing.userId }
    return existing.userId === intent.userId
      ? { kind: 'already_linked', userId: existing.userId }
      : { kind: 'identity_taken' }
  }
  if (intent.kind === 'link') return { kind: 'link', userId: intent.userId, auto: false }
  const email = linkableEmail(profile, emailTrusted)
  if (email !== null && emailOwner !== null) {
    return { kind: 'link', userId: emailOwner, auto: true }
  }
  // An address someone else verified here, or one nobody vouches for, stays off the new
  // account: it can be verified by email from /account like any other.
  return { kind: 'create', verifiedEmail: email !== null && emailOwner === null ? email : null }
}

const USERNAME_MAX = 32
const USERNAME_MIN = 3

/**
 * The first guess at a username for a new account, from what the provider said: its handle,
 * the address's local part, the name, or the provider's id; folded to the username rule
 * (letters, digits, `_ . -`, 3 to 32 characters).
 */
export function usernameBase(profile: ExternalProfile): string {
  const candidates = [profile.handle, profile.email?.split('@')[0], profile.name, profile.provider]
  for (const candidate of candidates) {
    if (!candidate) continue
    const folded = candidate
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/\s+/g, '.')
      .replace(/[^A-Za-z0-9_.-]/g, '')
      .replace(/^[.-]+|[.-]+$/g, '')
      .slice(0, USERNAME_MAX - 5)
    if (folded.length >= USERNAME_MIN) return folded
  }
  return `${profile.provider}-user`.slice(0, USERNAME_MAX - 5)
}

/** The base, then the base with a random 4-digit suffix: the next name to try after `attempt` tries. */
export function usernameCandidate(base: string, attempt: number): string {
  if (attempt === 0) return base
  const suffix = crypto.getRandomValues(new Uint16Array(1))[0]! % 10000
  return `${base}-${String(suffix).padStart(4, '0')}`
}
