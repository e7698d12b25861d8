// The pages behind the emails: confirming an address, asking for a reset link, and setting a new
// password with one. Opening a link (GET) changes nothing, since mail scanners fetch links before
// people do: each page asks for a button press (and the reset page for the new password), whose
// post spends the token.
import { Hono } from 'hono'
import * as z from 'zod'
import { html } from 'hono/html'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { resetLink } from '../http/mail-links'
import { FORGOT_ANSWER } from '../routes/recovery'
import { emailService, recoveryService } from '../routes/services'
import { Password } from '../schemas'
import { field } from './fields'
import { fieldErrors, form, refusal } from './shared'
import { layout } from './views'

export const emailPages = new Hono<AppEnv>()

const TITLE = 'Confirm your email address'

emailPages.get('/verify-email', (c) => {
  const token = c.req.query('token') ?? ''
  return c.html(
    layout(
      TITLE,
      html`<p>Press the button to use this address for your account.</p>
        <form method="post" action="/verify-email">
          <input type="hidden" name="token" value="${token}" />
          <button type="submit">Confirm this address</button>
        </form>`,
    ),
  )
})

emailPages.post('/verify-email', async (c) => {
  checkCookieOrigin(c)
  const token = (await form(c)).token
  try {
    await checkRateLimit(c, 'TOKEN_LIMITER', clientIp(c))
    const { email } = await emailService(c).verify(typeof token === 'string' ? token : '')
    return c.html(
      layout(TITLE, html`<p><a href="/account">Go to your account</a></p>`, {
        kind: 'notice',
        text: `${email} is confirmed for your account.`,
      }),
    )
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    if (err.code !== 'invalid_email_token' && err.code !== 'email_taken') {
      const { status, notice } = refusal(err)
      return c.html(layout(TITLE, html``, notice), status)
    }
    const text =
      err.code === 'email_taken'
        ? 'That address is already confirmed for another account.'
        : 'This link is used, expired, or replaced by a newer one. Ask for a new one from your account.'
    return c.html(layout(TITLE, html``, { kind: 'error', text }), err.status === 409 ? 409 : 400)
  }
})

// Forgotten password

const forgotForm = (errors: Record<string, string> = {}) =>
  html`<p>
      Enter your username or your verified email address. If the account has one, we send it a link.
    </p>
    <form method="post" action="/forgot-password" novalidate>
      ${field({ name: 'login', label: 'Username or email address', type: 'text', autocomplete: 'username' }, errors)}
      <button type="submit">Send me a link</button>
    </form>
    <p><a href="/signin">Back to sign in</a></p>`

emailPages.get('/forgot-password', (c) => c.html(layout('Forgot your password?', forgotForm())))

emailPages.post('/forgot-password', async (c) => {
  checkCookieOrigin(c)
  const login = (await form(c)).login
  if (typeof login !== 'string' || login.trim() === '' || login.length > 254) {
    return c.html(
      layout(
        'Forgot your password?',
        forgotForm({ login: 'Enter your username or email address' }),
      ),
      400,
    )
  }
  try {
    await checkRateLimit(c, 'EMAIL_LIMITER', clientIp(c))
    await recoveryService(c).forgot(login.trim(), resetLink(c))
  } catch (err) {
    const { status, notice } = refusal(err)
    return c.html(layout('Forgot your password?', forgotForm(), notice), status)
  }
  // The same page whatever was found: nothing here says whether the account exists.
  return c.html(
    layout('Check your email', html`<p><a href="/signin">Back to sign in</a></p>`, {
      kind: 'notice',
      text: FORGOT_ANSWER.message,
    }),
  )
})

// Reset

const resetForm = (token: string, errors: Record<string, string> = {}) =>
  html`<form method="post" action="/reset-password" novalidate>
      <input type="hidden" name="token" value="${token}" />
      ${field(
        {
          name: 'newPassword',
          label: 'New password',
          type: 'password',
          autocomplete: 'new-password',
          hint: '8 to 128 characters',
        },
        errors,
      )}
      <button type="submit">Set the new password</button>
    </form>
    <p>Every device signed in to the account will be signed out.</p>`

emailPages.get('/reset-password', (c) =>
  c.html(layout('Choose a new password', resetForm(c.req.query('token') ?? ''))),
)

emailPages.post('/reset-password', async (c) => {
  checkCookieOrigin(c)
  const body = await form(c)
  const token = typeof body.token === 'string' ? body.token : ''
  const parsed = z.object({ newPassword: Password }).safeParse({ newPassword: body.newPassword })
  if (!parsed.success) {
    return c.html(layout('Choose a new password', resetForm(token, fieldErrors(parsed.error))), 400)
  }
  try {
    await checkRateLimit(c, 'TOKEN_LIMITER', clientIp(c))
    await recoveryService(c).reset({ token, newPassword: parsed.data.newPassword })
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'invalid_email_token') {
      const { status, notice } = refusal(err)
      return c.html(layout('Choose a new password', resetForm(token), notice), status)
    }
    return c.html(
      layout(
        'Choose a new password',
        html`<p><a href="/forgot-password">Ask for a new link</a></p>`,
        {
          kind: 'error',
          text: 'This link is used, expired, or replaced by a newer one.',
        },
      ),
      400,
    )
  }
  return c.redirect('/signin?done=reset', 303)
})
