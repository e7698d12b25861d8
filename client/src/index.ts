// edge-auth/client: sign-in (password, second factor, passkey), sign-up, sign-out and
// authenticated fetch for browsers and Node, with one refresh at a time across tabs; passkey and
// TOTP management. Bundles @simplewebauthn/browser for the WebAuthn ceremonies and nothing else;
// types come from the API's /openapi.json (client/src/api.ts), so they cannot drift from it.
import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import type { components } from './api.js'
import { AuthError, ceremony, errorOf } from './errors.js'
import { type TabMessage, tabSync } from './tabs.js'

export { AuthError, type ClientErrorCode, type ErrorCode } from './errors.js'
export type { components, operations, paths } from './api.js'

type Schemas = components['schemas']
export type Registration = Schemas['RegisterRequest']
export type Credentials = Pick<Registration, 'username' | 'password'>
export type User = Schemas['User']
export type Session = Schemas['Session']
export type LogoutScope = 'local' | 'others' | 'global'
export type Passkey = Schemas['Passkey']
/** A provider people can sign in with here (`AUTH_PROVIDERS`). */
export type Provider = Schemas['Provider']
/** An identity at another provider, connected to the signed-in account. */
export type Identity = Schemas['Identity']
export type TotpEnrolment = Schemas['TotpEnrolment']
/** What a reset link would leave in place: the passkeys, and whether two-factor is on. */
export type ResetWaysIn = Schemas['ResetWaysIn']
/** What a reset also removes: passkey ids (or 'all'), two-factor (with a code). */
export type ResetOptions = Omit<Schemas['ResetPasswordRequest'], 'token' | 'newPassword'>

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

export type AuthStatus = 'loading' | 'signed-in' | 'signed-out'

/** Who is signed in, from the access token's claims (sub, username, amr), read but not verified. */
export type SignedInUser = { id: string; username: string; amr: string[] }

/** `signedIn` is `status === 'signed-in'`, kept for callers written before `status`. */
export type AuthState = { signedIn: boolean; status: AuthStatus; user: SignedInUser | null }

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
  /** Creates an account with no password and a passkey on this device, and signs it in. */
  signUpWithPasskey(options: { username: string; name?: string }): Promise<void>
  /** The providers configured for sign-in, for the app's own buttons. */
  providers(): Promise<Provider[]>
  /**
   * Browsers: goes to the provider to sign in (or sign up), and comes back signed in to
   * `returnTo` (default: this page), which must be on an origin in ALLOWED_ORIGINS.
   */
  signInWith(provider: string, options?: { returnTo?: string }): void
  /** Mails a 6-digit sign-in code to the account's verified address (no answer says if any). */
  requestEmailCode(email: string): Promise<void>
  /** Signs in with the mailed code; `mfa_required` as signIn() when two-factor is on. */
  signInWithEmailCode(email: string, code: string): Promise<void>
  /** Native apps: signs in with the ID token the platform's own sign-in gave (Google, Apple). */
  signInWithIdToken(provider: string, idToken: string, nonce?: string): Promise<void>
  identities: {
    list(): Promise<Identity[]>
    /** Disconnects it; AuthError `last_sign_in_method` when nothing else would sign in. */
    remove(provider: string): Promise<void>
  }
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
  /** What a reset link's token would leave in place, without spending it. */
  inspectReset(token: string): Promise<ResetWaysIn>
  /**
   * Sets a new password with a reset link's token; every session ends (sign in again). Removes
   * the passkeys named, and two-factor when `disableTotp` comes with a current or recovery `code`.
   */
  resetPassword(token: string, newPassword: string, options?: ResetOptions): Promise<void>
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
  /**
   * fetch with the Bearer header. A 401 that says the token is invalid or expired (problem code
   * `invalid_token`, else `WWW-Authenticate: Bearer error="invalid_token"`) refreshes once and
   * retries; any other answer, a wrong password's 401 included, is returned as it is.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>
  sessions(): Promise<Session[]>
  /** Ends one of the user's sessions (another device); signOut() ends this one everywhere. */
  endSession(id: string): Promise<void>
  /** 'loading' until the first ready() or onChange() has asked the API (or the token storage). */
  readonly status: AuthStatus
  readonly user: SignedInUser | null
  /**
   * Learns whether a session exists, once: in cookie mode POST /session/resume (200 either way,
   * so a signed-out visitor's console shows no failed request), in token mode from the storage.
   */
  ready(): Promise<AuthState>
  /** Called at each change of status or user; subscribing starts ready(). */
  onChange(listener: (state: AuthState) => void): () => void
}

type Access = { accessToken: string; expiresAt: number }
type AccessAnswer = { accessToken: string; expiresIn: number; refreshToken?: string }

