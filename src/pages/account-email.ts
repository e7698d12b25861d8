// The account page's email form: asks to use an address, with the password (a stolen session
// alone must not set the way back into the account); a link is mailed to it, and the hosted
// /verify-email page confirms it. The address is the account's only once the link is opened.
import { Hono } from '../http/router'
import * as z from 'zod'
import type { AppEnv } from '../env'
import { verificationLink } from '../http/mail-links'
import { accountService } from '../routes/services'
import { ConfirmingPassword, EmailAddress } from '../schemas'
import { accountForm, renderAccount } from './shared'
import { uiOf } from './ui'

export const accountEmailPages = new Hono<AppEnv>()

/** The page's fields: `emailPassword`, as every password field on the account page has its own name. */
const EmailForm = z.object({ email: EmailAddress, emailPassword: ConfirmingPassword })

accountForm(accountEmailPages, '/account/email', EmailForm, async (c, user, data) => {
  const { email } = await accountService(c).requestEmail(
    user,
    { email: data.email, password: data.emailPassword },
    verificationLink(c),
  )
  // The address is named, escaped, so a mistyped one is caught before a stranger's inbox
  // holds the way into the account: a newer link replaces this one. Rendered here, not by a
  // redirect, since a notice is never text from the URL.
  return renderAccount(c, user, 200, {
    notice: {
      kind: 'notice',
      text: uiOf(c).t.recovery.account.sent(email),
    },
  })
})
