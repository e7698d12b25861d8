// Builds the services a request needs from the worker's bindings: the one place routes get them.
import type { Context } from 'hono'
import { ensureSigningKeys } from '../auth/access-tokens'
import { asymmetricKeysRequired } from '../auth/resource-tokens'
import { mfaKeys } from '../auth/mfa-keys'
import { type AppEnv, authorizationServerIssuer, requestConfig, settings } from '../env'
import { AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS, ApiError } from '../errors'
import { authorizationCodeStore } from '../store/authorization-codes'
import { clientDocumentStore } from '../store/client-documents'
import { oauthClientStore } from '../store/oauth-clients'
import { grantStore } from '../store/oauth-grants'
import { AuthorizeService } from '../services/oauth-server/authorize'
import { ClientService } from '../services/oauth-server/clients'
import { GrantService } from '../services/oauth-server/grants'
import { TokenService } from '../services/oauth-server/tokens'
import { UserInfoService, userInfoResource } from '../services/oauth-server/openid'
import { EndSessionService } from '../services/oauth-server/end-session'
import { AccountService } from '../services/account'
import { type AuthDeps, AuthService } from '../services/auth'
import type { Client } from '../services/sessions'
import { CITY_MAX_LENGTH, printable } from '../services/device'
import { PasskeyService } from '../services/passkeys'
import { bindingMailer } from '../mail/mailer'
import { EmailService } from '../services/email'
import { FederationService } from '../services/federation'
import { identityStore } from '../store/identities'
import { emailCodeStore } from '../store/email-codes'
import { EmailCodeService } from '../services/email-codes'
import { LanguageService } from '../services/language'
import { ceremonyUses } from '../store/ceremony-uses'
import { emailQuota } from '../store/email-quota'
import { emailTokenStore } from '../store/email-tokens'
import { RecoveryService } from '../services/recovery'
import { passkeyStore } from '../store/passkeys'
import { loginFailureStore } from '../store/login-failures'
import { sessionIndex } from '../store/session-index'
import { sessionStore } from '../store/sessions'
import { totpStore } from '../store/totp'
import { userStore } from '../store/users'
import { log, scrub } from '../log'
import { clientNetwork } from '../client-network'
import { clientIp } from '../http/rate-limit'
import { noticeBrand } from '../http/mail-links'
import { loadLanguage } from '../http/catalog-assets'
import { requestLanguage } from '../http/language'
import { auditStore } from '../store/audit-events'
import type { Actor } from '../store/audit-events'
import {
  type EventBuffer,
  type EventOutlets,
  type EventWriteError,
  eventBuffer,
  eventSink,
  flushEvents,
} from '../services/events'
import { createMiddleware } from 'hono/factory'
import { webhookQueue } from '../store/webhook-queue'
import { type WriteQueueFailure, lastUseQueue } from '../store/write-queue'
import { apiKeyStore } from '../store/api-keys'
import { webhookStores } from '../store/webhook-endpoints'
import { ActivityService } from '../services/activity'
import { AuditLogService } from '../services/audit-log'
import { AdminUserService } from '../services/admin-users'
import { WebhookService } from '../services/webhooks'

/** User agents are free text from the client; the sessions list needs only their start. */
const USER_AGENT_MAX_LENGTH = 256

/**
 * Logs a last-use write the queue could not take (then written to D1 directly) or that failed
 * both ways. Once per window of an isolate, not per request, so no request id.
 */
const lastUseFailed = (failure: WriteQueueFailure) =>
  log[failure.stage === 'send' ? 'warn' : 'error'](
    failure.stage === 'send' ? 'write_queue_send_failed' : 'last_use_write_failed',
    {
      updates: failure.updates,
      errorName: failure.cause instanceof Error ? failure.cause.name : typeof failure.cause,
      message: scrub(
        failure.cause instanceof Error ? failure.cause.message : String(failure.cause),
      ),
    },
  )

// The stores hold nothing but their binding, and an isolate's bindings are the same object for
// every request: built once per env, not on every request (they are on every hot path).
const buildStores = (env: AppEnv['Bindings']) => ({
  users: userStore(env.DB),
  sessions: sessionStore(env.REFRESH_TOKENS),
  index: sessionIndex(env.DB, lastUseQueue(env.WRITES, env.DB, lastUseFailed)),
  loginFailures: loginFailureStore(env.REFRESH_TOKENS),
  totp: totpStore(env.DB),
  ceremonies: ceremonyUses(env.DB),
  passkeys: passkeyStore(env.DB),
  emailTokens: emailTokenStore(env.DB),
  emailQuota: emailQuota(env.DB),
  identities: identityStore(env.DB),
  emailCodes: emailCodeStore(env.DB),
  clients: oauthClientStore(env.DB),
  documents: clientDocumentStore(env.REFRESH_TOKENS),
  grants: grantStore(env.DB),
  codes: authorizationCodeStore(env.DB),
  audit: auditStore(env.DB),
  apiKeys: apiKeyStore(env.DB),
  ...webhookStores(env),
})

