// A browser signing in at a loopback OpenID provider through the worker: /signin/{id} → the
// provider (test/federation/openid-provider.ts plays the person there) → the callback, carrying
// the state cookie as a browser would. Redirects are not followed, so each hop can be checked.
import { expect } from 'vitest'
import type { Bindings } from '../../src/env'
import { callSettling, ORIGIN, REFRESH_COOKIE } from '../helpers'
import {
  openidProvider,
  type OpenIdProviderName,
  type ProviderAccount,
  signInAtProvider,
} from './openid-provider'

export const STATE_COOKIE = (id: string) => `__Host-federation-${id}`

/** The bindings that configure `id` as an `oidc` provider at a loopback provider. */
export function providerEnv(
  providers: Record<string, { at?: OpenIdProviderName; settings?: Record<string, unknown> }> = {
    local: {},
  },
  extra: Partial<Bindings> = {},
): Partial<Bindings> {
  const config: Record<string, unknown> = {}
  const secrets: Record<string, string> = {}
  for (const [id, { at = 'main', settings = {} }] of Object.entries(providers)) {
    const info = openidProvider(at)
    // Trusted to vouch for addresses, as an operator would configure a provider they trust.
    config[id] = {
      type: 'oidc',
      issuer: info.issuer,
      clientId: info.clientId,
      name: `Local ${id}`,
      trustEmail: true,
      ...settings,
    }
    secrets[`PROVIDER_${id.toUpperCase().replaceAll('-', '_')}_CLIENT_SECRET`] = info.clientSecret
  }
  return { AUTH_PROVIDERS: JSON.stringify(config), ...secrets, ...extra } as Partial<Bindings>
}

/** A request through the worker with `env`, once its deferred work is done too. */
export async function browse(env: Partial<Bindings>, path: string, init: RequestInit = {}) {
  const { answered, settled } = callSettling(env, path, { redirect: 'manual', ...init })
  await settled
  return answered
}

/** The value a response sets for cookie `name` (an empty value when it deletes it), or null. */
export function setCookie(res: Response, name: string): string | null {
  const line = res.headers.getSetCookie().find((header) => header.startsWith(`${name}=`))
  return line === undefined ? null : line.slice(name.length + 1).split(';')[0]!
}

/** Cookie headers as a browser sends them. */
export const cookies = (jar: Record<string, string | undefined>) =>
  Object.entries(jar)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ')

/** GET /signin/{id}: the provider's authorization URL and the state cookie set for it. */
export async function begin(
  env: Partial<Bindings>,
  id = 'local',
  returnTo = '/account',
  headers: Record<string, string> = {},
) {
  const res = await browse(env, `/signin/${id}?return_to=${encodeURIComponent(returnTo)}`, {
    headers,
  })
  expect(res.status).toBe(302)
  const state = setCookie(res, STATE_COOKIE(id))
  expect(state).toBeTruthy()
  return { authorizeUrl: res.headers.get('location')!, state: state! }
}

/** The provider's redirect back, as the path and query the browser then asks the worker for. */
export const callbackPath = (url: URL) => {
  expect(url.origin).toBe(ORIGIN)
  return url.pathname + url.search
}

/** GET the callback with the given cookies. */
export const callback = (
  env: Partial<Bindings>,
  url: URL,
  jar: Record<string, string | undefined>,
) => browse(env, callbackPath(url), { headers: { Cookie: cookies(jar) } })

/** A whole sign-in as `account`: the callback's response and the refresh cookie it set. */
export async function federatedSignIn(
  env: Partial<Bindings>,
  account: ProviderAccount,
  {
    id = 'local',
    returnTo = '/account',
    refresh,
  }: { id?: string; returnTo?: string; refresh?: string } = {},
) {
  const { authorizeUrl, state } = await begin(env, id, returnTo)
  const back = await signInAtProvider(authorizeUrl, account)
  const res = await callback(env, back, { [STATE_COOKIE(id)]: state, [REFRESH_COOKIE]: refresh })
  return { res, refresh: setCookie(res, REFRESH_COOKIE), back, state }
}

/** The access token a refresh cookie's session mints (POST /session/resume), decoded. */
export async function sessionOf(env: Partial<Bindings>, refresh: string) {
  const res = await browse(env, '/session/resume', {
    method: 'POST',
    headers: { Cookie: `${REFRESH_COOKIE}=${refresh}`, Origin: ORIGIN },
  })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { signedIn: boolean; accessToken?: string }
  expect(body.signedIn).toBe(true)
  const claims = JSON.parse(
    atob(body.accessToken!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')),
  ) as { sub: string; username: string; amr: string[]; idp?: string }
  // The cookie rotated: the next call must bring the new one.
  return { accessToken: body.accessToken!, claims, refresh: setCookie(res, REFRESH_COOKIE)! }
}

/** An account-page form post from this origin, as the browser signed in by `refresh` sends it. */
export const accountPost = (
  env: Partial<Bindings>,
  path: string,
  refresh: string,
  fields: Record<string, string> = {},
) =>
  browse(env, path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: ORIGIN,
      Cookie: cookies({ [REFRESH_COOKIE]: refresh }),
    },
    body: new URLSearchParams(fields).toString(),
  })
