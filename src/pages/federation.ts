// Sign-in at another provider, as the browser sees it: /signin/{id} sends it there with a state
// cookie, /signin/{id}/callback brings it back signed in (or to the two-factor step), and the
// account page connects and disconnects providers. Thin: services/federation.ts does the work.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import * as z from 'zod'
import { type AppEnv, type AuthUser, publicBase, requestConfig } from '../env'
import { ApiError } from '../errors'
import { checkLoginLimit, checkRateLimit, clientIp } from '../http/rate-limit'
import { cookieTokens, endReplacedSession } from '../http/refresh-cookie'
import { ConfirmingPassword } from '../schemas'
import { authService, clientOf, federationService } from '../routes/services'
import { PROVIDER_ID } from '../federation/providers'
import { type Messages, messagesFor } from '../i18n/catalogs'
import {
  type PageStatus,
  asVisitor,
  form,
  refusal,
  renderAccount,
  returnTo,
  signInProviders,
  visitor,
} from './shared'
import { type Notice, credentialsForm, layout, mfaForm } from './views'
import { uiOf } from './ui'

export const federationPages = new Hono<AppEnv>()

/** The connect form's one field: the password (blank for an account with none). */
const ConnectForm = z.object({ connectPassword: ConfirmingPassword.catch(undefined) })

/**
 * The state cookie of a sign-in at `id`: `__Host-` (this host only, Secure, Path=/), HttpOnly,
 * and Lax, which a top-level GET back from the provider carries and a cross-site POST does not
 * (so a form_post callback is first turned into a GET, below).
 */
const stateCookie = (id: string) => `federation-${id}`
const COOKIE = { prefix: 'host', path: '/', secure: true, httpOnly: true, sameSite: 'Lax' } as const

const callbackUrl = (c: Context<AppEnv>, id: string) =>
  `${publicBase(c).base}/signin/${id}/callback`

/** A provider id from the path, or null: anything else is not worth a lookup. */
const providerId = (c: Context<AppEnv>): string | null => {
  const id = c.req.param('provider') ?? ''
  return PROVIDER_ID.test(id) ? id : null
}

type Refusals = Messages['identities']['refused']

/**
 * The refusals of a provider sign-in a person can act on, each in the words a page shows. A code
 * the service gives for several reasons lists them all: the one whose English text is the
 * service's detail is shown, in the page's language (the first, when none is).
 */
const REASONS: Record<string, ((r: Refusals, provider: string) => string)[]> = {
  provider_not_found: [(r) => r.noSuchProvider],
  federated_sign_in_failed: [
    (r) => r.failed,
    (r) => r.stateRefused,
    (r, p) => r.cancelled(p),
    (r, p) => r.notConfirmed(p),
    (r) => r.notTheSameAccount,
  ],
  provider_unavailable: [(r, p) => r.unreachable(p), (r) => r.misconfigured],
  identity_taken: [(r, p) => r.identityTaken(p)],
  identity_not_found: [(r) => r.identityNotFound],
  provider_already_linked: [(r, p) => r.alreadyLinked(p)],
  // The session that asked to connect ended meanwhile.
  invalid_token: [(r) => r.sessionEnded],
}

const ENGLISH = messagesFor('en').identities.refused

function explain(c: Context<AppEnv>, err: unknown): { status: PageStatus; notice: Notice } {
  const ui = uiOf(c)
  const reasons = err instanceof ApiError ? REASONS[err.code] : undefined
  if (!(err instanceof ApiError) || !reasons) return refusal(ui, err)
  const provider = providerName(c)
  const reason = reasons.find((say) => say(ENGLISH, provider) === err.detail) ?? reasons[0]!
  const text = reason(ui.t.identities.refused, provider)
  return { status: err.status as PageStatus, notice: { kind: 'error', text } }
}

/** The display name of the path's provider, as the service names it; its id when not usable. */
function providerName(c: Context<AppEnv>): string {
  const id = providerId(c)
  return signInProviders(c).find((p) => p.id === id)?.name ?? id ?? ''
}

/** The sign-in page again, saying why: the way back in when a provider sign-in went wrong. */
function failedPage(c: Context<AppEnv>, err: unknown, target = '/account') {
  const ui = uiOf(c)
  const { status, notice } = explain(c, err)
  const body = credentialsForm(ui, 'signin', {
    returnTo: target,
    errors: {},
    providers: signInProviders(c),
  })
  return c.html(layout(ui, ui.t.identities.signInTitle, body, notice), status)
}

