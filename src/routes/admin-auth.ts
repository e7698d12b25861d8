// Who may call /admin: a server's API key with the scope the route needs, or a signed-in user with
// the admin role whose sign-in was fresh and used a second factor. Sets c.get('admin'). Every
// call reads D1 (strongly consistent): a revoked key or role stops at the next request.
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { API_KEY_PREFIX, apiKeySecretMatches, parseApiKey, parseScopes } from '../auth/api-keys'
import { verifyAccessToken } from '../auth/access-tokens'
import { bearerToken } from '../auth/require-auth'
import { now } from '../clock'
import {
  ADMIN_SCOPES,
  type AdminCaller,
  type AdminScope,
  type AppEnv,
  type AuthMethod,
  type AuthUser,
  requestConfig,
} from '../env'
import { ApiError } from '../errors'
import { log, scrub } from '../log'
import type { ApiKeyStore } from '../store/api-keys'
import type { SessionIndex } from '../store/session-index'
import { BEARER_ERRORS, bearerSecurity } from '../http/openapi'
import type { ErrorCode } from '../errors'
import { storesOf } from './services'

/** What the caller check reads. */
type AdminStores = { keys: ApiKeyStore; sessions: Pick<SessionIndex, 'signedInAt'> }

/** How recently an admin user must have signed in: a stolen session is of no use to /admin after this. */
export const ADMIN_SIGN_IN_WINDOW_MS = 15 * 60 * 1000

/** A key's last use is written at most this often: not a D1 write on every call. */
export const KEY_USE_INTERVAL_MS = 60 * 1000

/** RFC 8176 methods that are a second factor: a TOTP or recovery code, or a passkey (itself two). */
const SECOND_FACTORS: readonly AuthMethod[] = ['otp', 'hwk', 'swk']

/** One answer for an unknown, revoked or malformed key: which it was is not the caller's to learn. */
const badKey = () => new ApiError('invalid_token', 'The API key is not valid')

async function keyCaller(
  token: string,
  stores: AdminStores,
): Promise<{ caller: AdminCaller; lastUsedAt: number | null }> {
  const parsed = parseApiKey(token)
  if (!parsed) throw badKey()
  const record = await stores.keys.find(parsed.id)
  // Compared even when there is no such key, so an unknown id costs the same as a wrong secret.
  const matches = await apiKeySecretMatches(parsed.secret, record?.secretHash ?? null)
  if (!record || !matches || record.revokedAt !== null) throw badKey()
  return {
    caller: { type: 'api_key', id: record.id, scopes: parseScopes(record.scopes) },
    lastUsedAt: record.lastUsedAt,
  }
}

async function adminUserCaller(user: AuthUser, stores: AdminStores): Promise<AdminCaller> {
  if (!(await stores.keys.isAdmin(user.id))) {
    throw new ApiError('admin_required', 'This needs an admin')
  }
  if (!user.amr.some((method) => SECOND_FACTORS.includes(method))) {
    throw new ApiError(
      'step_up_required',
      'Admin calls need a sign-in with a second factor (TOTP or a passkey): sign in again with one',
    )
  }
  const signedInAt = await stores.sessions.signedInAt(user.id, user.sessionId)
  if (signedInAt === null)
    throw new ApiError('invalid_token', 'This session has ended; sign in again')
  if (signedInAt < now() - ADMIN_SIGN_IN_WINDOW_MS) {
    throw new ApiError(
      'step_up_required',
      'Admin calls need a sign-in within the last 15 minutes: sign in again, then retry',
    )
  }
  return { type: 'admin', id: user.id, scopes: [...ADMIN_SCOPES] }
}

/** Notes the key's use after the response, when the last one noted is a minute old. */
function noteKeyUse(c: Context<AppEnv>, stores: AdminStores, id: string, last: number | null) {
  const at = now()
  if (last !== null && last > at - KEY_USE_INTERVAL_MS) return
  c.executionCtx.waitUntil(
    stores.keys.touch(id, at, KEY_USE_INTERVAL_MS).catch((err: unknown) =>
      log.error('api_key_use_not_noted', {
        requestId: c.get('requestId'),
        keyId: id,
        errorName: err instanceof Error ? err.name : typeof err,
        message: scrub(err instanceof Error ? err.message : String(err)),
      }),
    ),
  )
}

/**
 * Lets the request through when its caller holds `scope`: 401 invalid_token for a missing,
 * malformed, unknown or revoked credential; 403 insufficient_scope for a key without the scope,
 * admin_required for a user who is not an admin, step_up_required for an admin whose sign-in is
 * older than 15 minutes or had no second factor.
 */
export const requireAdmin = (scope: AdminScope) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = bearerToken(c.req.header('authorization'))
    const all = storesOf(c)
    const stores: AdminStores = { keys: all.apiKeys, sessions: all.index }
    if (token.startsWith(API_KEY_PREFIX)) {
      const { caller, lastUsedAt } = await keyCaller(token, stores)
      if (!caller.scopes.includes(scope)) {
        throw new ApiError('insufficient_scope', `This needs the ${scope} scope`)
      }
      c.set('admin', caller)
      await next()
      noteKeyUse(c, stores, caller.id, lastUsedAt)
      return
    }
    const user = await verifyAccessToken(token, requestConfig(c))
    c.set('admin', await adminUserCaller(user, stores))
    await next()
  })

/** What every /admin operation declares: its tag and security, and the answers of requireAdmin. */
export const adminOperation = { tags: ['admin'], security: bearerSecurity }
export const ADMIN_ERRORS: ErrorCode[] = [
  ...BEARER_ERRORS,
  'insufficient_scope',
  'admin_required',
  'step_up_required',
]
