// The hosted sign-in with a mailed code: /email-code asks for the address and mails a code (the
// same page whether or not an account has it), then takes the code and signs in with the
// refresh cookie, as /signin does. No script.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import { html } from 'hono/html'
import { type AppEnv, requestConfig } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { mailService } from '../http/mail-links'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { cookieTokens, endReplacedSession } from '../http/refresh-cookie'
import { authService, clientOf, emailCodeService } from '../routes/services'
import { EmailAddress } from '../schemas'
import { field, type FieldErrors, type Notice } from './fields'
import { type PageStatus, form, refusal, returnTo } from './shared'
import { layout, mfaForm } from './views'
import { type Ui, uiOf } from './ui'

export const emailCodePages = new Hono<AppEnv>()

const addressForm = (ui: Ui, target: string, errors: FieldErrors = {}, email = '') => {
  const t = ui.t.recovery.emailCode
  return html`<form method="post" action="/email-code" novalidate>
      <input type="hidden" name="return_to" value="${target}" />
      ${field(
        {
          name: 'email',
          label: t.emailLabel,
          type: 'email',
          autocomplete: 'email',
          value: email,
          hint: t.emailHint,
        },
        errors,
      )}
      <button type="submit">${t.request}</button>
    </form>
    <p><a href="/signin?return_to=${encodeURIComponent(target)}">${t.backToSignIn}</a></p>`
}

const codeForm = (ui: Ui, target: string, email: string, errors: FieldErrors = {}) => {
  const t = ui.t.recovery.emailCode
  return html`<form method="post" action="/email-code/verify" novalidate>
      <input type="hidden" name="return_to" value="${target}" />
      <input type="hidden" name="email" value="${email}" />
      ${field(
        {
          name: 'code',
          label: t.codeLabel(email),
          type: 'text',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          hint: t.codeHint,
        },
        errors,
      )}
      <button type="submit">${t.signIn}</button>
    </form>
    <p><a href="/email-code?return_to=${encodeURIComponent(target)}">${t.sendAnother}</a></p>`
}

const page = (
  c: Context<AppEnv>,
  body: ReturnType<typeof html>,
  status: PageStatus = 200,
  notice?: Notice,
) => c.html(layout(uiOf(c), uiOf(c).t.recovery.emailCode.title, body, notice), status)

emailCodePages.get('/email-code', (c) =>
  page(c, addressForm(uiOf(c), returnTo(c, c.req.query('return_to')))),
)

emailCodePages.post('/email-code', async (c) => {
  checkCookieOrigin(c)
  const body = await form(c)
  const target = returnTo(c, body.return_to)
  const parsed = EmailAddress.safeParse(body.email)
  const typed = typeof body.email === 'string' ? body.email.slice(0, 254) : ''
  const ui = uiOf(c)
  if (!parsed.success) {
    const errors = { email: ui.t.recovery.emailCode.emailInvalid }
    return page(c, addressForm(ui, target, errors, typed), 400)
  }
  try {
    await checkRateLimit(c, 'EMAIL_LIMITER', clientIp(c))
    await emailCodeService(c).request(parsed.data, mailService(c))
  } catch (err) {
    const { status, notice } = refusal(ui, err)
    return page(c, addressForm(ui, target, {}, typed), status, notice)
  }
  // The same page whatever was found: nothing here says whether an account has the address.
  return page(c, codeForm(ui, target, parsed.data), 200, {
    kind: 'notice',
    text: ui.t.recovery.emailCode.sent,
  })
})

emailCodePages.post('/email-code/verify', async (c) => {
  // Setting the cookie is as much a cookie request as spending it (login CSRF).
  checkCookieOrigin(c)
  const body = await form(c)
  const target = returnTo(c, body.return_to)
  const email = EmailAddress.safeParse(body.email)
  const code = typeof body.code === 'string' ? body.code.trim() : ''
  const ui = uiOf(c)
  const t = ui.t.recovery.emailCode
  if (!email.success) return page(c, addressForm(ui, target), 400)
  if (!/^[0-9]{6}$/.test(code)) {
    return page(c, codeForm(ui, target, email.data, { code: t.codeMissing }), 400)
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
          ui,
          t.mfaTitle,
          mfaForm(ui, { mfaToken: err.extra.mfaToken!, returnTo: target, errors: {} }),
        ),
      )
    }
    if (err instanceof ApiError && err.code === 'invalid_email_code') {
      return page(c, codeForm(ui, target, email.data, { code: t.codeRefused }), 401)
    }
    const { status, notice } = refusal(ui, err)
    return page(c, codeForm(ui, target, email.data), status, notice)
  }
  return c.redirect(target, 303)
})