/** The user an access token names, from its payload (not verified: it is our own token). */
function userOf(token: string): SignedInUser | null {
  try {
    const payload = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))
    const { sub, username, amr } = JSON.parse(new TextDecoder().decode(bytes))
    return typeof sub === 'string' ? { id: sub, username, amr: amr ?? [] } : null
  } catch {
    return null
  }
}

/**
 * Whether a 401 is about the access token itself (RFC 6750 `invalid_token`), so a refresh may
 * help: a problem body's code decides where there is one (a wrong password is a 401 too), else
 * the challenge, as an API that verifies with jose sends it.
 */
async function tokenRejected(res: Response): Promise<boolean> {
  if (res.status !== 401) return false
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { code?: unknown } | null
  if (typeof body?.code === 'string') return body.code === 'invalid_token'
  return /\bbearer\b.*\berror="?invalid_token\b/i.test(res.headers.get('www-authenticate') ?? '')
}

/** A success body that is not JSON (a proxy's page, say) is an AuthError too. */
const read = <T>(res: Response): Promise<T> =>
  res.json().catch((err: unknown) => {
    throw new AuthError(res.status, 'unexpected_response', `HTTP ${res.status}`, { cause: err })
  })

const signedOut = () => new AuthError(401, 'signed_out', 'Not signed in')

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
  let status: AuthStatus = 'loading'
  let user: SignedInUser | null = null
  /** Bumped at every sign-in and sign-out, so an answer to an older question cannot undo one. */
  let epoch = 0
  let inflight: Promise<string> | undefined
  let started: Promise<void> | undefined

  const fresh = () => access !== null && access.expiresAt - marginMs > Date.now()
  const state = (): AuthState => ({ signedIn: status === 'signed-in', status, user })

  /** Records who holds `token` (null: nobody); listeners hear of a change only. */
  function settle(token: string | null) {
    const before = JSON.stringify(state())
    epoch++
    status = token ? 'signed-in' : 'signed-out'
    user = token ? userOf(token) : null
    const now = state()
    if (JSON.stringify(now) !== before) listeners.forEach((listener) => listener(now))
  }

  // Tabs share a session only in cookie mode, where one cookie jar holds one: in token mode each
  // client has its own refresh token (perhaps each user of a server), so nothing is shared.
  const tabs = tabSync(
    `edge-auth:${base}`,
    options.lockTimeoutMs ?? 10_000,
    mode === 'cookie',
    (message) => {
      if (message.type === 'signedOut') forget(false)
      else if (!access || message.expiresAt > access.expiresAt) {
        access = { accessToken: message.accessToken, expiresAt: message.expiresAt }
        settle(access.accessToken)
      }
    },
  )

  function forget(broadcast: boolean) {
    access = null
    if (broadcast) tabs.publish({ type: 'signedOut' })
    settle(null)
  }

  /** fetch, with a network failure as AuthError `network_error` (the TypeError its cause). */
  async function request(input: string | URL, init: RequestInit) {
    try {
      return await send(input, init)
    } catch (err) {
      throw new AuthError(0, 'network_error', (err as Error)?.message ?? String(err), {
        cause: err,
      })
    }
  }

  /** An API call: JSON in and out, cookies included in cookie mode, AuthError on failure. */
  async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
    const { json, ...rest } = init
    const headers = new Headers(rest.headers)
    if (json !== undefined) headers.set('Content-Type', 'application/json')
    const res = await request(base + path, {
      ...rest,
      headers,
      body: json === undefined ? rest.body : JSON.stringify(json),
      credentials: mode === 'cookie' ? 'include' : 'same-origin',
    })
    if (!res.ok) throw await errorOf(res)
    return res
  }

  async function accept(body: AccessAnswer) {
    if (mode === 'token' && body.refreshToken) await storage.set(body.refreshToken)
    access = { accessToken: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000 }
    const message: TabMessage = { type: 'token', ...access }
    tabs.publish(message)
    settle(body.accessToken)
    return body.accessToken
  }

  /**
   * Cookie mode, not known to be signed in: asks whether the cookie holds a session. The answer
   * is 200 either way, so a signed-out first load shows no failed request.
   */
  async function resume(): Promise<string> {
    const at = epoch
    const body = await read<Schemas['SessionResume']>(
      await call('/session/resume', { method: 'POST' }),
    )
    if (body.signedIn) return accept(body)
    // A sign-in (here or in another tab) since the question was asked stands.
    if (epoch === at) forget(false)
    if (fresh()) return access!.accessToken
    throw signedOut()
  }

  async function refresh(): Promise<string> {
    const token = mode === 'token' ? await storage.get() : null
    try {
      if (mode === 'token' && !token) throw signedOut()
      const res = await call(
        '/token',
        token ? { method: 'POST', json: { token } } : { method: 'POST' },
      )
      return await accept(await read(res))
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

  /** Under the tab lock: the token another tab just got, a resumed session, or a refresh. */
  async function obtain(): Promise<string> {
    if (fresh()) return access!.accessToken
    return mode === 'cookie' && status !== 'signed-in' ? resume() : refresh()
  }

  async function getAccessToken(): Promise<string> {
    if (fresh()) return access!.accessToken
    inflight ??= tabs.exclusive(obtain, fresh).finally(() => (inflight = undefined))
    return inflight
  }

  /** Learns the status once; a failure to learn it reads as signed out until a later call. */
  function start(): Promise<void> {
    started ??= (async () => {
      if (mode === 'cookie' || (await storage.get())) await getAccessToken()
    })()
      .catch(() => undefined)
      .then(() => void (status === 'loading' && settle(null)))
    return started
  }

  async function authorised(input: string | URL, init: RequestInit) {
    const token = await getAccessToken()
    const headers = new Headers(init.headers)
    headers.set('Authorization', `Bearer ${token}`)
    return { res: await request(input, { ...init, headers }), token }
  }

  /** A sign-in's last step. A pending resume finishes first, so its cookie cannot land last. */
  async function signInAt(path: string, json: object) {
    await Promise.allSettled([started, inflight])
    await accept(await read(await call(path, { method: 'POST', json: { ...json, mode } })))
  }

  const signIn = (credentials: Credentials) => signInAt('/login', credentials)

  /** A signed-in JSON call: the parsed body (undefined for 204), or AuthError. */
  async function api<T>(path: string, method = 'GET', json?: unknown): Promise<T> {
    const init: RequestInit = { method }
    if (json !== undefined) {
      init.headers = { 'Content-Type': 'application/json' }
      init.body = JSON.stringify(json)
    }
    const res = await authorisedFetch(base + path, init)
    if (!res.ok) throw await errorOf(res)
    return (res.status === 204 ? undefined : await read(res)) as T
  }

  async function authorisedFetch(input: string | URL, init: RequestInit = {}) {
    const { res, token } = await authorised(input, init)
    // A stream body is spent by the first attempt, so it cannot be sent again.
    if (init.body instanceof ReadableStream || !(await tokenRejected(res))) return res
    // The token ended early (a session ended elsewhere): refresh once, unless another call
    // has already replaced it, and retry once.
    if (access?.accessToken === token) access = null
    return (await authorised(input, init)).res
  }

  return {
    async signUp(registration) {
      await call('/register', { method: 'POST', json: registration })
      await signIn({ username: registration.username, password: registration.password })
    },

    signIn,

    verifyMfa: (mfaToken, code) => signInAt('/login/mfa', { mfaToken, code }),

    async signInWithPasskey() {
      const options = await read<never>(await call('/login/passkey/options', { method: 'POST' }))
      const credential = await ceremony(() => startAuthentication({ optionsJSON: options }))
      await signInAt('/login/passkey', { credential })
    },

    async signUpWithPasskey({ username, name }) {
      const options = await read<never>(
        await call('/register/passkey/options', { method: 'POST', json: { username } }),
      )
      const credential = await ceremony(() => startRegistration({ optionsJSON: options }))
      await signInAt('/register/passkey', { credential, name })
    },

    providers: async () => read<Provider[]>(await call('/providers')),

    signInWith(provider, { returnTo } = {}) {
      const back = returnTo ?? globalThis.location?.href
      const query = back === undefined ? '' : `?return_to=${encodeURIComponent(back)}`
      globalThis.location.assign(`${base}/signin/${encodeURIComponent(provider)}${query}`)
    },

    requestEmailCode: async (email) =>
      void (await call('/login/email-code', { method: 'POST', json: { email } })),

    signInWithEmailCode: (email, code) => signInAt('/login/email-code/verify', { email, code }),

    signInWithIdToken: (provider, idToken, nonce) =>
      signInAt(`/login/${encodeURIComponent(provider)}/id-token`, { idToken, nonce }),

    identities: {
      list: () => api<Identity[]>('/users/me/identities'),
      remove: (provider) =>
        api<void>(`/users/me/identities/${encodeURIComponent(provider)}`, 'DELETE'),
    },

    passkeys: {
      async register({ password, name }) {
        const options = await api<never>('/users/me/passkeys/options', 'POST', { password })
        const credential = await ceremony(() => startRegistration({ optionsJSON: options }))
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

    inspectReset: async (token) =>
      (await call('/password/reset/inspect', { method: 'POST', json: { token } })).json(),

    async resetPassword(token, newPassword, options = {}) {
      await call('/password/reset', { method: 'POST', json: { ...options, token, newPassword } })
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
      return api<Session[]>('/sessions')
    },

    endSession: (id) => api<void>(`/sessions/${encodeURIComponent(id)}`, 'DELETE'),

    get status() {
      return status
    },

    get user() {
      return user
    },

    ready: () => start().then(state),

    onChange(listener) {
      listeners.add(listener)
      void start()
      return () => listeners.delete(listener)
    },
  }
}
