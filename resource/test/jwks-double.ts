// A fetch double that serves an issuer's key set: what it answers can change between calls,
// and it counts the calls, so tests see exactly when the resource refetches.
import type { SigningKey } from './tokens'

export const ISSUER = 'https://auth.example.com'
export const RESOURCE = 'https://notes.example.com/mcp'
export const JWKS_URI = `${ISSUER}/.well-known/jwks.json`
export const METADATA_URL = 'https://notes.example.com/.well-known/oauth-protected-resource/mcp'

export function jwksDouble(keys: SigningKey[], cacheControl = 'max-age=300') {
  const state = {
    keys: [...keys],
    cacheControl,
    /** When set, the next fetches answer this (or throw it, for an Error). */
    failure: undefined as Response | Error | undefined,
    calls: [] as string[],
  }
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input)
    state.calls.push(url)
    if (state.failure instanceof Error) throw state.failure
    if (state.failure) return state.failure.clone()
    if (url !== JWKS_URI) return new Response('not found', { status: 404 })
    return Response.json(
      { keys: state.keys.map((k) => k.publicJwk) },
      { headers: { 'Cache-Control': state.cacheControl } },
    )
  }
  return Object.assign(state, { fetch: fetch as typeof globalThis.fetch })
}

/** A request to the resource carrying `authorization` (or none). */
export function resourceRequest(authorization?: string | string[], url = RESOURCE): Request {
  const headers = new Headers()
  for (const value of [authorization ?? []].flat()) headers.append('Authorization', value)
  return new Request(url, { method: 'POST', headers })
}
