// The authorization endpoint (GET and POST /authorize), for third-party apps and MCP clients:
// the request is checked (services/oauth-server/authorize.ts), the browser signs in through the
// hosted /signin if it must (the checked request waits, sealed, in a cookie of its own), the user
// consents on a page whose form posts decision=allow or decision=deny, and the browser goes back
// to the app with its code, state and iss. Nothing reaches an unregistered redirect.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AuthorizeRequest } from '../auth/authorize-request'
import { redirectTarget } from '../auth/redirect-uris'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { now } from '../clock'
import { log } from '../log'
import {
  type AuthorizeParams,
  AuthorizeService,
  type Signer,
} from '../services/oauth-server/authorize'
import { isDocumentClientId } from '../services/oauth-server/client-documents'
import { authorizeService, grantService } from '../routes/services'
import { consentPage, invalidRequestPage, refusedRequest, returnPage } from './authorize-views'
import { type PageStatus, asVisitor, form, refusal, visitor } from './shared'
import { layout } from './views'
import { uiOf } from './ui'

export const authorizePages = new Hono<AppEnv>()

/** The pending request's cookie: one per request, so two apps authorizing at once do not collide. */
const pendingCookie = (id: string) => `authorize-${id}`
const COOKIE = { prefix: 'host', path: '/', secure: true, httpOnly: true, sameSite: 'Lax' } as const
const PENDING_ID = /^[A-Za-z0-9_-]{16}$/
const PENDING_PREFIX = '__Host-authorize-'
/** Pending requests one browser keeps at once; more clears them all (the newest is set after). */
const MAX_PENDING = 3
/** A cookie's name and value must fit 4,096 bytes. */
const PENDING_MAX_LENGTH = 4000

/** A refusal page: `message` in the page's language (or a service's reason, which is English). */
export const refusePage = (
  c: Context<AppEnv>,
  status: PageStatus,
  message: string,
  title = uiOf(c).t.apps.refused.title,
) => c.html(layout(uiOf(c), title, refusedRequest(uiOf(c), message)), status)

/**
 * An authorization server page's service, or the page saying the server is off (its log line
 * names the setting).
 */
export function serverPageService<T>(
  c: Context<AppEnv>,
  make: (c: Context<AppEnv>) => T,
): T | Response | Promise<Response> {
  try {
    return make(c)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'authorization_server_unavailable') {
      log.error('authorization_server_unavailable', { requestId: c.get('requestId') })
      return refusePage(c, 503, uiOf(c).t.apps.refused.unavailable)
    }
    throw err
  }
}

const service = (c: Context<AppEnv>) => serverPageService(c, authorizeService)

const signerOf = (user: {
  id: string
  sessionId: string
  amr: Signer['amr']
  idp?: string
  authTime: number
}): Signer => ({
  id: user.id,
  sessionId: user.sessionId,
  amr: user.amr,
  authTime: user.authTime,
  ...(user.idp === undefined ? {} : { idp: user.idp }),
})

/** The request's parameters, every value of each: a query, or a form (OAuth 2.1 allows POST). */
export async function paramsOf(c: Context<AppEnv>): Promise<AuthorizeParams | null> {
  if (c.req.method === 'GET') return c.req.queries() as AuthorizeParams
  await form(c) // refuses a body that is not a form
  const all = await c.req.parseBody({ all: true })
  const params: AuthorizeParams = {}
  for (const [name, value] of Object.entries(all)) {
    const values = Array.isArray(value) ? value : [value]
    if (!values.every((v) => typeof v === 'string')) return null
    params[name] = values as string[]
  }
  return params
}

/**
 * Takes a checked request as far as it can go now: to the app with its code (or an error it
 * asked for with prompt=none), to /signin, or to the consent page.
 */
