// RP-initiated logout's endpoint (GET or POST /end-session): the service decides
// (services/oauth-server/end-session.ts) whether this browser's session ends at once, the user
// is asked first (POST /end-session/confirm, this origin only), or nobody is signed in here.
// Nothing is ever redirected to an address the app did not register, and nothing at all unless
// a session here has just ended.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import type { AppEnv } from '../env'
import { checkCookieOrigin } from '../http/csrf'
import { clearRefreshCookie } from '../http/refresh-cookie'
import { EndSessionService, type EndSessionRefusal } from '../services/oauth-server/end-session'
import { authService, endSessionService } from '../routes/services'
import { paramsOf, refusePage, serverPageService } from './authorize'
import { confirmSignOutPage, signedOutPage } from './end-session-views'
import { form, visitor } from './shared'
import { layout } from './views'
import { uiOf } from './ui'

export const endSessionPages = new Hono<AppEnv>()

const service = (c: Context<AppEnv>) => serverPageService(c, endSessionService)
const refuse = (c: Context<AppEnv>, message: string) =>
  refusePage(c, 400, message, uiOf(c).t.apps.signOut.refusedTitle)

/** Ends this browser's session and clears its cookie. */
async function signOut(c: Context<AppEnv>, token: string): Promise<void> {
  await authService(c).logout(token, 'local')
  clearRefreshCookie(c)
}

/** Why the service refused the sign-out request, in the visitor's language. */
function refusedBecause(
  c: Context<AppEnv>,
  { reason, param }: { reason: EndSessionRefusal; param?: string },
): string {
  const because = uiOf(c).t.apps.signOutRefusedBecause
  return reason === 'repeated' ? because.repeated(param!) : because[reason]
}

endSessionPages.get('/end-session', async (c) => {
  const svc = service(c)
  if (!(svc instanceof EndSessionService)) return svc
  const plan = await svc.check(c.req.queries())
  if ('refuse' in plan) return refuse(c, refusedBecause(c, plan.refuse))
  const signedIn = await visitor(c)
  const ui = uiOf(c)
  const step = svc.decide(
    plan,
    signedIn && { userId: signedIn.user.id, authTime: signedIn.user.authTime },
  )
  if ('signOut' in step) {
    await signOut(c, signedIn!.token)
    return plan.redirect === null
      ? c.html(layout(ui, ui.t.apps.signedOut.title, signedOutPage(ui, null)), 200)
      : c.redirect(plan.redirect.url, 303)
  }
  if ('signedOut' in step) {
    return c.html(layout(ui, ui.t.apps.signedOut.title, signedOutPage(ui, plan.redirect)), 200)
  }
  // The confirmation's 303 goes to the app: this page's form-action must allow it.
  if (plan.redirect) c.set('formActions', [plan.redirect.origin])
  return c.html(
    layout(
      ui,
      ui.t.apps.signOut.title,
      confirmSignOutPage(ui, {
        clientName: plan.clientName,
        username: signedIn!.user.username,
        returnsTo: plan.redirect?.shown ?? null,
        carried: plan.carried,
      }),
    ),
    200,
  )
})

/**
 * A relying party's logout by form post is a cross-site POST: the browser sends no SameSite=Lax
 * cookie with it, so nothing here could know who is signed in. The same request as a GET (a
 * top-level navigation, which carries the cookie) is answered instead.
 */
endSessionPages.post('/end-session', async (c) => {
  const params = await paramsOf(c)
  if (!params) return refuse(c, uiOf(c).t.apps.signOut.unreadable)
  const query = new URLSearchParams()
  for (const [name, values] of Object.entries(params)) {
    for (const value of values) query.append(name, value)
  }
  return c.redirect(`/end-session?${query}`, 303)
})

/** The user's answer: from this origin only; the app's request is checked again. */
endSessionPages.post('/end-session/confirm', async (c) => {
  checkCookieOrigin(c)
  const svc = service(c)
  if (!(svc instanceof EndSessionService)) return svc
  const body = await form(c)
  const params: Record<string, string[]> = {}
  for (const name of ['client_id', 'post_logout_redirect_uri', 'state']) {
    const value = body[name]
    if (typeof value === 'string') params[name] = [value]
  }
  const plan = await svc.check(params)
  if ('refuse' in plan) return refuse(c, refusedBecause(c, plan.refuse))
  if (body.decision === 'signout') {
    const signedIn = await visitor(c)
    if (signedIn) await signOut(c, signedIn.token)
    else clearRefreshCookie(c)
  } else if (body.decision !== 'stay') {
    return refuse(c, uiOf(c).t.apps.signOut.choose)
  }
  return c.redirect(plan.redirect?.url ?? '/account', 303)
})
