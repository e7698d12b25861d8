// The account page's sign-in security forms: TOTP two-factor (turn on, confirm, turn off) and
// passkey rename and removal. Adding a passkey and signing in with one run in the browser
// (public/pages/passkeys.js, built from client/pages/passkeys.ts) against the API.
import { type Context } from 'hono'
import { Hono } from '../http/router'
import * as z from 'zod'
import { type AppEnv, requestOrigin } from '../env'
import { checkLoginLimit } from '../http/rate-limit'
import { ApiError } from '../errors'
import { accountService, passkeyService } from '../routes/services'
import { invalidMfaCode } from '../services/totp'
import { ConfirmingPassword, Password } from '../schemas'
import type { FieldErrors, Notice } from './fields'
import { type PageStatus, accountForm, asVisitor, form, refusal, renderAccount } from './shared'
import { recoveryCodesView, totpSetup } from './security-views'
import { layout } from './views'
import { uiOf } from './ui'

export const securityPages = new Hono<AppEnv>()

/** A form's empty field is an absent one: a person leaves the other way of proving it blank. */
const blankToAbsent = (value: unknown) => (value === '' ? undefined : value)

/** A code as typed: spaces removed. */
const TypedCode = z.preprocess(
  (value) => (typeof value === 'string' ? value.replace(/\s/g, '') : value),
  z.string().min(1, 'must not be empty').max(64, 'is too long'),
)

const renderSetup = (
  c: Context<AppEnv>,
  status: PageStatus,
  state: { otpauthUri: string; secret: string; errors?: FieldErrors; notice?: Notice },
) =>
  c.html(
    layout(
      uiOf(c),
      uiOf(c).t.security.setup.title,
      totpSetup(uiOf(c), { ...state, errors: state.errors ?? {} }),
      state.notice,
    ),
    status,
  )

const issuerOf = (c: Context<AppEnv>) => new URL(requestOrigin(c)).host

accountForm(
  securityPages,
  '/account/totp',
  z.object({ totpPassword: ConfirmingPassword }),
  async (c, user, { totpPassword }) => {
    const enrolment = await accountService(c).enrolTotp(user, totpPassword, issuerOf(c))
    return renderSetup(c, 200, enrolment)
  },
)

/** After a wrong first code, the same QR code again: read back from the pending enrolment. */
securityPages.post('/account/totp/verify', (c) =>
  asVisitor(c, async (user) => {
    const page = z.object({ code: TypedCode }).safeParse(await form(c))
    try {
      if (!page.success) throw invalidMfaCode()
      await checkLoginLimit(c, user.username)
      const { recoveryCodes } = await accountService(c).confirmTotp(user, page.data.code)
      return c.html(
        layout(
          uiOf(c),
          uiOf(c).t.security.recoveryCodes.title,
          recoveryCodesView(uiOf(c), recoveryCodes),
        ),
        200,
      )
    } catch (err) {
      const { status, notice } = refusal(uiOf(c), err)
      if (
        err instanceof ApiError &&
        (err.code === 'totp_not_enrolled' || err.code === 'totp_enabled')
      ) {
        return renderAccount(c, user, status, { notice })
      }
      const qr = await accountService(c).pendingTotp(user, issuerOf(c))
      return renderSetup(c, status, { ...qr, notice })
    }
  }),
)

accountForm(
  securityPages,
  '/account/totp/disable',
  z.object({
    disablePassword: z.preprocess(blankToAbsent, Password.optional()),
    disableCode: z.preprocess(blankToAbsent, TypedCode.optional()),
  }),
  async (c, user, { disablePassword, disableCode }) => {
    await accountService(c).disableTotp(user, { password: disablePassword, code: disableCode })
    return c.redirect('/account?done=totpoff', 303)
  },
)

accountForm(
  securityPages,
  '/account/passkeys/:id/rename',
  z.object({ name: z.string().min(1, 'must not be empty').max(64, 'is too long') }),
  async (c, user, { name }) => {
    await passkeyService(c).rename(user, c.req.param('id')!, name)
    return c.redirect('/account?done=passkeyrenamed', 303)
  },
  { checksSecret: false },
)

accountForm(
  securityPages,
  '/account/passkeys/:id/remove',
  z.object({}),
  async (c, user) => {
    await passkeyService(c).remove(user, c.req.param('id')!)
    return c.redirect('/account?done=passkeyremoved', 303)
  },
  { checksSecret: false },
)

/** Without JavaScript the add-a-passkey form posts here: it cannot run a ceremony, so it says so. */
securityPages.post('/account/passkeys', (c) =>
  asVisitor(c, (user) =>
    renderAccount(c, user, 400, {
      notice: { kind: 'error', text: uiOf(c).t.security.passkeys.postedWithoutScript },
    }),
  ),
)
