// The hosted pages: /signin, /signup and /account, server-rendered forms over the same services
// as the API. The visitor is known by the refresh cookie (cookie mode), which every form post
// must bring from this origin (checkCookieOrigin). Thin, like the API routes.
import { Hono, type Context } from 'hono'
import * as z from 'zod'
import { type AppEnv, requestConfig, requestOrigin, settings } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { NO_STORE } from '../http/headers'
import { checkLoginLimit, checkRateLimit, clientIp } from '../http/rate-limit'
import {
  clearRefreshCookie,
  cookieTokens,
  endReplacedSession,
  refreshCookieOf,
} from '../http/refresh-cookie'
import { accountService, authService, clientOf } from '../routes/services'
import { ChangePasswordBody, Credentials, DeleteAccountBody } from '../schemas'
import type { AuthUser } from '../env'
import { safeReturnTo } from './return-to'
import { type FieldErrors, type Notice, accountPage, credentialsForm, layout } from './views'

export const pageRoutes = new Hono<AppEnv>()

/** No script at all; forms may go (and redirect) only to this origin and the allowed ones. */
const policy = (c: Context<AppEnv>) =>
  [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self' ${settings(c.env).allowedOrigins.join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')

/** The pages' paths: the headers below are theirs alone, not the API's they are mounted beside. */
const PAGE_PATHS = ['/signin', '/signup', '/account', '/account/*']

for (const path of PAGE_PATHS) {
  pageRoutes.use(path, async (c, next) => {
    await next()
    c.header('Content-Security-Policy', policy(c))
    c.header('Cache-Control', NO_STORE['Cache-Control'])
  })
}

const returnTo = (c: Context<AppEnv>, raw: unknown) =>
  safeReturnTo(
    typeof raw === 'string' ? raw : undefined,
    requestOrigin(c),
    settings(c.env).allowedOrigins,
    '/account',
  )

/** The messages a redirect may ask a page to show, by key: never text from the URL. */
const NOTICES: Record<string, Notice> = {
  password: { kind: 'notice', text: 'Your password is changed; your other sessions have ended.' },
  signedout: { kind: 'notice', text: 'You are signed out.' },
  deleted: { kind: 'notice', text: 'Your account is deleted.' },
}

const noticeOf = (c: Context<AppEnv>) => NOTICES[c.req.query('done') ?? '']

/** Zod's reasons, by field, for the form to show beside each one. */
const fieldErrors = (error: z.ZodError): FieldErrors =>
  Object.fromEntries(
    error.issues.map((issue) => [String(issue.path[0] ?? 'form'), `This ${issue.message}`]),
  )

/** What a failed form post says: the refusals a person can act on; anything else is thrown. */
function refusal(err: unknown): { status: 400 | 401 | 409 | 429; notice: Notice } {
  if (!(err instanceof ApiError)) throw err
  const say = (status: 400 | 401 | 409 | 429, text: string) => ({
    status,
    notice: { kind: 'error' as const, text },
  })
  switch (err.code) {
    case 'invalid_credentials':
      return say(401, err.detail)
    case 'username_taken':
      return say(409, 'That username is taken; choose another.')
    case 'rate_limited':
      return say(429, `Too many attempts; try again in ${err.extra.retryAfter ?? 60} seconds.`)
    default:
      throw err
  }
}

const form = async (c: Context<AppEnv>) => (await c.req.parseBody()) as Record<string, unknown>

// Sign-in and sign-up

for (const kind of ['signin', 'signup'] as const) {
  const title = kind === 'signin' ? 'Sign in' : 'Create an account'
  const render = (
    c: Context<AppEnv>,
    status: 200 | 400 | 401 | 409 | 429,
    state: { username?: string; returnTo: string; errors?: FieldErrors; notice?: Notice },
  ) =>
    c.html(
      layout(title, credentialsForm(kind, { ...state, errors: state.errors ?? {} }), state.notice),
      status,
    )

  pageRoutes.get(`/${kind}`, (c) =>
    render(c, 200, { returnTo: returnTo(c, c.req.query('return_to')), notice: noticeOf(c) }),
  )

  pageRoutes.post(`/${kind}`, async (c) => {
    // Setting the cookie is as much a cookie request as spending it (login CSRF).
    checkCookieOrigin(c)
    const body = await form(c)
    const target = returnTo(c, body.return_to)
    const username = typeof body.username === 'string' ? body.username : ''
    const parsed = Credentials.safeParse({ username: body.username, password: body.password })
    if (!parsed.success) {
      return render(c, 400, { username, returnTo: target, errors: fieldErrors(parsed.error) })
    }
    try {
      if (kind === 'signup') {
        await checkRateLimit(c, 'REGISTER_LIMITER', clientIp(c))
        await authService(c).register(parsed.data)
      }
      await checkLoginLimit(c, parsed.data.username)
      const tokens = await authService(c).login(parsed.data, clientOf(c))
      await endReplacedSession(c, (old) => authService(c).logout(old))
      cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl)
    } catch (err) {
      const { status, notice } = refusal(err)
      return render(c, status, { username, returnTo: target, notice })
    }
    return c.redirect(target, 303)
  })
}

