// The answers a protected resource gives: 401/403/400 with their RFC 6750 / RFC 9728
// WWW-Authenticate challenge, and 503 when the issuer's keys cannot be had.

export type ChallengeError = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

const STATUS: Record<ChallengeError, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
}

/** RFC 7230 quoted-string: backslash-escape `"` and `\`. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`
}

/**
 * `Bearer error="…", scope="…", resource_metadata="…"`. Without `error` (no token was sent)
 * the challenge names no error code (RFC 6750 §3.1). No error_description: it would only help
 * an attacker tell the checks apart.
 */
export function bearerChallenge(params: {
  error?: ChallengeError
  scopes?: readonly string[]
  resourceMetadata: string
}): string {
  const parts: string[] = []
  if (params.error) parts.push(`error=${quote(params.error)}`)
  if (params.scopes?.length) parts.push(`scope=${quote(params.scopes.join(' '))}`)
  parts.push(`resource_metadata=${quote(params.resourceMetadata)}`)
  return `Bearer ${parts.join(', ')}`
}

/** A refusal with its challenge; the body repeats the error code, nothing more. */
export function challengeResponse(params: {
  error?: ChallengeError
  scopes?: readonly string[]
  resourceMetadata: string
}): Response {
  const status = params.error ? STATUS[params.error] : 401
  const body = { error: params.error ?? 'unauthorized' }
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'WWW-Authenticate': bearerChallenge(params),
    },
  })
}

/** The issuer's keys could not be fetched: the client may retry; its token was not judged. */
export function unavailableResponse(): Response {
  return new Response(JSON.stringify({ error: 'temporarily_unavailable' }), {
    status: 503,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Retry-After': '5',
    },
  })
}