async function proceed(
  c: Context<AppEnv>,
  svc: AuthorizeService,
  request: AuthorizeRequest,
  pendingId: string | null,
): Promise<Response> {
  const signedIn = await visitor(c)
  const signer = signedIn ? signerOf(signedIn.user) : null
  const next = await svc.next(request, signer)
  if ('redirect' in next) {
    if (!pendingId) return c.redirect(next.redirect, 303)
    // Back from a sign-in, most often a form's: move on by a page, not a 303 (returnPage).
    deleteCookie(c, pendingCookie(pendingId), COOKIE)
    const target = redirectTarget(request.redirectUri)
    const ui = uiOf(c)
    return c.html(
      layout(ui, ui.t.apps.returning.title, returnPage(ui, next.redirect, target.shown)),
      200,
    )
  }
  if ('signIn' in next) {
    const made = await svc.pending(request)
    const id = pendingId ?? made.id
    const sealed = made.sealed
    // Browsers drop a cookie over 4 KiB: a request that long could never come back from /signin.
    if (sealed.length > PENDING_MAX_LENGTH) {
      return refusePage(c, 400, uiOf(c).t.apps.refused.tooLong)
    }
    // Each detour adds a cookie for 15 minutes: past a few, the oldest are of abandoned tries,
    // and a pile of them would make every request of this browser too large to serve.
    const pending = Object.keys(getCookie(c)).filter((name) => name.startsWith(PENDING_PREFIX))
    if (pending.length >= MAX_PENDING) {
      for (const name of pending) deleteCookie(c, name.slice('__Host-'.length), COOKIE)
    }
    const maxAge = Math.max(1, Math.floor((request.expiresAt - now()) / 1000))
    setCookie(c, pendingCookie(id), sealed, { ...COOKIE, maxAge })
    const back = `/authorize/resume?id=${id}`
    // login_hint (OIDC Core §3.1.2.1): the form starts with the username the app suggests.
    const hint =
      request.loginHint === null ? '' : `&login_hint=${encodeURIComponent(request.loginHint)}`
    return c.redirect(`/signin?return_to=${encodeURIComponent(back)}${hint}`, 303)
  }
  const subject = await svc.consentSubject(request)
  if (!subject) {
    return refusePage(c, 400, uiOf(c).t.apps.refused.gone)
  }
  const { client, resource } = subject
  const user = signedIn!.user
  const sealed = await svc.forConsent(request, signer!)
  const target = redirectTarget(request.redirectUri)
  // The decision's 303 goes to the app: this page's form-action must allow it.
  c.set('formActions', [target.origin])
  if (pendingId) deleteCookie(c, pendingCookie(pendingId), COOKIE)
  return c.html(
    layout(
      uiOf(c),
      uiOf(c).t.apps.consent.title,
      consentPage(uiOf(c), {
        clientName: client.name,
        clientId: client.id,
        documentHost: isDocumentClientId(client.id) ? new URL(client.id).host : null,
        target,
        resourceName: resource.name,
        resource: resource.resource,
        signInOnly: subject.signInOnly,
        scopes: request.scopes,
        username: user.username,
        request: sealed,
      }),
    ),
    200,
  )
}

const authorize = async (c: Context<AppEnv>) => {
  const svc = service(c)
  if (!(svc instanceof AuthorizeService)) return svc
  const params = await paramsOf(c)
  if (!params) return refusePage(c, 400, uiOf(c).t.apps.refused.unreadable)
  // A client id that is a URL may make this service fetch it: a budget per address.
  if (params.client_id?.some(isDocumentClientId)) {
    try {
      await checkRateLimit(c, 'TOKEN_LIMITER', `${clientIp(c)}:authorize`)
    } catch (err) {
      const { status, notice } = refusal(uiOf(c), err)
      return refusePage(c, status, notice.text)
    }
  }
  const checked = await svc.check(params)
  if ('refuse' in checked) {
    const { status, reason, param } = checked.refuse
    const because = uiOf(c).t.apps.refusedBecause
    return refusePage(c, status, reason === 'repeated' ? because.repeated(param!) : because[reason])
  }
  if ('invalid' in checked) {
    const ui = uiOf(c)
    return c.html(layout(ui, ui.t.apps.invalid.title, invalidRequestPage(ui, checked.invalid)), 400)
  }
  return proceed(c, svc, checked.request, null)
}

authorizePages.get('/authorize', authorize)
authorizePages.post('/authorize', authorize)

/** Back from /signin: the request this browser left in its cookie, taken on from where it was. */
authorizePages.get('/authorize/resume', async (c) => {
  const svc = service(c)
  if (!(svc instanceof AuthorizeService)) return svc
  const id = c.req.query('id') ?? ''
  const sealed = PENDING_ID.test(id) ? getCookie(c, pendingCookie(id), 'host') : undefined
  const request = sealed ? await svc.open('pending', sealed) : null
  if (!request) {
    return refusePage(c, 400, uiOf(c).t.apps.refused.expiredSignIn)
  }
  return proceed(c, svc, request, id)
})

/** The consent form: from this origin, by the user it was shown to. */
authorizePages.post('/authorize/consent', async (c) => {
  checkCookieOrigin(c)
  const svc = service(c)
  if (!(svc instanceof AuthorizeService)) return svc
  const body = await form(c)
  const signedIn = await visitor(c)
  const sealed = typeof body.request === 'string' ? body.request : ''
  const request = sealed ? await svc.open('consent', sealed) : null
  const shownTo = request?.shownTo
  const sameVisitor =
    signedIn !== null &&
    shownTo?.userId === signedIn.user.id &&
    shownTo.sessionId === signedIn.user.sessionId
  if (!request || !sameVisitor) {
    return refusePage(c, 400, uiOf(c).t.apps.refused.notYours)
  }
  // Still registered, with that redirect: the app may have lapsed while the page was open.
  const client = await svc.stillValid(request)
  if (!client) return refusePage(c, 400, uiOf(c).t.apps.refused.unregistered)
  if (body.decision !== 'allow' && body.decision !== 'deny') {
    return refusePage(c, 400, uiOf(c).t.apps.refused.choose)
  }
  if (!(await svc.decideOnce(request))) {
    return refusePage(c, 400, uiOf(c).t.apps.refused.answered)
  }
  if (body.decision === 'deny') return c.redirect(svc.deny(request), 303)
  return c.redirect(await svc.allow(request, client, signerOf(signedIn!.user)), 303)
})

/** The account page's Remove button for a connected app. Already gone: the list shows what is left. */
authorizePages.post('/account/apps/:id/remove', (c) =>
  asVisitor(c, async (user) => {
    try {
      await grantService(c).remove(user.id, c.req.param('id').slice(0, 64))
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'grant_not_found')) throw err
    }
    return c.redirect('/account?done=appremoved', 303)
  }),
)
