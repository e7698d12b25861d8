// Real OpenID providers (panva's oidc-provider) on loopback ports. As the worker project's
// globalSetup it starts two, which its tests sign in at from inside workerd (test/federation/
// openid-provider.ts): `main` keeps its keys for the whole run; `rotating` swaps its signing keys
// on POST /_rotate. A client-project test starts its own in-process (startOpenIdProvider) and
// drives it with a real browser. Tests drive the interaction over HTTP (GET /interaction/:uid
// answers JSON, POST /interaction/:uid/login or /abort); a browser asking for text/html gets a
// plain login form posting to the same /login. Signing in also grants the requested scopes, so
// there is no separate consent step.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
// oidc-provider ships no types (DefinitelyTyped's are for older majors); the members used here
// are typed by hand below.
// @ts-expect-error TS7016: the package has no declaration file
import { Provider as UntypedProvider } from 'oidc-provider'
import type { TestProject } from 'vitest/node'

/** What a test needs to act as a relying party of one provider. */
export type OpenIdProviderInfo = {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  issuer: string
  /** `edge-auth-test`, a confidential client (client_secret_basic). */
  clientId: string
  clientSecret: string
  /** `edge-auth-other`: a second client, for ID tokens meant for someone else. */
  otherClientId: string
  otherClientSecret: string
}

export type OpenIdProviderName = 'main' | 'rotating'

declare module 'vitest' {
  export interface ProvidedContext {
    openidProviders: Record<OpenIdProviderName, OpenIdProviderInfo>
  }
}

/** An account as the login step stores it; its fields are the claims the provider releases. */
export type ProviderAccount = {
  sub: string
  email?: string
  email_verified?: boolean
  name?: string
  preferred_username?: string
}

export const CLIENT_ID = 'edge-auth-test'
export const OTHER_CLIENT_ID = 'edge-auth-other'

/**
 * By default every client may return to these: the worker's callback for each provider id the
 * worker project's tests may give it.
 */
export const REDIRECT_URIS = [
  'https://auth.example/signin/local/callback',
  'https://auth.example/signin/rotating/callback',
  'https://auth.example/signin/other/callback',
  'http://localhost:8787/signin/local/callback',
]

const MAX_FORM_BYTES = 64 * 1024

// The slice of oidc-provider's API used here (see its docs/README.md, "User flows").
type Interaction = {
  uid: string
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> }
  params: Record<string, string | undefined>
}
type Grant = { addOIDCScope(scope: string): void; save(): Promise<string> }
type InteractionResult =
  | { login: { accountId: string }; consent: { grantId: string } }
  | { error: string; error_description: string }
type Provider = {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: InteractionResult,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>
  Grant: new (init: { accountId: string; clientId: string }) => Grant
}
const ProviderClass = UntypedProvider as new (issuer: string, config: object) => Provider

type StoredPayload = Record<string, unknown> & {
  grantId?: string
  uid?: string
  userCode?: string
  consumed?: number
}

/**
 * oidc-provider's storage: one Map per provider name, so a rotated `rotating` still finds the
 * interactions, sessions and codes its predecessor issued (a sign-in may span a rotation). Expiry
 * is left to the models, which check `exp` on every find.
 */