// The account

/** The visitor, by the refresh cookie; null when it stands for no live session. */
async function visitor(c: Context<AppEnv>): Promise<{ user: AuthUser; token: string } | null> {
  const token = refreshCookieOf(c)
  const user = token ? await authService(c).holder(token) : null
  return user && token ? { user, token } : null
}

const toSignIn = (c: Context<AppEnv>, done?: string) =>
  c.redirect(done ? `/signin?done=${done}` : '/signin?return_to=/account', 303)

async function renderAccount(
  c: Context<AppEnv>,
  user: AuthUser,
  status: 200 | 400 | 401 | 409 | 429,
  extra: { errors?: FieldErrors; notice?: Notice } = {},
) {
  const sessions = await accountService(c).listSessions(user)
  const body = accountPage({ username: user.username, sessions, errors: extra.errors ?? {} })
  return c.html(layout('Your account', body, extra.notice ?? noticeOf(c)), status)
}

pageRoutes.get('/account', async (c) => {
  const signedIn = await visitor(c)
  return signedIn ? renderAccount(c, signedIn.user, 200) : toSignIn(c)
})

/** A form post on the account page: from this origin, by a signed-in visitor. */
async function accountPost(c: Context<AppEnv>) {
  checkCookieOrigin(c)
  return visitor(c)
}

pageRoutes.post('/account/sessions/:id/end', async (c) => {
  const signedIn = await accountPost(c)
  if (!signedIn) return toSignIn(c)
  const id = c.req.param('id')
  try {
    await accountService(c).endSession(signedIn.user, id)
  } catch (err) {
    // Already gone (a second click, another tab): the list shows what is left.
    if (!(err instanceof ApiError && err.code === 'session_not_found')) throw err
  }
  if (id !== signedIn.user.sessionId) return c.redirect('/account', 303)
  clearRefreshCookie(c)
  return toSignIn(c, 'signedout')
})

pageRoutes.post('/account/signout', async (c) => {
  const signedIn = await accountPost(c)
  if (signedIn) {
    const scope = (await form(c)).scope === 'global' ? 'global' : 'local'
    await authService(c).logout(signedIn.token, scope)
  }
  clearRefreshCookie(c)
  return toSignIn(c, 'signedout')
})

/**
 * A form that acts on the account with its password: validated, counted against the login
 * limit (guessing the password here is a login attempt too), run; or the page again, saying why.
 */
function passwordForm<S extends z.ZodType>(
  path: string,
  schema: S,
  action: (c: Context<AppEnv>, user: AuthUser, data: z.output<S>) => Promise<Response>,
) {
  pageRoutes.post(path, async (c) => {
    const signedIn = await accountPost(c)
    if (!signedIn) return toSignIn(c)
    const parsed = schema.safeParse(await form(c))
    if (!parsed.success) {
      return renderAccount(c, signedIn.user, 400, { errors: fieldErrors(parsed.error) })
    }
    try {
      await checkLoginLimit(c, signedIn.user.username)
      return await action(c, signedIn.user, parsed.data)
    } catch (err) {
      const { status, notice } = refusal(err)
      return renderAccount(c, signedIn.user, status, { notice })
    }
  })
}

passwordForm('/account/password', ChangePasswordBody, async (c, user, data) => {
  await accountService(c).changePassword(user, data)
  return c.redirect('/account?done=password', 303)
})

passwordForm('/account/delete', DeleteAccountBody, async (c, user, { password }) => {
  await accountService(c).deleteAccount(user, password)
  clearRefreshCookie(c)
  return toSignIn(c, 'deleted')
})
