// Errors as the API states them: RFC 9457 problem JSON with a stable `code`, typed from the
// document so a client can switch on every code the API can answer.
import type { components, operations } from './api'

type Responses = operations[keyof operations]['responses']
/** Distributes over the operations, so each one's own statuses are read. */
type AnyResponse<R = Responses> = R extends unknown ? R[keyof R] : never
type ProblemBody = AnyResponse extends infer R
  ? R extends { content: { 'application/problem+json': infer P } }
    ? P
    : never
  : never

/** Every `code` the API's problem responses can carry, from /openapi.json. */
export type ErrorCode = ProblemBody extends { code: infer C } ? C : never

export type Problem = components['schemas']['Problem']

/** A failed API call: status, stable code, the server's detail, and when to retry. */
export class AuthError extends Error {
  readonly status: number
  /** The API's code, or `network_error` / `signed_out` for what never reached it. */
  readonly code: ErrorCode | 'network_error' | 'signed_out' | 'unexpected_response'
  /** Seconds to wait before retrying (429 and 503), from Retry-After. */
  readonly retryAfter?: number
  readonly requestId?: string
  readonly fields?: Problem['errors']
  /** With `mfa_required`: the token for verifyMfa(), valid 5 minutes. */
  readonly mfaToken?: string

  constructor(
    status: number,
    code: AuthError['code'],
    message: string,
    extra: {
      retryAfter?: number
      requestId?: string
      fields?: Problem['errors']
      mfaToken?: string
    } = {},
  ) {
    super(message)
    this.name = 'AuthError'
    this.status = status
    this.code = code
    Object.assign(this, extra)
  }
}

/** The AuthError a failed response stands for. */
export async function errorOf(res: Response): Promise<AuthError> {
  const retry = Number(res.headers.get('retry-after'))
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined
  let body: Partial<Problem> = {}
  try {
    body = (await res.json()) as Partial<Problem>
  } catch {
    // Not problem JSON (a proxy's page, say): the status still says what happened.
  }
  return new AuthError(
    res.status,
    (body.code as ErrorCode | undefined) ?? 'unexpected_response',
    body.detail ?? `HTTP ${res.status}`,
    { retryAfter, requestId: body.requestId, fields: body.errors, mfaToken: body.mfaToken },
  )
}
