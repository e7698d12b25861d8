// edge-auth/client: sign-in (password, second factor, passkey), sign-up, sign-out and
// authenticated fetch for browsers and Node, with one refresh at a time across tabs; passkey and
// TOTP management. Bundles @simplewebauthn/browser for the WebAuthn ceremonies and nothing else;
// types come from the API's /openapi.json (client/src/api.ts), so they cannot drift from it.
import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import type { components } from './api'
import { AuthError, errorOf } from './errors'
import { type TabMessage, tabSync } from './tabs'

export { AuthError, type ErrorCode } from './errors'
export type { components, operations, paths } from './api'

type Schemas = components['schemas']
export type Registration = Schemas['RegisterRequest']
export type Credentials = Pick<Registration, 'username' | 'password'>
export type User = Schemas['User']
export type Session = Schemas['Session']
export type LogoutScope = 'local' | 'others' | 'global'
export type Passkey = Schemas['Passkey']
export type TotpEnrolment = Schemas['TotpEnrolment']

/**
 * cookie (browsers): the refresh token is an HttpOnly cookie this code never sees.
 * token (Node, mobile, or a cross-site app): the refresh token is kept in `storage`.
 */
export type Mode = 'cookie' | 'token'

/** Where token mode keeps the refresh token; memory (lost on reload) unless given. */
export interface TokenStorage {
  get(): string | null | Promise<string | null>
  set(token: string | null): void | Promise<void>
}

export interface AuthClientOptions {
  /** The worker's URL, such as https://auth.example.com. */
  baseUrl: string
  mode?: Mode
  storage?: TokenStorage
  /** Seconds before expiry at which getAccessToken() refreshes; default 5. */
  refreshMargin?: number
  /** How long a tab waits for another tab's refresh before doing its own; default 10 s. */
  lockTimeoutMs?: number
  fetch?: typeof fetch
}

export type AuthState = { signedIn: boolean }