/** The stores of the request's environment, for middleware that needs no service (routes/admin-auth.ts). */
export const storesOf = (c: Context<AppEnv>) => stores(c.env)

const storesByEnv = new WeakMap<object, ReturnType<typeof buildStores>>()

function stores(env: AppEnv['Bindings']) {
  let found = storesByEnv.get(env)
  if (!found) {
    found = buildStores(env)
    storesByEnv.set(env, found)
  }
  return found
}

/** Each request's event buffer, by its context (the one object its middleware and handler share). */
const buffers = new WeakMap<Context, EventBuffer>()

const eventOutlets = (env: AppEnv['Bindings']): EventOutlets => ({
  audit: stores(env).audit,
  publish: webhookQueue(env.WEBHOOKS).publish,
  subscribed: stores(env).endpoints.subscribedTypes,
})

/** Logs an audit or webhook write that failed after the response, under its own name. */
const writeFailed = (requestId: string) => (err: EventWriteError) =>
  log.error(err.outlet === 'audit' ? 'audit_write_failed' : 'webhook_publish_failed', {
    requestId,
    events: err.count,
    errorName: err.cause instanceof Error ? err.cause.name : typeof err.cause,
    message: scrub(err.cause instanceof Error ? err.cause.message : String(err.cause)),
  })

/**
 * Collects the events a request reports and writes them once its handler has answered: one D1
 * batch of audit rows and one queue send of webhook events, after the response (waitUntil), so
 * no request waits on them and a failure to write them fails no request (it is logged).
 */
export const recordEvents = createMiddleware<AppEnv>(async (c, next) => {
  const buffer = eventBuffer()
  buffers.set(c, buffer)
  try {
    await next()
  } finally {
    if (buffer.audit.length > 0) {
      c.executionCtx.waitUntil(
        flushEvents(buffer, eventOutlets(c.env), writeFailed(c.get('requestId'))),
      )
    } else {
      buffer.flushed = true
    }
  }
})

/**
 * What every service may be built from, for a request. `actor` names who calls when it is not the
 * user the events are about: an admin user or an API key (routes/admin).
 */
export function serviceDeps(
  c: Context<AppEnv>,
  actor?: Actor,
): AuthDeps & ReturnType<typeof buildStores> {
  const requestId = c.get('requestId')
  const built = stores(c.env)
  const defer = (task: Promise<unknown>) =>
    c.executionCtx.waitUntil(
      task.catch((err: unknown) =>
        log.error('deferred_task_failed', {
          requestId,
          errorName: err instanceof Error ? err.name : typeof err,
          message: scrub(err instanceof Error ? err.message : String(err)),
        }),
      ),
    )
  // Read only when an audit row is built, a mail is written or a password checked: most requests
  // (a token check) need none of them, and workerd parses `cf` afresh for each read.
  let client: ReturnType<typeof clientOf> | undefined
  const clientNow = () => (client ??= clientOf(c))
  return {
    ...built,
    events: eventSink({
      requestId,
      actor,
      get userAgent() {
        return clientNow().userAgent
      },
      get country() {
        return clientNow().country
      },
      defer,
      outlets: eventOutlets(c.env),
      buffer: buffers.get(c),
      failed: writeFailed(requestId),
    }),
    // Read when a route sends: a missing binding or sender fails only those routes (503).
    mailer: () => bindingMailer(c.env.EMAIL, c.env),
    mfaKeys: async () => mfaKeys(settings(c.env).mfaKey),
    defer,
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    config: async () => {
      const cfg = requestConfig(c)
      await ensureSigningKeys(cfg)
      return cfg
    },
    // Read only when a security notice is sent (the other mails' links carry their own): the
    // settings it reads may be missing, which must fail that notice alone.
    noticeBrand: () => noticeBrand(c),
    // What a mail to an account with no language of its own is written in.
    get requestLanguage() {
      return requestLanguage(c)
    },
    loadLanguage: (lang) => loadLanguage(c.env.ASSETS, lang),
    requestId,
    get network() {
      return networkOf(c)
    },
  }
}

