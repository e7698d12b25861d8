// A capturing double of the send_email binding, with a sender set: the worker runs against it
// through callSettling, so mail sent after the response has arrived when a call resolves. And a
// signed-in user whose address it has confirmed.
import type { Bindings } from '../../src/env'
import { ORIGIN, PASSWORD, bearer, callSettling, jsonInit, signedIn } from '../helpers'

export type SentMail = { from: string; to: string; subject: string; text: string; html: string }

export function mailbox() {
  const sent: SentMail[] = []
  const env: Partial<Bindings> = {
    EMAIL: { send: async (message: SentMail) => void sent.push(message) } as unknown as SendEmail,
    MAIL_FROM: 'accounts@auth.example',
    // Links are built on the public URL, never on a request's Host.
    JWT_ISSUER: ORIGIN,
  }
  return {
    sent,
    env,
    /** A request with this mailbox as the binding; resolves once deferred work is done too. */
    async call(path: string, init?: RequestInit) {
      const { answered, settled } = callSettling(env, path, init)
      await settled
      return answered
    },
    /** The token in the newest email's link to `page`. */
    token: (page = 'verify-email') =>
      new RegExp(`${page}\\?token=([A-Za-z0-9_-]{43})`).exec(sent.at(-1)!.text)![1]!,
  }
}

/**
 * A signed-in user whose address (`<username>@example.org`) is verified through `box`, with `as`
 * for their bearer calls; the mail that took is cleared from the box.
 */
export async function withVerifiedEmail(box: ReturnType<typeof mailbox>, prefix = 'mail') {
  const account = await signedIn(prefix)
  const email = `${account.username}@example.org`.toLowerCase()
  const as = (method: string, path: string, body?: unknown) =>
    box.call(
      path,
      body === undefined
        ? { method, ...bearer(account.tokens.accessToken) }
        : jsonInit(method, body, bearer(account.tokens.accessToken).headers),
    )
  await as('PUT', '/users/me/email', { email, password: PASSWORD })
  await box.call('/email/verify', jsonInit('POST', { token: box.token() }))
  box.sent.length = 0
  return { ...account, email, as }
}
