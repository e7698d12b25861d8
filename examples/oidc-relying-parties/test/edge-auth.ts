// edge-auth as the OpenID Provider these tests sign in at: started under Miniflare (the MCP
// example's harness) with its mail readable, a person's account and verified address made the
// way a person makes them, apps registered by RFC 7591, and what a person does on its pages.
import { expect } from 'vitest'
import { type EdgeAuth, startEdgeAuth } from '../../mcp-server/test/edge-auth-server'
import type { PageStep } from './browser'
import { Mailbox } from './mailbox'

export const PASSWORD = 'correct horse battery staple'

export type Provider = EdgeAuth & { mailbox: Mailbox }

export async function startProvider(port: number): Promise<Provider> {
  const mailbox = new Mailbox()
  const auth = await startEdgeAuth({
    port,
    vars: { MAIL_FROM: 'accounts@edge-auth.example' },
    miniflare: { email: { send_email: [{ name: 'EMAIL' }] }, log: mailbox },
  })
  return { ...auth, mailbox }
}

export type Person = { id: string; username: string; email?: string }

/**
 * A new account. `email: 'verified'` also opens the link mailed to the address (the only way an
 * address becomes the account's); `'unverified'` gives one at sign-up and never opens the link.
 */
export async function newPerson(
  op: Provider,
  email: 'verified' | 'unverified' | 'none',
): Promise<Person> {
  const username = `rp-${crypto.randomUUID().slice(0, 8)}`
  const address = email === 'none' ? undefined : `${username}@example.com`
  const res = await fetch(new URL('/register', op.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, email: address }),
  })
  expect(res.status).toBe(201)
  const { id } = (await res.json()) as { id: string }
  if (!address) return { id, username }
  const mail = await op.mailbox.next(address)
  if (email === 'unverified') return { id, username }
  const token = /\/verify-email\?token=(\S+)/.exec(mail.text)![1]!
  const verified = await fetch(new URL('/email/verify', op.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
  expect(verified.status).toBe(200)
  return { id, username, email: address }
}

export type RegisteredClient = {
  client_id: string
  client_secret?: string
  /** What edge-auth signs the app's ID tokens with: RS256 unless it asked for another. */
  id_token_signed_response_alg: string
}

/** An app registered by RFC 7591, for the authorization code and refresh token grants. */
export async function registerClient(
  op: Provider,
  metadata: {
    client_name: string
    redirect_uris: string[]
    token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'none'
    post_logout_redirect_uris?: string[]
  },
): Promise<RegisteredClient> {
  const res = await fetch(new URL('/oauth/register', op.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...metadata,
    }),
  })
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as RegisteredClient
}

/** A person on edge-auth's pages: signs in with the password, then allows or denies the app. */
export const onEdgeAuthPages =
  (person: Person, decision: 'allow' | 'deny' = 'allow'): PageStep =>
  (url, forms): ReturnType<PageStep> => {
    const signIn = forms.find((f) => f.action.pathname === '/signin')
    if (signIn) return { form: signIn, fill: { username: person.username, password: PASSWORD } }
    const consent = forms.find((f) => f.action.pathname === '/authorize/consent')
    if (consent) {
      expect(consent.buttons).toContainEqual({ name: 'decision', value: decision })
      return { form: consent, fill: { decision } }
    }
    throw new Error(`no sign-in or consent form at ${url.pathname}`)
  }