export const authService = (c: Context<AppEnv>) => new AuthService(serviceDeps(c))
export const accountService = (c: Context<AppEnv>) => new AccountService(serviceDeps(c))
export const passkeyService = (c: Context<AppEnv>) => new PasskeyService(serviceDeps(c))
export const emailService = (c: Context<AppEnv>) => new EmailService(serviceDeps(c))
export const recoveryService = (c: Context<AppEnv>) => new RecoveryService(serviceDeps(c))
export const emailCodeService = (c: Context<AppEnv>) => new EmailCodeService(serviceDeps(c))
export const languageService = (c: Context<AppEnv>) => new LanguageService(serviceDeps(c))
export const federationService = (c: Context<AppEnv>) =>
  new FederationService({ ...serviceDeps(c), providers: () => settings(c.env).providers })

/**
 * The authorization server's issuer, or the 503 naming the setting it lacks: JWT_ISSUER must be
 * its URL (a loopback origin will do for `npm run dev`).
 */
export function authorizationServer(c: Context<AppEnv>): string {
  const issuer = authorizationServerIssuer(c)
  if (issuer === null) {
    throw new ApiError(
      'authorization_server_unavailable',
      "The authorization server needs JWT_ISSUER set to this service's https URL",
      { retryAfter: AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS },
    )
  }
  // A resource verifies its tokens with the JWKS: a shared secret cannot be published.
  if (requestConfig(c).signing.alg === 'HS256') throw asymmetricKeysRequired()
  return issuer
}

const resources = (c: Context<AppEnv>) => () => settings(c.env).protectedResources

export const clientService = (c: Context<AppEnv>) =>
  new ClientService({
    ...serviceDeps(c),
    assertionAudiences: () => {
      const issuer = authorizationServer(c)
      return [issuer, `${issuer}/oauth/token`]
    },
  })
export const authorizeService = (c: Context<AppEnv>) => {
  const issuer = authorizationServer(c)
  return new AuthorizeService({
    ...serviceDeps(c),
    clientService: clientService(c),
    resources: resources(c),
    userInfo: userInfoResource(issuer),
    issuer,
  })
}
/** The token endpoint's grants: for the resources configured, and for UserInfo. */
export const tokenService = (c: Context<AppEnv>) =>
  new TokenService({
    ...serviceDeps(c),
    resources: () => [...resources(c)(), userInfoResource(authorizationServer(c))],
  })
export const endSessionService = (c: Context<AppEnv>) => {
  authorizationServer(c)
  return new EndSessionService({ ...serviceDeps(c), clientService: clientService(c) })
}
export const userInfoService = (c: Context<AppEnv>) =>
  new UserInfoService({ ...serviceDeps(c), issuer: authorizationServer(c) })
export const grantService = (c: Context<AppEnv>) => new GrantService(serviceDeps(c))
export const activityService = (c: Context<AppEnv>) => new ActivityService(serviceDeps(c))

/** Who calls an /admin route (routes/admin-auth.ts has let it through), as audit rows name it. */
const adminActor = (c: Context<AppEnv>): Actor => {
  const admin = c.get('admin')
  if (!admin) throw new Error('an admin service outside requireAdmin')
  return { type: admin.type, id: admin.id }
}

/**
 * The operators' audit log reads from any D1 read replica: it is written after responses anyway,
 * so a replica's moment of lag changes nothing an operator can rely on, and the primary (one
 * writer) is spared the scans. A user's own activity page still reads the primary.
 */
export const auditLogService = (c: Context<AppEnv>) =>
  new AuditLogService({ audit: auditStore(c.env.DB, 'replica') })
export const adminUserService = (c: Context<AppEnv>) =>
  new AdminUserService({ ...serviceDeps(c, adminActor(c)), caller: c.get('admin')!.type })
export const webhookService = (c: Context<AppEnv>) =>
  new WebhookService({
    ...serviceDeps(c, adminActor(c)),
    allowLoopback: () => settings(c.env).webhooksAllowLoopback,
  })

/**
 * The client as the sessions list describes it: its User-Agent and, on Cloudflare, its country
 * and city. Every sign-in (password, two-factor, passkey, email code, another provider, an app's
 * code) records its session through this.
 */
export function clientOf(c: Context<AppEnv>): Client {
  const cf = (c.req.raw as { cf?: { country?: unknown; city?: unknown } }).cf
  return {
    userAgent: c.req.header('user-agent')?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
    country: typeof cf?.country === 'string' ? cf.country : null,
    // Cloudflare's text, but stored and shown: printable and bounded all the same.
    city: typeof cf?.city === 'string' ? printable(cf.city, CITY_MAX_LENGTH) : null,
  }
}

/** The network the request came from (a /24 or /48), for limits a stranger must not spend. */
export const networkOf = (c: Context<AppEnv>): string => clientNetwork(clientIp(c))
