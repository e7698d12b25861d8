// The hosted sign-in with a mailed code: /email-code asks for the address and mails a code (the
// same page whether or not an account has it), then takes the code and signs in with the
// refresh cookie, as /signin does. No script.
import { type Context, Hono } from 'hono'
import { html } from 'hono/html'
import { type AppEnv, requestConfig } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { mailService } from '../http/mail-links'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { cookieTokens, endReplacedSession } from '../http/refresh-cookie'
import { authService, clientOf, emailCodeService } from '../routes/services'
import { EmailAddress } from '../schemas'
import { EMAIL_CODE_ANSWER } from '../services/email-codes'
import { field, type FieldErrors, type Notice } from './fields'
import { type PageStatus, form, refusal, returnTo } from './shared'
import { layout, mfaForm } from './views'

export const emailCodePages = new Hono<AppEnv>()

const TITLE = 'Sign in with an email code'

const addressForm = (target: string, errors: FieldErrors = {}, email = '') =>
  html`<form method="post" action="/email-code" novalidate>
      <input type="hidden" name="return_to" value="${target}" />
      ${field(
        {
          name: 'email',
          label: 'Email address',
          type: 'email',
          autocomplete: 'email',
          value: email,
          hint: "Your account's verified address; we email it a 6-digit code",
        },
        errors,
      )}
      <button type="submit">Email me a code</button>
    </form>
    <p><a href="/signin?return_to=${encodeURIComponent(target)}">Back to sign in</a></p>`

const codeForm = (target: string, email: string, errors: FieldErrors = {}) =>
  html`<form method="post" action="/email-code/verify" novalidate>
      <input type="hidden" name="return_to" value="${target}" />
      <input type="hidden" name="email" value="${email}" />
      ${field(
        {
          name: 'code',
          label: `Code sent to ${email}`,
          type: 'text',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          hint: 'Six digits, for 10 minutes',
        },
        errors,
      )}
      <button type="submit">Sign in</button>
    </form>
    <p><a href="/email-code?return_to=${encodeURIComponent(target)}">Send another code</a></p>`

const page = (
  c: Context<AppEnv>,
  body: ReturnType<typeof html>,
  status: PageStatus = 200,
  notice?: Notice,
) => c.html(layout(TITLE, body, notice), status)

emailCodePages.get('/email-code', (c) =>
  page(c, addressForm(returnTo(c, c.req.query('return_to')))),
)

emailCodePages.post('/email-code', async (c) => {
  checkCookieOrigin(c)
  const body = await form(c)
  const target = returnTo(c, body.return_to)
  const parsed = EmailAddress.safeParse(body.email)
  const typed = typeof body.email === 'string' ? body.email.slice(0, 254) : ''
  if (!parsed.success) {
    return page(
      c,
      addressForm(target, { email: 'Enter an email address such as alice@example.com' }, typed),
      400,
    )
  }
  try {
    await checkRateLimit(c, 'EMAIL_LIMITER', clientIp(c))
    await emailCodeService(c).request(parsed.data, mailService(c))
  } catch (err) {
    const { status, notice } = refusal(err)
    return page(c, addressForm(target, {}, typed), status, notice)
  }
  // The same page whatever was found: nothing here says whether an account has the address.
  return page(c, codeForm(target, parsed.data), 200, {
    kind: 'notice',
    text: EMAIL_CODE_ANSWER.message,
  })
})

emailCodePages.post('/email-code/verify', async (c) => {
  // Setting the cookie is as much a cookie request as spending it (login CSRF).
  checkCookieOrigin(c)
  const body = await form(c)
  const target = returnTo(c, body.return_to)
  const email = EmailAddress.safeParse(body.email)
  const code = typeof body.code === 'string' ? body.code.trim() : ''
  if (!email.success) return page(c, addressForm(target), 400)
  if (!/^[0-9]{6}$/.test(code)) {
    return page(c, codeForm(target, email.data, { code: 'Enter the 6 digits from the email' }), 400)
  }
  try {
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:email-code`)
    const tokens = await emailCodeService(c).verify({ email: email.data, code }, clientOf(c))
    await endReplacedSession(c, (old) => authService(c).logout(old))
    cookieTokens(c, tokens, requestConfig(c).refreshTokenTtl)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'mfa_required') {
      return c.html(
        layout(
          'Two-factor sign-in',
          mfaForm({ mfaToken: err.extra.mfaToken!, returnTo: target, errors: {} }),
        ),
      )
    }
    if (err instanceof ApiError && err.code === 'invalid_email_code') {
      return page(c, codeForm(target, email.data, { code: err.detail }), 401)
    }
    const { status, notice } = refusal(err)
    return page(c, codeForm(target, email.data), status, notice)
  }
  return c.redirect(target, 303)
})
