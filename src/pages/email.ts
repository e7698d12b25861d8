// The pages behind the emails: confirming an address, asking for a reset link, and setting a new
// password with one (and removing the passkeys and two-factor the owner does not recognise).
// Opening a link (GET) changes nothing, since mail scanners fetch links before people do: each
// page asks for a button press (and the reset page for the new password), whose post spends the
// token.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import * as z from 'zod'
import { html } from 'hono/html'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import { checkCookieOrigin } from '../http/csrf'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { resetLink } from '../http/mail-links'
import { emailService, recoveryService } from '../routes/services'
import type { WaysIn } from '../services/notices'
import { Password } from '../schemas'
import { field } from './fields'
import { type PageStatus, fieldErrors, form, refusal } from './shared'
import { layout } from './views'
import { type Ui, uiOf } from './ui'

export const emailPages = new Hono<AppEnv>()

emailPages.get('/verify-email', (c) => {
  const token = c.req.query('token') ?? ''
  const ui = uiOf(c)
  const t = ui.t.recovery.verify
  return c.html(
    layout(
      ui,
      t.title,
      html`<p>${t.intro}</p>
        <form method="post" action="/verify-email">
          <input type="hidden" name="token" value="${token}" />
          <button type="submit">${t.submit}</button>
        </form>`,
    ),
  )
})

emailPages.post('/verify-email', async (c) => {
  checkCookieOrigin(c)
  const token = (await form(c)).token
  const ui = uiOf(c)
  const t = ui.t.recovery.verify
  try {
    await checkRateLimit(c, 'TOKEN_LIMITER', clientIp(c))
    const { email } = await emailService(c).verify(typeof token === 'string' ? token : '')
    return c.html(
      layout(ui, t.title, html`<p><a href="/account">${t.toAccount}</a></p>`, {
        kind: 'notice',
        text: t.confirmed(email),
      }),
    )
  } catch (err) {
    if (!(err instanceof ApiError)) throw err
    if (err.code !== 'invalid_email_token' && err.code !== 'email_taken') {
      const { status, notice } = refusal(ui, err)
      return c.html(layout(ui, t.title, html``, notice), status)
    }
    const text = err.code === 'email_taken' ? t.taken : t.deadLink
    return c.html(
      layout(ui, t.title, html``, { kind: 'error', text }),
      err.status === 409 ? 409 : 400,
    )
  }
})

// Forgotten password

const forgotForm = (ui: Ui, errors: Record<string, string> = {}) => {
  const t = ui.t.recovery.forgot
  return html`<p>${t.intro}</p>
    <form method="post" action="/forgot-password" novalidate>
      ${field({ name: 'login', label: t.loginLabel, type: 'text', autocomplete: 'username' }, errors)}
      <button type="submit">${t.submit}</button>
    </form>
    <p><a href="/signin">${t.backToSignIn}</a></p>`
}

emailPages.get('/forgot-password', (c) => {
  const ui = uiOf(c)
  return c.html(layout(ui, ui.t.recovery.forgot.title, forgotForm(ui)))
})