/** The account page again, saying why (connecting or disconnecting a provider). */
function accountFailed(c: Context<AppEnv>, user: AuthUser, err: unknown) {
  const { status, notice } = explain(c, err)
  return renderAccount(c, user, status, { notice })
}

/** Starts the flow: a 302 to the provider, and the state cookie this browser must bring back. */
async function start(
  c: Context<AppEnv>,
  id: string,
  target: string,
  link: { user: AuthUser; password?: string } | null = null,
) {
  await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:federation`)
  const { url, sealed, maxAgeSeconds } = await federationService(c).begin(id, {
    redirectUri: callbackUrl(c, id),
    returnTo: target,
    link: link?.user ?? null,
    password: link?.password,
  })
  setCookie(c, stateCookie(id), sealed, { ...COOKIE, maxAge: maxAgeSeconds })
  return c.redirect(url, 302)
}

federationPages.get('/signin/:provider', async (c) => {
  const id = providerId(c)
  const target = returnTo(c, c.req.query('return_to'))
  if (!id) return failedPage(c, new ApiError('provider_not_found', 'no such provider'), target)
  try {
    return await start(c, id, target)
  } catch (err) {
    return failedPage(c, err, target)
  }
})

/**
 * A form_post callback (Apple) arrives as a cross-site POST, which carries no Lax cookie: its
 * fields go on to the GET callback, a top-level navigation that does carry it. Nothing is
 * decided here, so this POST needs no origin check: it sets and reads nothing.
 */
federationPages.post('/signin/:provider/callback', async (c) => {
  const id = providerId(c)
  if (!id) return failedPage(c, new ApiError('provider_not_found', 'no such provider'))
  const body = await form(c)
  const query = new URLSearchParams()
  for (const key of ['code', 'state', 'iss', 'error', 'user']) {
    const value = body[key]
    if (typeof value === 'string' && value.length <= 4096) query.set(key, value)
  }
  return c.redirect(`/signin/${id}/callback?${query}`, 303)
})

federationPages.get('/signin/:provider/callback', async (c) => {
  const id = providerId(c)
  if (!id) return failedPage(c, new ApiError('provider_not_found', 'no such provider'))
  const param = (name: string) => {
    const value = c.req.query(name)
    return value === undefined || value === '' || value.length > 4096 ? null : value
  }
  const sealed = getCookie(c, stateCookie(id), 'host')
  // Whatever happens, this state is done with.
  deleteCookie(c, stateCookie(id), COOKIE)
  let signedIn: Awaited<ReturnType<typeof visitor>> = null
  try {
    signedIn = await visitor(c)
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:federation`)
    const done = await federationService(c).complete(
      id,
      {
        code: param('code'),
        state: param('state'),
        iss: param('iss'),
        error: param('error'),
        user: param('user'),
      },
      sealed,
      { redirectUri: callbackUrl(c, id), visitor: signedIn?.user ?? null, client: clientOf(c) },
    )
    switch (done.kind) {
      case 'linked':
        return c.redirect('/account?done=connected', 303)
      case 'mfa':
        return c.html(
          layout(
            uiOf(c),
            uiOf(c).t.identities.mfaTitle,
            mfaForm(uiOf(c), { mfaToken: done.mfaToken, returnTo: done.returnTo, errors: {} }),
          ),
          200,
        )
      case 'signed_in':
        await endReplacedSession(c, (old) => authService(c).logout(old))
        cookieTokens(c, done.tokens, requestConfig(c).refreshTokenTtl)
        return c.redirect(done.returnTo, 303)
    }
  } catch (err) {
    // Signed in (connecting from /account, most often): the account page says what went wrong.
    return signedIn ? accountFailed(c, signedIn.user, err) : failedPage(c, err)
  }
})

federationPages.post('/account/identities/:provider/connect', (c) =>
  asVisitor(c, async (user) => {
    const id = providerId(c)
    try {
      if (!id) throw new ApiError('provider_not_found', 'no such provider')
      const { connectPassword } = ConnectForm.parse(await form(c))
      // A guess at the password here is a login attempt too.
      if (connectPassword !== undefined) await checkLoginLimit(c, user.username)
      return await start(c, id, '/account', { user, password: connectPassword })
    } catch (err) {
      return accountFailed(c, user, err)
    }
  }),
)

federationPages.post('/account/identities/:provider/remove', (c) =>
  asVisitor(c, async (user) => {
    const id = providerId(c)
    try {
      if (!id) throw new ApiError('identity_not_found', 'no such identity')
      await federationService(c).unlink(user, id)
    } catch (err) {
      return accountFailed(c, user, err)
    }
    return c.redirect('/account?done=disconnected', 303)
  }),
)
