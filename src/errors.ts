// The one error type a client is shown, and the one table of every code it can carry.
// Plain TypeScript, no Hono: services and auth/ throw ApiError; http/errors.ts renders it, and
// the OpenAPI document and docs/errors.md are built from ERRORS and error-meanings.ts.

/** The RFC 6749 §5.2 (and RFC 6750 §3.1) error codes the OAuth routes answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_client'
  | 'invalid_scope'
  | 'invalid_target'
  | 'insufficient_scope'
  | 'unauthorized_client'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'temporarily_unavailable'
  | 'server_error'

type ErrorEntry = {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503
  /** What the OAuth routes answer instead: their status and RFC 6749 error. */
  oauth: { status: number; error: OAuthErrorCode }
}

const invalidRequest = { status: 400, error: 'invalid_request' } as const
const serverError = { status: 500, error: 'server_error' } as const

/** Seconds a client should wait when the authorization server is off: an operator has to act. */
export const AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS = 3600

/**
 * Every code, its HTTP status, and what the OAuth routes answer instead. What each means, in a
 * line, is in error-meanings.ts (a new code fails the typecheck until it has one).
 */
export const ERRORS = {
  bad_request: {
    status: 400,
    oauth: invalidRequest,
  },
  invalid_json: {
    status: 400,
    oauth: invalidRequest,
  },
  passkey_registration_failed: {
    status: 400,
    oauth: invalidRequest,
  },
  validation_failed: {
    status: 400,
    oauth: invalidRequest,
  },
  invalid_cursor: {
    status: 400,
    oauth: invalidRequest,
  },
  invalid_email_token: {
    status: 400,
    oauth: invalidRequest,
  },
  federated_sign_in_failed: {
    status: 400,
    oauth: invalidRequest,
  },
  invalid_request: {
    status: 400,
    oauth: invalidRequest,
  },
  unsupported_grant_type: {
    status: 400,
    oauth: { status: 400, error: 'unsupported_grant_type' },
  },
  invalid_credentials: {
    status: 401,
    oauth: invalidRequest,
  },
  mfa_required: {
    status: 401,
    oauth: invalidRequest,
  },
  invalid_mfa_code: {
    status: 401,
    oauth: invalidRequest,
  },
  invalid_mfa_token: {
    status: 401,
    oauth: invalidRequest,
  },
  passkey_sign_in_failed: {
    status: 401,
    oauth: invalidRequest,
  },
  invalid_email_code: {
    status: 401,
    oauth: invalidRequest,
  },
  reauthentication_required: {
    status: 401,
    oauth: invalidRequest,
  },
  invalid_token: {
    status: 401,
    oauth: invalidRequest,
  },
  insufficient_scope: {
    status: 403,
    oauth: { status: 403, error: 'insufficient_scope' },
  },
  admin_required: {
    status: 403,
    oauth: invalidRequest,
  },
  step_up_required: {
    status: 403,
    oauth: invalidRequest,
  },
  account_disabled: {
    status: 403,
    oauth: { status: 400, error: 'invalid_grant' },
  },
  invalid_refresh_token: {
    status: 401,
    oauth: { status: 400, error: 'invalid_grant' },
  },
  refresh_token_reused: {
    status: 401,
    oauth: { status: 400, error: 'invalid_grant' },
  },
  invalid_client: {
    status: 401,
    oauth: { status: 401, error: 'invalid_client' },
  },
  invalid_grant: {
    status: 400,
    oauth: { status: 400, error: 'invalid_grant' },
  },
  invalid_scope: {
    status: 400,
    oauth: { status: 400, error: 'invalid_scope' },
  },
  invalid_target: {
    status: 400,
    oauth: { status: 400, error: 'invalid_target' },
  },
  unauthorized_client: {
    status: 400,
    oauth: { status: 400, error: 'unauthorized_client' },
  },
  invalid_redirect_uri: {
    status: 400,
    oauth: { status: 400, error: 'invalid_redirect_uri' },
  },
  invalid_client_metadata: {
    status: 400,
    oauth: { status: 400, error: 'invalid_client_metadata' },
  },
  webhook_url_refused: {
    status: 400,
    oauth: invalidRequest,
  },
  user_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  grant_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  webhook_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  webhook_delivery_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  webhook_delivery_pending: {
    status: 409,
    oauth: invalidRequest,
  },
  authorization_server_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
  },
  not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  csrf_rejected: {
    status: 403,
    oauth: invalidRequest,
  },
  passkey_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  provider_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  identity_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  session_not_found: {
    status: 404,
    oauth: invalidRequest,
  },
  username_taken: {
    status: 409,
    oauth: invalidRequest,
  },
  email_taken: {
    status: 409,
    oauth: invalidRequest,
  },
  identity_taken: {
    status: 409,
    oauth: invalidRequest,
  },
  provider_already_linked: {
    status: 409,
    oauth: invalidRequest,
  },
  passkey_exists: {
    status: 409,
    oauth: invalidRequest,
  },
  last_sign_in_method: {
    status: 409,
    oauth: invalidRequest,
  },
  totp_enabled: {
    status: 409,
    oauth: invalidRequest,
  },
  totp_not_enrolled: {
    status: 409,
    oauth: invalidRequest,
  },
  password_changed_concurrently: {
    status: 409,
    oauth: invalidRequest,
  },
  payload_too_large: {
    status: 413,
    oauth: { status: 413, error: 'invalid_request' },
  },
  unsupported_media_type: {
    status: 415,
    oauth: invalidRequest,
  },
  rate_limited: {
    status: 429,
    oauth: { status: 429, error: 'temporarily_unavailable' },
  },
  server_misconfigured: {
    status: 500,
    oauth: serverError,
  },
  internal_error: {
    status: 500,
    oauth: serverError,
  },
  email_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
  },
  provider_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
  },
  temporarily_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
  },
} as const satisfies Record<string, ErrorEntry>

export type ErrorCode = keyof typeof ERRORS
export type ErrorStatus = (typeof ERRORS)[ErrorCode]['status']

/** RFC 9110's reason phrase for each status the service answers with. */
export const TITLES: Record<ErrorStatus, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
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
    readonly extra: {
      errors?: FieldError[]
      challenge?: 'bare'
      retryAfter?: number
      /** With mfa_required: the token for the second step (a problem extension member). */
      mfaToken?: string
    } = {},
  ) {
    super(detail)
    this.name = 'ApiError'
    this.status = ERRORS[code].status
  }
}
