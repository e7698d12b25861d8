// The landing page of a verification email's link. Opening the link (GET) changes nothing, since
// mail scanners fetch links before people do: the page asks for one button press, whose post
// spends the token.
import { Hono } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { emailService } from '../routes/services'
import { form } from './shared'
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
    const { email } = await emailService(c).verify(typeof token === 'string' ? token : '')
    return c.html(
      layout(TITLE, html`<p><a href="/account">Go to your account</a></p>`, {
        kind: 'notice',
        text: `${email} is confirmed for your account.`,
      }),
    )
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    if (err.code !== 'invalid_email_token' && err.code !== 'email_taken') throw err
    const text =
      err.code === 'email_taken'
        ? 'That address is already confirmed for another account.'
        : 'This link is used, expired, or replaced by a newer one. Ask for a new one from your account.'
    return c.html(layout(TITLE, html``, { kind: 'error', text }), err.status === 409 ? 409 : 400)
  }
})