emailPages.post('/forgot-password', async (c) => {
  checkCookieOrigin(c)
  const login = (await form(c)).login
  const ui = uiOf(c)
  const t = ui.t.recovery.forgot
  if (typeof login !== 'string' || login.trim() === '' || login.length > 254) {
    return c.html(layout(ui, t.title, forgotForm(ui, { login: t.loginMissing })), 400)
  }
  try {
    await checkRateLimit(c, 'EMAIL_LIMITER', clientIp(c))
    await recoveryService(c).forgot(login.trim(), resetLink(c))
  } catch (err) {
    const { status, notice } = refusal(ui, err)
    return c.html(layout(ui, t.title, forgotForm(ui), notice), status)
  }
  // The same page whatever was found: nothing here says whether the account exists.
  return c.html(
    layout(ui, t.sentTitle, html`<p><a href="/signin">${t.backToSignIn}</a></p>`, {
      kind: 'notice',
      text: t.sent,
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
const waysInFields = (ui: Ui, ways: WaysIn, chosen: Choices, errors: Record<string, string>) => {
  const t = ui.t.recovery.reset
  return ways.passkeys.length === 0 && !ways.totp.enabled && ways.identities.length === 0
    ? html`<p>${t.noWaysIn}</p>`
    : html`<fieldset>
        <legend>${t.waysInLegend}</legend>
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
                >${t.removePasskey(p.name, ui.date(p.createdAt))}</label
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
                  <label for="disableTotp">${t.disableTotp}</label>
                </div>
                ${field(
                  {
                    name: 'code',
                    label: t.codeLabel,
                    type: 'text',
                    autocomplete: 'one-time-code',
                    optional: true,
                    hint: t.codeHint,
                  },
                  errors,
                )}`
            : html`<p>${t.totpOff}</p>`
        }
        ${
          ways.identities.length === 0
            ? ''
            : html`<p>
                ${t.identitiesBefore}
                ${ways.identities.map(
                  (i, n) => html`${n ? t.identitiesSeparator : ''}<strong>${i.provider}</strong>`,
                )}
                ${t.identitiesAfter}
              </p>`
        }
      </fieldset>`
}

const resetForm = (
  ui: Ui,
  token: string,
  ways: WaysIn,
  chosen: Choices = NO_CHOICES,
  errors: Record<string, string> = {},
) => {
  const t = ui.t.recovery.reset
  return html`<form method="post" action="/reset-password" novalidate>
      <input type="hidden" name="token" value="${token}" />
      ${field(
        {
          name: 'newPassword',
          label: t.newPasswordLabel,
          type: 'password',
          autocomplete: 'new-password',
          hint: t.newPasswordHint,
        },
        errors,
      )}
      ${waysInFields(ui, ways, chosen, errors)}
      <button type="submit">${t.submit}</button>
    </form>
    <p>${t.signsOutEverywhere}</p>`
}

/** A link that is no live one: the same page whether it was used, expired or replaced. */
const deadLink = (c: Context<AppEnv>, text?: string) => {
  const ui = uiOf(c)
  const t = ui.t.recovery.reset
  return c.html(
    layout(ui, t.title, html`<p><a href="/forgot-password">${t.askNewLink}</a></p>`, {
      kind: 'error',
      text: text ?? t.deadLink,
    }),
    400,
  )
}

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
  const ui = uiOf(c)
  let ways: WaysIn
  try {
    await checkRateLimit(c, 'TOKEN_LIMITER', clientIp(c))
    ways = await recoveryService(c).inspect(token)
  } catch (err) {
    if (isDead(err)) return deadLink(c)
    const { status, notice } = refusal(ui, err)
    return c.html(layout(ui, ui.t.recovery.reset.title, html``, notice), status)
  }
  return c.html(
    layout(ui, ui.t.recovery.reset.title, resetForm(ui, token, ways, extra.chosen, extra.errors)),
    extra.status ?? 200,
  )
}

emailPages.get('/reset-password', (c) => resetPage(c, c.req.query('token') ?? ''))

emailPages.post('/reset-password', async (c) => {
  checkCookieOrigin(c)
  const body = await form(c)
  const ui = uiOf(c)
  const t = ui.t.recovery.reset
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
    return resetPage(c, token, { chosen, errors: fieldErrors(ui, parsed.error), status: 400 })
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
      const errors = { code: t.wrongCode }
      return resetPage(c, token, { chosen, errors, status: 401 })
    }
    // The link is spent: the password changed between reading and writing it (another change
    // or reset won), so this one changed nothing.
    if (err instanceof ApiError && err.code === 'password_changed_concurrently') {
      return deadLink(c, t.changedConcurrently)
    }
    const { status, notice } = refusal(ui, err)
    return c.html(layout(ui, t.title, html``, notice), status)
  }
  return c.redirect('/signin?done=reset', 303)
})
