// What every hosted page route shares: the visitor (known by the refresh cookie), the safe
// return_to, the notices a redirect may name, how a refused form post is shown, and the account
// page, which several forms render again with their errors.
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { html } from 'hono/html'
import { HTTPException } from 'hono/http-exception'
import type * as z from 'zod'
import { type AppEnv, type AuthUser, requestOrigin, settings } from '../env'
import { ApiError } from '../errors'
import { log } from '../log'
import { MailSetupError } from '../mail/mailer'
import { checkCookieOrigin } from '../http/csrf'
import { checkLoginLimit, checkRateLimit, clientIp } from '../http/rate-limit'
import { refreshCookieOf } from '../http/refresh-cookie'
import {
  accountService,
  activityService,
  authService,
  emailService,
  federationService,
  grantService,
  languageService,
} from '../routes/services'
import type { ProviderChoice } from './identities-views'
import { safeReturnTo } from './return-to'
import { type FieldErrors, type Notice, accountPage, layout } from './views'
import { type Ui, uiOf } from './ui'
import type { Messages } from '../i18n/catalogs'

export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409 | 415 | 429 | 503

export const returnTo = (c: Context<AppEnv>, raw: unknown) =>
  safeReturnTo(
    typeof raw === 'string' ? raw : undefined,
    requestOrigin(c),
    settings(c.env).allowedOrigins,
    '/account',
  )

/** The messages a redirect may ask a page to show, by key: never text from the URL. */
type NoticeKey = keyof Messages['common']['notices']

export function noticeOf(c: Context<AppEnv>): Notice | undefined {
  const notices = uiOf(c).t.common.notices
  const key = c.req.query('done') ?? ''
  return Object.hasOwn(notices, key)
    ? { kind: 'notice', text: notices[key as NoticeKey] }
    : undefined
}

/** The providers people may sign in with here: configured, and with usable settings. */
export const signInProviders = (c: Context<AppEnv>): ProviderChoice[] =>
  federationService(c)
    .available()
    .map((p) => ({ id: p.id, name: p.name }))

/** Zod's reasons, by field, for the form to show beside each one. */
export const fieldErrors = (ui: Ui, error: z.ZodError): FieldErrors =>
  Object.fromEntries(
    error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'form')
      return [name, ui.t.common.fieldError(name, issue.message)]
    }),
  )

/** What a failed form post says: the refusals a person can act on; anything else is thrown. */
export function refusal(ui: Ui, err: unknown): { status: PageStatus; notice: Notice } {
  const say = (status: PageStatus, text: string) => ({
    status,
    notice: { kind: 'error' as const, text },
  })
  const t = ui.t.common.refusals
  // Email not set up (the API's 503 email_unavailable, logged by the error renderer there).
  if (err instanceof MailSetupError) {
    log.error('email_not_configured', { setting: err.setting })
    return say(503, t.mailUnavailable)
  }
  if (!(err instanceof ApiError)) throw err
  switch (err.code) {
    case 'invalid_credentials':
      return say(401, t.invalidCredentials(err.detail))
    case 'reauthentication_required':
      return say(401, t.reauthenticationRequired(err.detail))
    case 'username_taken':
      return say(409, t.usernameTaken)
    case 'password_changed_concurrently':
      return say(409, t.passwordChangedConcurrently)
    case 'rate_limited':
      return say(429, t.rateLimited(Number(err.extra.retryAfter ?? 60)))
    case 'account_disabled':
      return say(403, ui.t.signin.accountDisabled)
    case 'invalid_mfa_code':
      return say(401, t.invalidMfaCode)
    case 'invalid_mfa_token':
      return say(401, t.invalidMfaToken)
    case 'totp_enabled':
      return say(409, t.totpEnabled(err.detail))
    case 'totp_not_enrolled':
      return say(409, t.totpNotEnrolled(err.detail))
    case 'last_sign_in_method':
      return say(409, t.lastSignInMethod(err.detail))
    case 'passkey_not_found':
      return say(404, t.passkeyNotFound)
    default:
      throw err
  }
}

/** The bodies a browser's form post carries (the pages' forms send the first; never text/plain). */
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data'])

/**
 * A page post whose body is not a form this service can read: 415 for another type, else 400.
 * An HTTPException, so a route that somehow escaped readableForms still answers 400, not 500.
 */
class UnreadableForm extends HTTPException {
  constructor(readonly answer: 400 | 415) {
    super(answer, { message: 'unreadable_form' })
    this.name = 'UnreadableForm'
  }
}

/**
 * The posted form's fields. Without `all`, a repeated field is its last value, never an array;
 * a file part is a File, which every field's string check refuses. Throws UnreadableForm for a
 * body that is not a form or does not parse (parseBody throws on a broken multipart body).
 */
