// Errors as the API states them: RFC 9457 problem JSON with a stable `code`, typed from the
// document so a client can switch on every code the API can answer.
import type { components, operations } from './api.js'

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

/**
 * Codes the SDK gives for what the API did not answer: the network, the browser's WebAuthn
 * ceremony, or an answer that is not the API's. docs/client.md says what each means.
 */
export type ClientErrorCode =
  | 'network_error'
  | 'signed_out'
  | 'unexpected_response'
  | 'passkey_cancelled'
  | 'passkey_exists_on_device'
  | 'passkey_unsupported'
  | 'passkey_wrong_domain'
  | 'passkey_failed'

/**
 * A failed call: status (0 when the API never answered), stable code, the server's detail, and
 * when to retry. `cause` holds the original error (a TypeError, a DOMException) where there was one.
 */
export class AuthError extends Error {
  readonly status: number
  /** The API's code, or one of the SDK's own for what never reached it. */
  readonly code: ErrorCode | ClientErrorCode
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
      cause?: unknown
    } = {},
  ) {
    super(message, { cause: extra.cause })
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

/** The browser's WebAuthn refusals (DOMException names), by what a caller can do about each. */
const CEREMONY_CODES: Record<string, ClientErrorCode> = {
  // The person dismissed the prompt, it timed out, or no passkey matched: browsers do not say which.
  NotAllowedError: 'passkey_cancelled',
  AbortError: 'passkey_cancelled',
  // Registration: this authenticator already holds a passkey for the account (excludeCredentials).
  InvalidStateError: 'passkey_exists_on_device',
  NotSupportedError: 'passkey_unsupported',
  ConstraintError: 'passkey_unsupported',
  // The page's origin does not fit the RP ID (or the page is not a secure context).
  SecurityError: 'passkey_wrong_domain',
}

/** Runs a WebAuthn ceremony; its failure becomes an AuthError, the browser's error its cause. */
export async function ceremony<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    const name = (err as Error | undefined)?.name ?? ''
    const code =
      typeof globalThis.PublicKeyCredential !== 'function'
        ? 'passkey_unsupported'
        : (CEREMONY_CODES[name] ?? 'passkey_failed')
    throw new AuthError(0, code, (err as Error | undefined)?.message ?? String(err), { cause: err })
  }
}
