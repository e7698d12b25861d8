// The single-use links both email flows mail (confirm an address, reset a password): issuing one
// (it replaces the user's older ones of its purpose) and taking one (spent, whatever comes of
// it). The token exists only in the email; D1 holds its HMAC. Knows nothing of Hono or bindings.
import type { Config } from '../env'
import { now } from '../clock'
import { ApiError } from '../errors'
import { emailTokenId, isEmailTokenShaped, newEmailToken } from '../auth/email-tokens'
import type { EmailToken, EmailTokenPurpose, EmailTokenStore } from '../store/email-tokens'

type LinkDeps = { emailTokens: EmailTokenStore; config: () => Promise<Config> }

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

/** Spends a link's token of `purpose`; 400 invalid_email_token when it is no live one. */
export const takeLink = (deps: LinkDeps, token: string, purpose: EmailTokenPurpose) =>
  lookUp(deps, token, purpose, 'take')

/** Reads a link's token of `purpose` without spending it; 400 invalid_email_token as takeLink. */
export const peekLink = (deps: LinkDeps, token: string, purpose: EmailTokenPurpose) =>
  lookUp(deps, token, purpose, 'peek')

async function lookUp(
  deps: LinkDeps,
  token: string,
  purpose: EmailTokenPurpose,
  how: 'take' | 'peek',
): Promise<EmailToken> {
  if (!isEmailTokenShaped(token)) throw invalidEmailToken()
  const cfg = await deps.config()
  const found = await deps.emailTokens[how](
    await emailTokenId(token, cfg.refreshTokenSecret),
    purpose,
    now(),
  )
  if (!found) throw invalidEmailToken()
  return found
}
