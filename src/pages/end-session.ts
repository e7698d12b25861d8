// RP-initiated logout's endpoint (GET or POST /end-session): an app's ID token naming the user
// signed in here ends this browser's session at once and goes back to the app's registered
// post-logout URI; anything less asks the user first (POST /end-session/confirm, this origin
// only). Nothing is ever redirected to an address the app did not register.
import { type Context, Hono } from 'hono'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { clearRefreshCookie } from '../http/refresh-cookie'
import { log } from '../log'
import { type EndSessionParams, EndSessionService } from '../services/oauth-server/end-session'
import { authService, endSessionService } from '../routes/services'
import { refusedRequest } from './authorize-views'
import { confirmSignOutPage, signedOutPage } from './end-session-views'
import { form, visitor } from './shared'
import { layout } from './views'

export const endSessionPages = new Hono<AppEnv>()

const refusePage = (c: Context<AppEnv>, status: 400 | 503, message: string) =>
  c.html(layout('Sign-out cannot continue', refusedRequest(message)), status)

/** The service, or the page saying the authorization server is off. */
function service(c: Context<AppEnv>): EndSessionService | Response | Promise<Response> {
  try {
    return endSessionService(c)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'authorization_server_unavailable') {
      log.error('authorization_server_unavailable', { requestId: c.get('requestId') })
      return refusePage(c, 503, 'This service is not set up to let other apps sign you in yet.')
    }
    throw err
  }
}

/** The request's parameters, every value of each: a query, or a form. */
async function paramsOf(c: Context<AppEnv>): Promise<EndSessionParams> {
  if (c.req.method === 'GET') return c.req.queries() as EndSessionParams
  const body = await form(c)
  const params: EndSessionParams = {}
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') params[name] = [value]
  }
  return params
}

/** Ends this browser's session, if it has one, and clears its cookie. */
async function signOut(c: Context<AppEnv>, token: string | null): Promise<void> {
  if (token) await authService(c).logout(token, 'local')
  clearRefreshCookie(c)
}

const done = (c: Context<AppEnv>, back: { url: string; shown: string } | null) =>
  back === null ? c.html(layout('Signed out', signedOutPage(null)), 200) : c.redirect(back.url, 303)

const endSession = async (c: Context<AppEnv>) => {
  const svc = service(c)
  if (!(svc instanceof EndSessionService)) return svc
  const plan = await svc.check(await paramsOf(c))
  if ('refuse' in plan) return refusePage(c, 400, plan.refuse)
  const signedIn = await visitor(c)
  // The app's ID token names whoever is signed in here (or nobody is): no need to ask.
  if (plan.hintUserId !== null && (signedIn === null || signedIn.user.id === plan.hintUserId)) {
    await signOut(c, signedIn?.token ?? null)
    return done(c, plan.redirect)
  }
  if (signedIn === null) {
    return c.html(layout('Signed out', signedOutPage(plan.redirect)), 200)
  }
  // The confirmation's 303 goes to the app: this page's form-action must allow it.
  if (plan.redirect) c.set('formActions', [plan.redirect.origin])
  return c.html(
    layout(
      'Sign out?',
      confirmSignOutPage({
        clientName: plan.clientName,
        username: signedIn.user.username,
        returnsTo: plan.redirect?.shown ?? null,
        carried: plan.carried,
      }),
    ),
    200,
  )
}

endSessionPages.get('/end-session', endSession)
endSessionPages.post('/end-session', endSession)

/** The user's answer: from this origin only; the app's request is checked again. */
endSessionPages.post('/end-session/confirm', async (c) => {
  checkCookieOrigin(c)
  const svc = service(c)
  if (!(svc instanceof EndSessionService)) return svc
  const body = await form(c)
  const params: EndSessionParams = {}
  for (const name of ['client_id', 'post_logout_redirect_uri', 'state']) {
    const value = body[name]
    if (typeof value === 'string') params[name] = [value]
  }
  const plan = await svc.check(params)
  if ('refuse' in plan) return refusePage(c, 400, plan.refuse)
  if (body.decision === 'signout') {
    const signedIn = await visitor(c)
    await signOut(c, signedIn?.token ?? null)
  } else if (body.decision !== 'stay') {
    return refusePage(c, 400, 'Choose Sign out or Stay signed in.')
  }
  return plan.redirect === null ? c.redirect('/account', 303) : c.redirect(plan.redirect.url, 303)
})