function memoryAdapter(store: Map<string, StoredPayload>) {
  return class MemoryAdapter {
    private readonly model: string
    constructor(model: string) {
      this.model = model
    }
    private key = (id: string) => `${this.model}:${id}`
    async upsert(id: string, payload: StoredPayload) {
      store.set(this.key(id), payload)
    }
    async find(id: string) {
      return store.get(this.key(id))
    }
    async findByUid(uid: string) {
      for (const [key, payload] of store)
        if (key.startsWith(`${this.model}:`) && payload.uid === uid) return payload
      return undefined
    }
    async findByUserCode(userCode: string) {
      for (const [key, payload] of store)
        if (key.startsWith(`${this.model}:`) && payload.userCode === userCode) return payload
      return undefined
    }
    async consume(id: string) {
      const payload = store.get(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }
    async destroy(id: string) {
      store.delete(this.key(id))
    }
    // A replayed code revokes everything issued under its grant.
    async revokeByGrantId(grantId: string) {
      for (const [key, payload] of store) if (payload.grantId === grantId) store.delete(key)
    }
  }
}

/** Fresh private signing keys: RS256 first (the clients' default ID token alg), then ES256. */
function signingKeys(): { keys: object[] } {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  const stamp = randomBytes(6).toString('hex')
  return {
    keys: [
      { ...rsa.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: `rs256-${stamp}` },
      { ...ec.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: `es256-${stamp}` },
    ],
  }
}

const client = (client_id: string, client_secret: string, redirect_uris: string[]) => ({
  client_id,
  client_secret,
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris,
})

/**
 * Registers both clients, with `redirectUris`, in the adapter's storage rather than in the
 * static configuration: oidc-provider looks a client up there on every use (and rebuilds it
 * when its metadata changed), so a relying party whose address is known only after the
 * provider started can have its callback registered exactly, then.
 */
function registerClients(
  store: Map<string, StoredPayload>,
  info: OpenIdProviderInfo,
  redirectUris: string[],
) {
  for (const [id, secret] of [
    [info.clientId, info.clientSecret],
    [info.otherClientId, info.otherClientSecret],
  ] as const)
    store.set(`Client:${id}`, client(id, secret, [...redirectUris]))
}

type Instance = {
  info: OpenIdProviderInfo
  accounts: Map<string, ProviderAccount>
  store: Map<string, StoredPayload>
  cookieKeys: string[]
  provider: Provider
  handle: (req: IncomingMessage, res: ServerResponse) => void
}

/** A Provider for `instance`'s issuer, clients, accounts and storage, with new signing keys. */
function buildProvider(instance: Omit<Instance, 'provider' | 'handle'>): Provider {
  const { info, accounts, store, cookieKeys } = instance
  return new ProviderClass(info.issuer, {
    // The clients are in `store` (registerClients).
    adapter: memoryAdapter(store),
    jwks: signingKeys(),
    cookies: { keys: cookieKeys },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds) keep oidc-provider from printing a notice per default used.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
    },
    // Errors it cannot send back to a client (unknown client or redirect_uri) as JSON, to read.
    async renderError(ctx: { type: string; body: unknown }, out: Record<string, string>) {
      ctx.type = 'json'
      ctx.body = out
    },
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub)
      if (!account) return undefined
      return { accountId: sub, claims: async () => ({ ...account }) }
    },
  })
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      text += chunk
      if (text.length > MAX_FORM_BYTES) reject(new Error('form too large'))
    })
    req.on('end', () => resolve(new URLSearchParams(text)))
    req.on('error', reject)
  })
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

const escapeHtml = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')

/** Whether the request asks for a page: a browser's navigation does, the tests' fetch does not. */
const wantsHtml = (req: IncomingMessage) => /\btext\/html\b/i.test(req.headers.accept ?? '')

/**
 * The login page a browser gets: a plain form, no script, posting the same fields the tests
 * post to /interaction/:uid/login (email_verified a checkbox: "true" when ticked, absent when
 * not). Whatever is typed becomes the account's claims.
 */
