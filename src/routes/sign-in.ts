// What every sign-in route answers (password, second step, passkey) and how it is documented:
// the pair, or in cookie mode the access token with the refresh token in its cookie.
import type { Context } from 'hono'
import * as z from 'zod'
import { type AppEnv, requestConfig } from '../env'
import { NO_STORE } from '../http/headers'
import { cookieTokens, endReplacedSession } from '../http/refresh-cookie'
import { AccessTokenSchema, type TokenPair, TokenPairSchema } from '../schemas'
import { authService } from './services'

/** The answer to a sign-in or refresh: the pair, or in cookie mode the access token alone. */
export const tokensOrCookie = (description: string) => ({
  description,
  headers: {
    'Set-Cookie': {
      description: 'Cookie mode: `__Host-refresh_token`, HttpOnly, Secure, SameSite=Lax, Path=/',
      schema: { type: 'string' as const },
    },
  },
  content: { 'application/json': { schema: z.union([TokenPairSchema, AccessTokenSchema]) } },
})

/** A sign-in's answer: the pair, or in cookie mode the access token and the cookie. */
export async function signedIn(
  c: Context<AppEnv>,
  mode: 'token' | 'cookie' | undefined,
  tokens: TokenPair,
) {
  if (mode !== 'cookie') return c.json(tokens, 200, NO_STORE)
  await endReplacedSession(c, (old) => authService(c).logout(old))
  return c.json(cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl), 200, NO_STORE)
}