export interface AuthClient {
  /** Registers (with an address, a link to confirm it is mailed), then signs in. */
  signUp(registration: Registration): Promise<void>
  /**
   * Signs in with a password. With two-factor on, throws AuthError `mfa_required` carrying
   * `mfaToken`: pass it to verifyMfa() with the user's code.
   */
  signIn(credentials: Credentials): Promise<void>
  /** The second step of a sign-in: a TOTP code or a recovery code, within 5 minutes. */
  verifyMfa(mfaToken: string, code: string): Promise<void>
  /** Signs in with a passkey, no username: the browser asks which one. */
  signInWithPasskey(): Promise<void>
  passkeys: {
    /** Creates a passkey on this device for the signed-in user; the password confirms it. */
    register(options: { password: string; name?: string }): Promise<Passkey>
    list(): Promise<Passkey[]>
    rename(id: string, name: string): Promise<Passkey>
    remove(id: string): Promise<void>
  }
  email: {
    /** The verified address, or null. */
    get(): Promise<string | null>
    /** Mails a link to confirm `email` for the signed-in account (the password confirms it). */
    set(options: { email: string; password: string }): Promise<void>
    /** Confirms an address with the token from its link. */
    verify(token: string): Promise<void>
  }
  /** Mails a reset link to the account's verified address, if it has one (no answer says). */
  forgotPassword(login: string): Promise<void>
  /** Sets a new password with a reset link's token; every session ends (sign in again). */
  resetPassword(token: string, newPassword: string): Promise<void>
  totp: {
    /** Starts turning on two-factor: a secret and otpauth:// URI for an authenticator app. */
    enrol(password: string): Promise<TotpEnrolment>
    /** Confirms with the app's current code: two-factor is on; the ten recovery codes, once. */
    confirm(code: string): Promise<string[]>
    /** Turns two-factor off with a current code or the password. */
    disable(proof: { code?: string; password?: string }): Promise<void>
  }
  /** Ends this session (or others, or all), here and in every tab. */
  signOut(scope?: LogoutScope): Promise<void>
  /** A valid access token, refreshed a few seconds before it expires; AuthError if signed out. */
  getAccessToken(): Promise<string>
  /** fetch with the Bearer header; on a 401 it refreshes once and retries. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>
  sessions(): Promise<Session[]>
  onChange(listener: (state: AuthState) => void): () => void
}

type Access = { accessToken: string; expiresAt: number }

const memory = (): TokenStorage => {
  let value: string | null = null
  return { get: () => value, set: (token) => void (value = token) }
}

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const mode = options.mode ?? 'cookie'
  const storage = options.storage ?? memory()
  const marginMs = (options.refreshMargin ?? 5) * 1000
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const listeners = new Set<(state: AuthState) => void>()
  let access: Access | null = null
  let inflight: Promise<string> | undefined

  const fresh = () => access !== null && access.expiresAt - marginMs > Date.now()
  const emit = () => listeners.forEach((listener) => listener({ signedIn: access !== null }))

  // Tabs share a session only in cookie mode, where one cookie jar holds one: in token mode each
  // client has its own refresh token (perhaps each user of a server), so nothing is shared.
  const tabs = tabSync(
    `edge-auth:${base}`,
    options.lockTimeoutMs ?? 10_000,
    mode === 'cookie',
    (message) => {
      if (message.type === 'signedOut') forget(false)
      else if (!access || message.expiresAt > access.expiresAt) {
        const was = access
        access = { accessToken: message.accessToken, expiresAt: message.expiresAt }
        if (!was) emit()
      }
    },
  )

  function forget(broadcast: boolean) {
    const was = access
    access = null
    if (broadcast) tabs.publish({ type: 'signedOut' })
    if (was) emit()
  }

  /** An API call: JSON in and out, cookies included in cookie mode, AuthError on failure. */
  async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
    const { json, ...rest } = init
    const headers = new Headers(rest.headers)
    if (json !== undefined) headers.set('Content-Type', 'application/json')
    let res: Response
    try {
      res = await send(base + path, {
        ...rest,
        headers,
        body: json === undefined ? rest.body : JSON.stringify(json),
        credentials: mode === 'cookie' ? 'include' : 'same-origin',
      })
    } catch (err) {
      throw new AuthError(0, 'network_error', err instanceof Error ? err.message : String(err))
    }
    if (!res.ok) throw await errorOf(res)
    return res
  }

  async function accept(body: { accessToken: string; expiresIn: number; refreshToken?: string }) {
    if (mode === 'token' && body.refreshToken) await storage.set(body.refreshToken)
    const was = access
    access = { accessToken: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000 }
    const message: TabMessage = { type: 'token', ...access }
    tabs.publish(message)
    if (!was) emit()
    return body.accessToken
  }

  async function refresh(): Promise<string> {
    if (fresh()) return access!.accessToken
    const token = mode === 'token' ? await storage.get() : null
    if (mode === 'token' && !token) throw new AuthError(401, 'signed_out', 'Not signed in')
    try {
      const res = await call(
        '/token',
        token ? { method: 'POST', json: { token } } : { method: 'POST' },
      )
      return await accept(await res.json())
    } catch (err) {
      // The session is over (expired, ended elsewhere, or its token reused): signed out here.
      // Other tabs are told only of a reuse, which is certain; a token briefly unknown to a
      // lagging location is not worth signing every tab out for.
      if (err instanceof AuthError && err.status === 401) {
        if (mode === 'token') await storage.set(null)
        forget(err.code === 'refresh_token_reused')
      }
      throw err
    }
  }

  async function getAccessToken(): Promise<string> {
    if (fresh()) return access!.accessToken
    inflight ??= tabs.exclusive(refresh, fresh).finally(() => (inflight = undefined))
    return inflight
  }

  async function authorised(input: string | URL, init: RequestInit = {}) {
    const headers = new Headers(init.headers)
    headers.set('Authorization', `Bearer ${await getAccessToken()}`)
    return send(input, { ...init, headers })
  }

  async function signIn(credentials: Credentials) {
    const res = await call('/login', { method: 'POST', json: { ...credentials, mode } })
    await accept(await res.json())
  }

  /** A signed-in JSON call: the parsed body (undefined for 204), or AuthError. */
  async function api<T>(path: string, method = 'GET', json?: unknown): Promise<T> {
    const init: RequestInit = { method }
    if (json !== undefined) {
      init.headers = { 'Content-Type': 'application/json' }
      init.body = JSON.stringify(json)
    }
    const res = await authorisedFetch(base + path, init)
    if (!res.ok) throw await errorOf(res)
    return (res.status === 204 ? undefined : await res.json()) as T
  }

  async function authorisedFetch(input: string | URL, init: RequestInit = {}) {
    const res = await authorised(input, init)
    // A stream body is spent by the first attempt, so it cannot be sent again.
    if (res.status !== 401 || init.body instanceof ReadableStream) return res
    // The token may have ended early (a session ended elsewhere): refresh once and retry.
    access = null
    return authorised(input, init)
  }

  return {
    async signUp(registration) {
      await call('/register', { method: 'POST', json: registration })
      await signIn({ username: registration.username, password: registration.password })
    },

    signIn,

    async verifyMfa(mfaToken, code) {
      const res = await call('/login/mfa', { method: 'POST', json: { mfaToken, code, mode } })
      await accept(await res.json())
    },

    async signInWithPasskey() {
      const options = await (await call('/login/passkey/options', { method: 'POST' })).json()
      const credential = await startAuthentication({ optionsJSON: options })
      const res = await call('/login/passkey', { method: 'POST', json: { credential, mode } })
      await accept(await res.json())
    },

    passkeys: {
      async register({ password, name }) {
        const options = await api<never>('/users/me/passkeys/options', 'POST', { password })
        const credential = await startRegistration({ optionsJSON: options })
        return api<Passkey>('/users/me/passkeys', 'POST', { credential, name })
      },
      list: () => api<Passkey[]>('/users/me/passkeys'),
      rename: (id, name) =>
        api<Passkey>(`/users/me/passkeys/${encodeURIComponent(id)}`, 'PATCH', { name }),
      remove: (id) => api<void>(`/users/me/passkeys/${encodeURIComponent(id)}`, 'DELETE'),
    },

    email: {
      get: async () => (await api<{ email: string | null }>('/users/me/email')).email,
      set: async (options) => void (await api('/users/me/email', 'PUT', options)),
      verify: async (token) =>
        void (await call('/email/verify', { method: 'POST', json: { token } })),
    },

    async forgotPassword(login) {
      await call('/password/forgot', { method: 'POST', json: { login } })
    },

    async resetPassword(token, newPassword) {
      await call('/password/reset', { method: 'POST', json: { token, newPassword } })
    },

    totp: {
      enrol: (password) => api<TotpEnrolment>('/users/me/totp', 'POST', { password }),
      confirm: async (code) =>
        (await api<{ recoveryCodes: string[] }>('/users/me/totp/verify', 'POST', { code }))
          .recoveryCodes,
      disable: (proof) => api<void>('/users/me/totp', 'DELETE', proof),
    },

    async signOut(scope = 'local') {
      const token = mode === 'token' ? await storage.get() : null
      // Forgotten only once the server has ended it: script cannot clear the cookie, so a
      // failed sign-out that forgot locally would sign the user back in on reload.
      await call(
        `/logout?scope=${scope}`,
        token ? { method: 'POST', json: { token } } : { method: 'POST' },
      )
      if (scope === 'others') return
      if (mode === 'token') await storage.set(null)
      forget(true)
    },

    getAccessToken,

    fetch: authorisedFetch,

    async sessions() {
      const res = await authorisedFetch(`${base}/sessions`)
      if (!res.ok) throw await errorOf(res)
      return (await res.json()) as Session[]
    },

    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
