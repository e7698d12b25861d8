// The hosted pages: /signin, /signup and /account, server-rendered forms over the same services
// as the API. The visitor is known by the refresh cookie (cookie mode), which every form post
// must bring from this origin (checkCookieOrigin). Thin, like the API routes.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import { type AppEnv, requestConfig, settings } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { requestLanguage } from '../http/language'
import { verificationLink } from '../http/mail-links'
import { NO_STORE } from '../http/headers'
import { checkLoginLimit, checkRateLimit, clientIp } from '../http/rate-limit'
import { clearRefreshCookie, cookieTokens, endReplacedSession } from '../http/refresh-cookie'
import {
  accountService,
  authService,
  clientOf,
  federationService,
  languageService,
} from '../routes/services'
import {
  ChangePasswordBody,
  DeleteAccountBody,
  LanguageBody,
  LoginBody,
  RegisterBody,
  type Registration,
} from '../schemas'
import { accountEmailPages } from './account-email'
import { brandCssRoutes } from './brand-css'
import { emailPages } from './email'
import { authorizePages } from './authorize'
import { endSessionPages } from './end-session'
import { federationPages } from './federation'
import { emailCodePages } from './email-code'
import { securityPages } from './security'
import {
  type PageStatus,
  accountForm,
  accountPost,
  fieldErrors,
  form,
  noticeOf,
  readableForms,
  refusal,
  renderAccount,
  returnTo,
  signInProviders,
  toSignIn,
  visitor,
} from './shared'
import { type FieldErrors, type Notice, credentialsForm, layout, mfaForm } from './views'
import { rememberLanguage, uiOf } from './ui'

export const pageRoutes = new Hono<AppEnv>()

/**
 * Script only from this origin's own files (the passkey ceremonies need it; every form works
 * without), calls only to it; forms may go (and redirect) only to it, the allowed origins and
 * the providers' sign-in pages.
 */
const policy = (c: Context<AppEnv>) =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self' ${[
      ...settings(c.env).allowedOrigins,
      ...federationService(c).signInOrigins(),
      ...(c.get('formActions') ?? []),
    ].join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')

/**
 * The pages' paths: the headers below are theirs alone, not the API's they are mounted beside,
 * and every post to them must be a readable form. A page outside them fails
 * test/pages/form-bodies.test.ts, which takes its routes from this app.
 */
const PAGE_PATHS = [
  '/signin',
  '/signin/*',
  '/signup',
  '/account',
  '/account/*',
  '/verify-email',
  '/forgot-password',
  '/reset-password',
  '/email-code',
  '/email-code/*',
  '/authorize',
  '/authorize/*',
  '/end-session',
  '/end-session/*',
]

for (const path of PAGE_PATHS) {
  pageRoutes.use(
    path,
    async (c, next) => {
      await next()
      c.header('Content-Security-Policy', policy(c))
      c.header('Cache-Control', NO_STORE['Cache-Control'])
    },
    // First: a refused form is answered in the visitor's language too.
    rememberLanguage,
    readableForms,
  )
}

// Sign-in and sign-up

for (const kind of ['signin', 'signup'] as const) {
  const render = (
    c: Context<AppEnv>,
    status: PageStatus,
    state: {
      username?: string
      email?: string
      returnTo: string
      errors?: FieldErrors
      notice?: Notice
    },
  ) => {
    const ui = uiOf(c)
    const title = kind === 'signin' ? ui.t.signin.signInTitle : ui.t.signin.signUpTitle
    const body = credentialsForm(ui, kind, {
      ...state,
      errors: state.errors ?? {},
      providers: signInProviders(c),
      emailCode: settings(c.env).mailConfigured,
    })
    return c.html(layout(ui, title, body, state.notice), status)
  }

  pageRoutes.get(`/${kind}`, (c) => {
    // An app's login_hint (passed on by /authorize) fills the username; the user may change it.
    const hint = kind === 'signin' ? c.req.query('login_hint')?.slice(0, 254) : undefined
    return render(c, 200, {
      returnTo: returnTo(c, c.req.query('return_to')),
      notice: noticeOf(c),
      ...(hint === undefined ? {} : { username: hint }),
    })
  })

  pageRoutes.post(`/${kind}`, async (c) => {
    // Setting the cookie is as much a cookie request as spending it (login CSRF).
    checkCookieOrigin(c)
    const body = await form(c)
    const target = returnTo(c, body.return_to)
    const username = typeof body.username === 'string' ? body.username : ''
    const email = typeof body.email === 'string' ? body.email : ''
    // Sign-up may name an address; a blank field is none.
    // Sign-in takes a verified address in place of the username; sign-up a username only.
    const parsed =
      kind === 'signup'
        ? RegisterBody.safeParse({
            username: body.username,
            password: body.password,
            email: email !== '' ? email : undefined,
          })
        : LoginBody.safeParse({ username: body.username, password: body.password })
    if (!parsed.success) {
      const errors = fieldErrors(uiOf(c), parsed.error)
      return render(c, 400, { username, email, returnTo: target, errors })
    }
    const credentials = { username: parsed.data.username, password: parsed.data.password }
    try {
      if (kind === 'signup') {
        await checkRateLimit(c, 'REGISTER_LIMITER', clientIp(c))
        const registration = parsed.data as Registration
        await authService(c).register(
          registration,
          registration.email ? verificationLink(c) : undefined,
          // The language asked for, even if this page had to be worded in English.
          requestLanguage(c),
        )
      }
      await checkLoginLimit(c, credentials.username)
      const tokens = await authService(c).login(credentials, clientOf(c))
      await endReplacedSession(c, (old) => authService(c).logout(old))
      cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl)
    } catch (err) {
      // The password is right and two-factor is on: the same page asks for the code.
      if (err instanceof ApiError && err.code === 'mfa_required') {
        return renderMfa(c, 200, { mfaToken: err.extra.mfaToken!, returnTo: target })
      }
      const { status, notice } = refusal(uiOf(c), err)
      return render(c, status, { username, email, returnTo: target, notice })
    }
    return c.redirect(target, 303)
  })
}