function loginPage(res: ServerResponse, details: Interaction) {
  const uid = escapeHtml(encodeURIComponent(details.uid))
  const clientId = escapeHtml(details.params.client_id ?? '')
  const field = (name: string, label: string, type = 'text') =>
    `<p><label for="${name}">${label}</label> <input id="${name}" name="${name}" type="${type}"></p>`
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // No form-action: the login's answer redirects to the relying party, as a real provider's does.
    'content-security-policy': "default-src 'none'",
  })
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main>
<h1>Sign in at the test provider</h1>
<p>For <code>${clientId}</code>.</p>
<form method="post" action="/interaction/${uid}/login">
${field('sub', 'Subject (sub)')}
${field('email', 'Email', 'email')}
<p><input id="email_verified" name="email_verified" type="checkbox" value="true"> <label for="email_verified">Email verified</label></p>
${field('name', 'Name')}
${field('preferred_username', 'Preferred username')}
<p><button type="submit">Sign in</button></p>
</form>
</main></body></html>`)
}

/** The account a login form describes, or a reason it is refused. */
function accountFrom(form: URLSearchParams): ProviderAccount | string {
  const sub = form.get('sub')
  if (!sub) return 'sub is required'
  const account: ProviderAccount = { sub }
  const verified = form.get('email_verified')
  if (verified !== null) {
    if (verified !== 'true' && verified !== 'false') return 'email_verified is "true" or "false"'
    account.email_verified = verified === 'true'
  }
  for (const field of ['email', 'name', 'preferred_username'] as const) {
    const value = form.get(field)
    if (value !== null) account[field] = value
  }
  return account
}

/** The interaction routes oidc-provider leaves to the deployment: the tests' "login page". */
async function interact(
  instance: Instance,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined,
) {
  const { provider } = instance
  let details: Interaction
  try {
    details = await provider.interactionDetails(req, res)
  } catch (err) {
    // SessionNotFound: no interaction cookie, or an unknown or expired interaction.
    return sendJson(res, 400, { error: 'invalid_interaction', detail: String(err) })
  }
  // The cookie names the interaction; the path must name the same one.
  if (details.uid !== uid) return sendJson(res, 400, { error: 'interaction_mismatch' })

  if (req.method === 'GET' && action === undefined) {
    if (wantsHtml(req)) return loginPage(res, details)
    return sendJson(res, 200, { uid: details.uid, prompt: details.prompt })
  }
  if (req.method === 'POST' && action === 'abort') {
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    )
  }
  if (req.method === 'POST' && action === 'login') {
    const account = accountFrom(await readForm(req))
    if (typeof account === 'string') return sendJson(res, 400, { error: account })
    if (details.prompt.name !== 'login') {
      return sendJson(res, 400, { error: `prompt is ${details.prompt.name}, not login` })
    }
    instance.accounts.set(account.sub, account)
    // Consent in the same step: a grant of every scope asked for.
    const grant = new provider.Grant({
      accountId: account.sub,
      clientId: details.params.client_id!,
    })
    grant.addOIDCScope(details.params.scope ?? 'openid')
    const grantId = await grant.save()
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    )
  }
  return sendJson(res, 405, { error: 'method_not_allowed' })
}

/** A provider started by startOpenIdProvider: its relying party's credentials, and control. */
export type RunningOpenIdProvider = OpenIdProviderInfo & {
  /**
   * Replaces the redirect URIs both clients may use (exact strings, as the provider compares
   * them): for a relying party whose address is known only once the provider is up.
   */
  setRedirectUris(redirectUris: string[]): void
  close(): Promise<void>
}

/**
 * Starts a provider on a free loopback port, its clients allowed to return to `redirectUris`
 * (REDIRECT_URIS unless given). `rotatable` adds POST /_rotate (new signing keys).
 */
export async function startOpenIdProvider(
  options: { redirectUris?: string[]; rotatable?: boolean } = {},
): Promise<RunningOpenIdProvider> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const base = {
    info: {
      issuer: `http://127.0.0.1:${port}`,
      clientId: CLIENT_ID,
      clientSecret: randomBytes(24).toString('base64url'),
      otherClientId: OTHER_CLIENT_ID,
      otherClientSecret: randomBytes(24).toString('base64url'),
    },
    accounts: new Map<string, ProviderAccount>(),
    store: new Map<string, StoredPayload>(),
    cookieKeys: [randomBytes(32).toString('base64url')],
  }
  registerClients(base.store, base.info, options.redirectUris ?? REDIRECT_URIS)
  const build = (): Instance => {
    const provider = buildProvider(base)
    return { ...base, provider, handle: provider.callback() }
  }
  let current = build()

  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    // A request in flight keeps the Provider it started with, even across a rotation.
    const active = current
    try {
      const url = new URL(req.url ?? '/', active.info.issuer)
      if (options.rotatable && req.method === 'POST' && url.pathname === '/_rotate') {
        // A new Provider with new keys; the old keys are no longer published or used. Accounts
        // and storage carry over, so sign-ins begun before the rotation still finish.
        current = build()
        return sendJson(res, 200, { rotated: true })
      }
      const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(url.pathname)
      if (match) return await interact(active, req, res, match[1]!, match[2])
      active.handle(req, res)
    } catch (err) {
      if (!res.headersSent)
        sendJson(res, 500, { error: 'test_provider_failed', detail: String(err) })
      else res.end()
    }
  })

  return {
    ...base.info,
    setRedirectUris: (redirectUris) => registerClients(base.store, base.info, redirectUris),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The fields of OpenIdProviderInfo alone: what the worker project's tests are given. */
const infoOf = ({
  issuer,
  clientId,
  clientSecret,
  otherClientId,
  otherClientSecret,
}: RunningOpenIdProvider): OpenIdProviderInfo => ({
  issuer,
  clientId,
  clientSecret,
  otherClientId,
  otherClientSecret,
})

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [main, rotating] = await Promise.all([
    startOpenIdProvider(),
    startOpenIdProvider({ rotatable: true }),
  ])
  project.provide('openidProviders', { main: infoOf(main), rotating: infoOf(rotating) })
  return async () => {
    await Promise.all([main.close(), rotating.close()])
  }
}
