// The tests' side of test/global/outbound-server.ts: script what a path answers, count hits.
import { inject } from 'vitest'
import type { Script } from './outbound-server'

/** The scripted server's origin, `http://127.0.0.1:<port>`. */
export const serverOrigin = (): string => inject('outboundOrigin')

/** A path no other test uses, under `prefix`. */
export const uniquePath = (prefix: string): string => `/${prefix}/${crypto.randomUUID()}`

/** Makes `script.path` answer as scripted; returns the path's full URL. */
export async function script(script: Script): Promise<string> {
  const res = await fetch(`${serverOrigin()}/_set`, {
    method: 'POST',
    body: JSON.stringify(script),
  })
  if (res.status !== 204) throw new Error(`scripting ${script.path} failed: ${res.status}`)
  return `${serverOrigin()}${script.path}`
}

/** How many requests `path` has had. */
export async function hits(path: string): Promise<number> {
  const res = await fetch(`${serverOrigin()}/_hits?path=${encodeURIComponent(path)}`)
  return ((await res.json()) as { hits: number }).hits
}

/** A JSON answer. */
export const json = (path: string, body: unknown, status = 200): Script => ({
  path,
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/**
 * Scripts an OpenID provider at `base` on the scripted server: its discovery document (the
 * endpoints under the issuer, plus `extra`) and its key set. Returns the issuer.
 */
export async function scriptProvider(
  base: string,
  keys: JsonWebKey[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const issuer = `${serverOrigin()}${base}`
  await script(
    json(`${base}/.well-known/openid-configuration`, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      ...extra,
    }),
  )
  await script(json(`${base}/jwks`, { keys }))
  return issuer
}