const renderMfa = (
  c: Context<AppEnv>,
  status: PageStatus,
  state: { mfaToken: string; returnTo: string; errors?: FieldErrors; notice?: Notice },
) =>
  c.html(
    layout(
      uiOf(c),
      uiOf(c).t.signin.mfaTitle,
      mfaForm(uiOf(c), { ...state, errors: state.errors ?? {} }),
      state.notice,
    ),
    status,
  )

pageRoutes.post('/signin/mfa', async (c) => {
  checkCookieOrigin(c)
  const body = await form(c)
  const target = returnTo(c, body.return_to)
  const mfaToken = typeof body.mfaToken === 'string' ? body.mfaToken : ''
  const code = typeof body.code === 'string' ? body.code.trim() : ''
  if (code === '' || code.length > 64 || mfaToken === '' || mfaToken.length > 1024) {
    const errors = { code: uiOf(c).t.signin.mfaMissing }
    return renderMfa(c, 400, { mfaToken, returnTo: target, errors })
  }
  try {
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:mfa`)
    const tokens = await authService(c).completeMfa({ mfaToken, code }, clientOf(c))
    await endReplacedSession(c, (old) => authService(c).logout(old))
    cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl)
  } catch (err) {
    const { status, notice } = refusal(uiOf(c), err)
    // A dead mfaToken cannot be retried: back to the password.
    if (err instanceof ApiError && err.code === 'invalid_mfa_token') {
      return c.html(
        layout(
          uiOf(c),
          uiOf(c).t.signin.signInTitle,
          credentialsForm(uiOf(c), 'signin', {
            returnTo: target,
            errors: {},
            providers: signInProviders(c),
          }),
          notice,
        ),
        status,
      )
    }
    return renderMfa(c, status, { mfaToken, returnTo: target, notice })
  }
  return c.redirect(target, 303)
})

// The account

pageRoutes.get('/account', async (c) => {
  const signedIn = await visitor(c)
  return signedIn ? renderAccount(c, signedIn.user, 200) : toSignIn(c)
})

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

accountForm(pageRoutes, '/account/password', ChangePasswordBody, async (c, user, data) => {
  await accountService(c).changePassword(user, data)
  return c.redirect('/account?done=password', 303)
})

// The account's language: these pages (by the cookie the redirect's ?lang= sets) and its email.
accountForm(
  pageRoutes,
  '/account/language',
  LanguageBody,
  async (c, user, { language }) => {
    await languageService(c).set(user, language)
    return c.redirect(`/account?done=language&lang=${language}`, 303)
  },
  { checksSecret: false },
)

accountForm(pageRoutes, '/account/delete', DeleteAccountBody, async (c, user, { password }) => {
  await accountService(c).deleteAccount(user, password)
  clearRefreshCookie(c)
  return toSignIn(c, 'deleted')
})

pageRoutes.route('/', brandCssRoutes)
pageRoutes.route('/', authorizePages)
pageRoutes.route('/', endSessionPages)
pageRoutes.route('/', federationPages)
pageRoutes.route('/', emailCodePages)
pageRoutes.route('/', securityPages)
pageRoutes.route('/', accountEmailPages)
pageRoutes.route('/', emailPages)
