// The single-use links both email flows mail (confirm an address, reset a password): issuing one
// (it replaces the user's older ones of its purpose, bound to the password it is asked with)
// and opening one (spent, whatever comes of it, or only read). The token exists only in the email; D1 holds its HMAC. Knows nothing of Hono or bindings.
import type { Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { emailTokenId, isEmailTokenShaped, newEmailToken } from '../auth/email-tokens'
import { passwordBinding } from '../auth/passwords'
import type { EmailToken, EmailTokenPurpose, EmailTokenStore } from '../store/email-tokens'
import type { UserRecord, UserStore } from '../store/users'

type LinkDeps = {
  emailTokens: EmailTokenStore
  users: UserStore
  config: () => Promise<Config>
}

export const invalidEmailToken = () =>
  new ApiError(
    'invalid_email_token',
    'The link is invalid, used, replaced by a newer one or expired',
  )

/** Stores a new link's token for `userId`, for `ttlMs`; returns the token, for the email only. */
export async function issueLink(
  deps: LinkDeps,
  link: {
    userId: string
    purpose: EmailTokenPurpose
    email: string
    ttlMs: number
    /** A reset link's binding to the password it is mailed against (passwordBinding). */
    passwordBinding?: string
  },
): Promise<{ token: string; expiresAt: number }> {
  const cfg = await deps.config()
  const at = now()
  const token = newEmailToken()
  const expiresAt = at + link.ttlMs
  await deps.emailTokens.issue({
    id: await emailTokenId(token, cfg.refreshTokenSecret),
    userId: link.userId,
    purpose: link.purpose,
    email: link.email,
    createdAt: at,
    expiresAt,
    passwordBinding: link.passwordBinding ?? null,
  })
  return { token, expiresAt }
}

/**
 * Spends a link's token of `purpose`, or reads it without spending it ('peek': a page a link
 * opens must not spend it). The link must be live and still bound to the account's password:
 * one asked for before a password change is dead even if the change has not yet deleted it.
 * Returns the link and its user; 400 invalid_email_token for anything else.
 */
export async function openLink(
  deps: LinkDeps,
  token: string,
  purpose: EmailTokenPurpose,
  how: 'take' | 'peek',
): Promise<{ link: EmailToken; user: UserRecord }> {
  if (!isEmailTokenShaped(token)) throw invalidEmailToken()
  const cfg = await deps.config()
  const link = await deps.emailTokens[how](
    await emailTokenId(token, cfg.refreshTokenSecret),
    purpose,
    now(),
  )
  if (!link) throw invalidEmailToken()
  const user = await deps.users.findUserById(link.userId)
  if (
    !user ||
    link.passwordBinding === null ||
    (await passwordBinding(user.passwordHash)) !== link.passwordBinding
  ) {
    throw invalidEmailToken()
  }
  return { link, user }
}
