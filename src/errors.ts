// The one error type a client is shown, and the one table of every code it can carry.
// Plain TypeScript, no Hono: services and auth/ throw ApiError; http/errors.ts renders it, and
// the OpenAPI document and docs/errors.md are built from ERRORS.

/** The RFC 6749 §5.2 (and RFC 6750 §3.1) error codes the OAuth routes answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_client'
  | 'temporarily_unavailable'
  | 'server_error'

type ErrorEntry = {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503
  /** What the OAuth routes answer instead: their status and RFC 6749 error. */
  oauth: { status: number; error: OAuthErrorCode }
  /** One line for docs/errors.md and the OpenAPI document. */
  meaning: string
}

const invalidRequest = { status: 400, error: 'invalid_request' } as const
const serverError = { status: 500, error: 'server_error' } as const

/** Every code, its HTTP status, what the OAuth routes answer instead, and what it means. */
export const ERRORS = {
  validation_failed: {
    status: 400,
    oauth: invalidRequest,
    meaning: 'A field is missing, of the wrong type or outside its limits; `errors` lists which',
  },
  invalid_json: { status: 400, oauth: invalidRequest, meaning: 'The body is not valid JSON' },
  bad_request: {
    status: 400,
    oauth: invalidRequest,
    meaning: 'The request could not be read (for example a body that breaks off)',
  },
  invalid_request: {
    status: 400,
    oauth: invalidRequest,
    meaning: 'OAuth routes: a required parameter is missing',
  },
  unsupported_grant_type: {
    status: 400,
    oauth: { status: 400, error: 'unsupported_grant_type' },
    meaning: 'OAuth token endpoint: a grant other than refresh_token',
  },
  invalid_token: {
    status: 401,
    oauth: invalidRequest,
    meaning:
      'The access token is missing, malformed, expired or revoked (with a WWW-Authenticate challenge)',
  },
  invalid_credentials: {
    status: 401,
    oauth: invalidRequest,
    meaning: 'Wrong username or password; the same answer for an unknown user',
  },
  invalid_refresh_token: {
    status: 401,
    oauth: { status: 400, error: 'invalid_grant' },
    meaning: 'The refresh token is unknown, expired, or its session has ended',
  },
  refresh_token_reused: {
    status: 401,
    oauth: { status: 400, error: 'invalid_grant' },
    meaning: 'The refresh token was presented after its session moved on; that session is ended',
  },
  invalid_client: {
    status: 401,
    oauth: { status: 401, error: 'invalid_client' },
    meaning: 'OAuth routes: client authentication was sent (public clients only)',
  },
  session_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: "Not one of the caller's sessions",
  },
  not_found: { status: 404, oauth: invalidRequest, meaning: 'There is no such route' },
  username_taken: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'The username is registered already (compared without case)',
  },
  payload_too_large: {
    status: 413,
    oauth: { status: 413, error: 'invalid_request' },
    meaning: 'The body is over 16 KiB',
  },
  unsupported_media_type: {
    status: 415,
    oauth: invalidRequest,
    meaning: 'The body is not declared application/json',
  },
  rate_limited: {
    status: 429,
    oauth: { status: 429, error: 'temporarily_unavailable' },
    meaning: 'Too many requests, or too many failed logins; wait Retry-After seconds',
  },
  server_misconfigured: {
    status: 500,
    oauth: serverError,
    meaning: 'A setting or secret is missing or invalid; the log names which',
  },
  internal_error: { status: 500, oauth: serverError, meaning: 'An unexpected error; see the log' },
  temporarily_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
    meaning: 'KV or D1 failed; retry after Retry-After seconds',
  },
} as const satisfies Record<string, ErrorEntry>

export type ErrorCode = keyof typeof ERRORS
export type ErrorStatus = (typeof ERRORS)[ErrorCode]['status']

/** RFC 9110's reason phrase for each status the service answers with. */
export const TITLES: Record<ErrorStatus, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

export type FieldError = { field: string; message: string }

/** A failure the client should see: a code from ERRORS (which gives the status) and a detail. */
export class ApiError extends Error {
  readonly status: ErrorStatus

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; challenge?: 'bare'; retryAfter?: number } = {},
  ) {
    super(detail)
    this.name = 'ApiError'
    this.status = ERRORS[code].status
  }
}