export async function form(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? ''
  if (!FORM_TYPES.has(type)) throw new UnreadableForm(415)
  try {
    return (await c.req.parseBody()) as Record<string, unknown>
  } catch (err) {
    // Ours (a body over the limit, should the limit ever be met while reading) keeps its answer.
    if (err instanceof ApiError) throw err
    throw new UnreadableForm(400)
  }
}

/**
 * Reads every page post's form before its route runs (hono keeps the parse for form()), so a
 * body that cannot be read is a 400 page on every route under the pages' paths, a new one too,
 * signed in or not: it comes before the sign-in check, which would answer a signed-out post
 * with a redirect. What the body held is never shown.
 */
export const readableForms: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'POST') return next()
  try {
    await form(c)
  } catch (err) {
    if (!(err instanceof UnreadableForm)) throw err
    log.warn('page_form_unreadable', { requestId: c.get('requestId'), status: err.answer })
    const ui = uiOf(c)
    const t = ui.t.common.unreadableForm
    const text = err.answer === 415 ? t.wrongType : t.damaged
    return c.html(
      layout(
        ui,
        t.title,
        html`<p>
          <a href="/account">${t.goToAccount}</a> ${t.or} <a href="/signin">${t.signIn}</a>.
        </p>`,
        { kind: 'error', text },
      ),
      err.answer,
    )
  }
  await next()
}

/** The visitor, by the refresh cookie; null when it stands for no live session. */
export async function visitor(
  c: Context<AppEnv>,
): Promise<{ user: AuthUser & { authTime: number }; token: string } | null> {
  const token = refreshCookieOf(c)
  // Judging a cookie costs KV reads, whoever made it up: a budget per address, as /logout has.
  if (token) await checkRateLimit(c, 'TOKEN_LIMITER', `${clientIp(c)}:page`)
  const user = token ? await authService(c).holder(token) : null
  return user && token ? { user, token } : null
}

export const toSignIn = (c: Context<AppEnv>, done?: string) =>
  c.redirect(done ? `/signin?done=${done}` : '/signin?return_to=/account', 303)

/** A form post on the account page: from this origin, by a signed-in visitor. */
export async function accountPost(c: Context<AppEnv>) {
  checkCookieOrigin(c)
  return visitor(c)
}

/** Runs `action` for the signed-in visitor of an account-page form post; else to /signin. */
export async function asVisitor(
  c: Context<AppEnv>,
  action: (user: AuthUser) => Promise<Response>,
): Promise<Response> {
  const signedIn = await accountPost(c)
  return signedIn ? action(signedIn.user) : toSignIn(c)
}

export async function renderAccount(
  c: Context<AppEnv>,
  user: AuthUser,
  status: PageStatus,
  extra: { errors?: FieldErrors; notice?: Notice } = {},
) {
  const ui = uiOf(c)
  const account = accountService(c)
  const [sessions, security, { email }, identities, apps, { language }, activity] =
    await Promise.all([
      account.listSessions(user, ui.lang),
      account.security(user),
      emailService(c).current(user),
      federationService(c).list(user),
      grantService(c).list(user.id),
      languageService(c).current(user),
      activityService(c).recent(user, ui.lang),
    ])
  // The names the pages give providers; one connected once and since removed keeps its id.
  const names = new Map(
    [...signInProviders(c), ...identities.map((i) => ({ id: i.provider, name: i.name }))].map(
      (p) => [p.id, p.name],
    ),
  )
  const body = accountPage(ui, {
    username: user.username,
    sessions,
    language: language ?? ui.lang,
    email,
    mail: settings(c.env).mailConfigured,
    security,
    identities,
    providers: signInProviders(c),
    apps: apps.map((app) => ({
      id: app.id,
      name: app.clientName,
      resource: app.resource,
      scopes: app.scopes,
      lastUsedAt: new Date(app.lastUsedAt).toISOString(),
    })),
    activity,
    providerName: (id) => names.get(id) ?? id,
    errors: extra.errors ?? {},
  })
  return c.html(layout(ui, ui.t.account.title, body, extra.notice ?? noticeOf(c)), status)
}

/**
 * A form that acts on the signed-in visitor's account: origin-checked, validated, run; or the
 * account page again, saying why. One that checks the password (or a code) counts against the
 * login limit: guessing it here is a login attempt too.
 */
export function accountForm<S extends z.ZodType>(
  app: Hono<AppEnv>,
  path: string,
  schema: S,
  action: (c: Context<AppEnv>, user: AuthUser, data: z.output<S>) => Promise<Response>,
  { checksSecret = true } = {},
) {
  app.post(path, (c) =>
    asVisitor(c, async (user) => {
      const parsed = schema.safeParse(await form(c))
      if (!parsed.success) {
        return renderAccount(c, user, 400, { errors: fieldErrors(uiOf(c), parsed.error) })
      }
      try {
        if (checksSecret) await checkLoginLimit(c, user.username)
        return await action(c, user, parsed.data)
      } catch (err) {
        const { status, notice } = refusal(uiOf(c), err)
        return renderAccount(c, user, status, { notice })
      }
    }),
  )
}
