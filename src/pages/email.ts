// The pages behind the emails: confirming an address, asking for a reset link, and setting a new
// password with one (and removing the passkeys and two-factor the owner does not recognise).
// Opening a link (GET) changes nothing, since mail scanners fetch links before people do: each
// page asks for a button press (and the reset page for the new password), whose post spends the
// token.
import { type Context, Hono } from 'hono'
import * as z from 'zod'
import { html } from 'hono/html'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { resetLink } from '../http/mail-links'
import { FORGOT_ANSWER } from '../routes/recovery'
import { emailService, recoveryService } from '../routes/services'
import type { WaysIn } from '../services/notices'
import { Password } from '../schemas'
import { field } from './fields'
import { type PageStatus, fieldErrors, form, refusal } from './shared'
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

/** The checkbox that removes one passkey with the reset: its id rides in the field's name. */
const REMOVE_PASSKEY = 'remove-passkey:'

type Choices = { remove: Set<string>; disableTotp: boolean }
const NO_CHOICES: Choices = { remove: new Set(), disableTotp: false }

/**
 * The account's persistent ways in, each with a box to remove it: an intruder who added a
 * passkey or turned two-factor on must not keep that way in after the owner resets.
 */
const waysInFields = (ways: WaysIn, chosen: Choices, errors: Record<string, string>) =>
  ways.passkeys.length === 0 && !ways.totp.enabled && ways.identities.length === 0
    ? html`<p>
        Your account has no passkeys, no other providers, and two-factor authentication is off.
      </p>`
    : html`<fieldset>
        <legend>These also sign in to your account. Remove any you do not recognise.</legend>
        ${ways.passkeys.map(
          (p, i) =>
            html`<div class="field">
              <input
                type="checkbox"
                id="remove-passkey-${i}"
                name="${REMOVE_PASSKEY}${p.id}"
                ${chosen.remove.has(p.id) ? html`checked` : ''}
              />
              <label for="remove-passkey-${i}"
                >Remove the passkey “${p.name}”, added ${p.createdAt.slice(0, 10)}</label
              >
            </div>`,
        )}
        ${
          ways.totp.enabled
            ? html`<div class="field">
                  <input
                    type="checkbox"
                    id="disableTotp"
                    name="disableTotp"
                    ${chosen.disableTotp ? html`checked` : ''}
                  />
                  <label for="disableTotp"
                    >Turn two-factor authentication off (your authenticator app's codes stop
                    working)</label
                  >
                </div>
                ${field(
                  {
                    name: 'code',
                    label: 'To turn it off: a code from your app, or a recovery code',
                    type: 'text',
                    autocomplete: 'one-time-code',
                    optional: true,
                    hint: 'The email alone cannot turn two-factor off',
                  },
                  errors,
                )}`
            : html`<p>Two-factor authentication is off.</p>`
        }
        ${
          ways.identities.length === 0
            ? ''
            : html`<p>
                Signing in with
                ${ways.identities.map(
                  (i, n) => html`${n ? ', ' : ''}<strong>${i.provider}</strong>`,
                )}
                also works: if one is not yours, disconnect it on your account page once you are
                signed in.
              </p>`
        }
      </fieldset>`

const resetForm = (
  token: string,
  ways: WaysIn,
  chosen: Choices = NO_CHOICES,
  errors: Record<string, string> = {},
) =>
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
      ${waysInFields(ways, chosen, errors)}
      <button type="submit">Set the new password</button>
    </form>
    <p>Every device signed in to the account will be signed out.</p>`

const RESET_TITLE = 'Choose a new password'

/** A link that is no live one: the same page whether it was used, expired or replaced. */
const deadLink = (
  c: Context<AppEnv>,
  text = 'This link is used, expired, or replaced by a newer one.',
) =>
  c.html(
    layout(RESET_TITLE, html`<p><a href="/forgot-password">Ask for a new link</a></p>`, {
      kind: 'error',
      text,
    }),
    400,
  )

const isDead = (err: unknown) => err instanceof ApiError && err.code === 'invalid_email_token'

/**
 * The form for a live link, with the account's ways in; the dead-link page otherwise. Opening
 * it reads the link without spending it (mail scanners fetch links), under the budget that
 * spending one has.
 */
async function resetPage(
  c: Context<AppEnv>,
  token: string,
  extra: { chosen?: Choices; errors?: Record<string, string>; status?: PageStatus } = {},
) {
  let ways: WaysIn
  try {
    await checkRateLimit(c, 'TOKEN_LIMITER', clientIp(c))
    ways = await recoveryService(c).inspect(token)
  } catch (err) {
    if (isDead(err)) return deadLink(c)
    const { status, notice } = refusal(err)
    return c.html(layout(RESET_TITLE, html``, notice), status)
  }
  return c.html(
    layout(RESET_TITLE, resetForm(token, ways, extra.chosen, extra.errors)),
    extra.status ?? 200,
  )
}

emailPages.get('/reset-password', (c) => resetPage(c, c.req.query('token') ?? ''))

emailPages.post('/reset-password', async (c) => {
  checkCookieOrigin(c)
  const body = await form(c)
  const token = typeof body.token === 'string' ? body.token : ''
  const chosen: Choices = {
    remove: new Set(
      Object.keys(body)
        .filter((name) => name.startsWith(REMOVE_PASSKEY))
        .map((name) => name.slice(REMOVE_PASSKEY.length)),
    ),
    disableTotp: body.disableTotp !== undefined,
  }
  const parsed = z.object({ newPassword: Password }).safeParse({ newPassword: body.newPassword })
  if (!parsed.success) {
    return resetPage(c, token, { chosen, errors: fieldErrors(parsed.error), status: 400 })
  }
  try {
    await checkRateLimit(c, 'TOKEN_LIMITER', clientIp(c))
    await recoveryService(c).reset({
      token,
      newPassword: parsed.data.newPassword,
      removePasskeys: [...chosen.remove],
      disableTotp: chosen.disableTotp,
      code: typeof body.code === 'string' && body.code.trim() !== '' ? body.code.trim() : undefined,
    })
  } catch (err) {
    if (isDead(err)) return deadLink(c)
    // The link is not spent: the form again, with the code to fix.
    if (err instanceof ApiError && err.code === 'invalid_mfa_code') {
      const errors = { code: 'That code is wrong or was used already; try the next one' }
      return resetPage(c, token, { chosen, errors, status: 401 })
    }
    // The link is spent: the password changed between reading and writing it (another change
    // or reset won), so this one changed nothing.
    if (err instanceof ApiError && err.code === 'password_changed_concurrently') {
      return deadLink(
        c,
        'The password was changed by someone else while you reset it, so nothing was changed and this link is spent. If that was not you, ask for a new link.',
      )
    }
    const { status, notice } = refusal(err)
    return c.html(layout(RESET_TITLE, html``, notice), status)
  }
  return c.redirect('/signin?done=reset', 303)
})
