// The Hono app: middleware order, routes, and the one error renderer.
import * as z from 'zod'
import { bodyLimit } from 'hono/body-limit'
import { corsForAllowedOrigins } from './http/cors'
import { ApiError } from './errors'
import { notFound, oauthErrorFormat, onError } from './http/errors'
import { everyRequest } from './http/log'
import { createRoute, documentedRoutes } from './http/documented-routes'
import { jsonContent, problems, serveDocs } from './http/openapi'
import { accountRoutes } from './routes/account'
import { authRoutes } from './routes/auth'
import { emailRoutes } from './routes/email'
import { recoveryRoutes } from './routes/recovery'
import { sessionRoutes } from './routes/session'
import { oauthRoutes } from './routes/oauth'
import { oauthRegisterRoutes } from './routes/oauth-register'
import { grantRoutes } from './routes/grants'
import { adminUserRoutes } from './routes/admin-users'
import { adminAuditRoutes } from './routes/admin-audit'
import { adminWebhookRoutes } from './routes/admin-webhooks'
import { passkeyRoutes } from './routes/passkeys'
import { identityRoutes } from './routes/identities'
import { emailCodeRoutes } from './routes/email-code'
import { totpRoutes } from './routes/totp'
import { userRoutes } from './routes/users'
import { languageRoutes } from './routes/language'
import { activityRoutes } from './routes/activity'
import { wellKnownRoutes } from './routes/well-known'
import { userInfoRoutes } from './routes/userinfo'
import { pageRoutes } from './pages/routes'
import { recordEvents } from './routes/services'

/** Every body the API accepts is a small JSON object. */
export const MAX_BODY_BYTES = 16 * 1024

const health = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  summary: 'Liveness: answers without touching storage or secrets',
  tags: ['service'],
  responses: {
    200: jsonContent(z.object({ status: z.literal('ok') }), 'Alive'),
    ...problems(),
  },
})

export const app = documentedRoutes()

app
  // Outermost: the request id, then (once answered, errors included) the security headers and
  // the one request log line (src/http/log.ts, src/http/security-headers.ts).
  .use(everyRequest)
  // So every error under /oauth/ is answered in OAuth's format, whoever throws it.
  .use('/oauth/*', oauthErrorFormat)
  // Security events reach the audit log and webhooks once the handler has answered.
  .use(recordEvents)
  .use(corsForAllowedOrigins(() => app.routes))
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError('payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes`)
      },
    }),
  )
  .onError(onError)
  .notFound(notFound)

app
  .openapi(health, (c) => c.json({ status: 'ok' as const }, 200))
  .include(authRoutes)
  .include(sessionRoutes)
  .include(userRoutes)
  .include(accountRoutes)
  .include(languageRoutes)
  .include(activityRoutes)
  .include(totpRoutes)
  .include(passkeyRoutes)
  .include(identityRoutes)
  .include(emailCodeRoutes)
  .include(emailRoutes)
  .include(recoveryRoutes)
  .include(grantRoutes)
  .include(adminUserRoutes)
  .include(adminAuditRoutes)
  .include(adminWebhookRoutes)
  .include(oauthRoutes)
  .include(oauthRegisterRoutes)
  .include(wellKnownRoutes)
  .include(userInfoRoutes)
  // The hosted pages are HTML for people, not API operations: not in /openapi.json.
  .route('/', pageRoutes)

serveDocs(app)
