// The one error type a client is shown, and the one table of every code it can carry.
// Plain TypeScript, no Hono: services and auth/ throw ApiError; http/errors.ts renders it, and
// the OpenAPI document and docs/errors.md are built from ERRORS.

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
  /** One line for docs/errors.md (test/docs.test.ts keeps it in step) and /openapi.json. */
  meaning: string
}

const invalidRequest = { status: 400, error: 'invalid_request' } as const
const serverError = { status: 500, error: 'server_error' } as const

/** Seconds a client should wait when the authorization server is off: an operator has to act. */
export const AUTHORIZATION_SERVER_RETRY_AFTER_SECONDS = 3600

/** Every code, its HTTP status, what the OAuth routes answer instead, and what it means. */
export const ERRORS = {
  bad_request: {
    status: 400,
    oauth: invalidRequest,
    meaning: 'the framework refused the request before our code saw it (e.g. a malformed form)',
  },
  invalid_json: {
    status: 400,
    oauth: invalidRequest,
    meaning: 'the body is declared JSON but does not parse',
  },
  passkey_registration_failed: {
    status: 400,
    oauth: invalidRequest,
    meaning:
      "the authenticator's registration response did not verify (challenge expired, used, another user's or ceremony's; origin; RP ID; user verification)",
  },
  validation_failed: {
    status: 400,
    oauth: invalidRequest,
    meaning: "the body, query or path does not match the route's schema; `errors` names the field",
  },
  invalid_cursor: {
    status: 400,
    oauth: invalidRequest,
    meaning: "a list's `cursor` is not one that list gave (start again from the first page)",
  },
  invalid_email_token: {
    status: 400,
    oauth: invalidRequest,
    meaning:
      'the emailed link is unknown, used, replaced by a newer one, expired, or (a reset link) mailed before the password last changed',
  },
  federated_sign_in_failed: {
    status: 400,
    oauth: invalidRequest,
    meaning:
      "a sign-in at another provider did not complete: cancelled there, this browser's sign-in state missing, expired, used or another's, the code refused, the ID token or `iss` wrong",
  },
  invalid_request: {
    status: 400,
    oauth: invalidRequest,
    meaning: 'OAuth routes: a required parameter is missing or empty',
  },
  unsupported_grant_type: {
    status: 400,
    oauth: { status: 400, error: 'unsupported_grant_type' },
    meaning: 'OAuth routes: any grant but `refresh_token` (there is no password grant)',
  },
  invalid_credentials: {
    status: 401,
    oauth: invalidRequest,
    meaning: 'wrong username or password (the same for an unknown user), or wrong current one',
  },
  mfa_required: {
    status: 401,
    oauth: invalidRequest,
    meaning:
      'the password is right and the account has two-factor on: send the `mfaToken` member and a code to `POST /login/mfa`',
  },
  invalid_mfa_code: {
    status: 401,
    oauth: invalidRequest,
    meaning: 'the TOTP or recovery code is wrong, expired or already used',
  },
  invalid_mfa_token: {
    status: 401,
    oauth: invalidRequest,
    meaning:
      'the `mfaToken` is unknown, expired (5 minutes), used, out of attempts (5), or its password changed: sign in again',
  },
  passkey_sign_in_failed: {
    status: 401,
    oauth: invalidRequest,
    meaning:
      "the passkey response did not verify: unknown credential, challenge expired, used or another ceremony's, wrong origin or RP ID, no user verification, bad signature, or a counter that went back",
  },
  invalid_email_code: {
    status: 401,
    oauth: invalidRequest,
    meaning:
      'the sign-in code is wrong, expired (10 minutes), used, replaced by a newer one, or out of tries (5); the same for an address with no account',
  },
  reauthentication_required: {
    status: 401,
    oauth: invalidRequest,
    meaning:
      'the account has no password, and this session signed in more than 10 minutes ago: sign in again (with its provider or passkey), then retry',
  },
  invalid_token: {
    status: 401,
    oauth: invalidRequest,
    meaning: 'access token missing, malformed, expired, tampered, not an access token, user gone',
  },
  insufficient_scope: {
    status: 403,
    oauth: { status: 403, error: 'insufficient_scope' },
    meaning:
      'the access token or API key is valid but its scope does not allow this (UserInfo needs openid; an /admin route names the scope it needs)',
  },
  admin_required: {
    status: 403,
    oauth: invalidRequest,
    meaning: '/admin routes: the access token is valid but its user is not an admin',
  },
  step_up_required: {
    status: 403,
    oauth: invalidRequest,
    meaning:
      '/admin routes: an admin must have signed in within 15 minutes with a second factor (TOTP or a passkey); sign in again, then retry',
  },
  account_disabled: {
    status: 403,
    oauth: { status: 400, error: 'invalid_grant' },
    meaning:
      'the credentials were right, but an operator disabled the account: no sign-in, code exchange or refresh until it is enabled',
  },
  invalid_refresh_token: {
    status: 401,
    oauth: { status: 400, error: 'invalid_grant' },
    meaning: 'refresh token unknown, expired or revoked, or its session has ended',
  },
  refresh_token_reused: {
    status: 401,
    oauth: { status: 400, error: 'invalid_grant' },
    meaning: 'used after its session had moved on, so the session was ended, for safety',
  },
  invalid_client: {
    status: 401,
    oauth: { status: 401, error: 'invalid_client' },
    meaning:
      'OAuth routes: the client is unknown (never registered, or lapsed: register again), its authentication failed, or it authenticated other than as registered',
  },
  invalid_grant: {
    status: 400,
    oauth: { status: 400, error: 'invalid_grant' },
    meaning:
      "the authorization code is unknown, expired, used, another client's, or its redirect_uri, code_verifier or resource does not match",
  },
  invalid_scope: {
    status: 400,
    oauth: { status: 400, error: 'invalid_scope' },
    meaning: 'a scope is not one the resource defines, or wider than the grant',
  },
  invalid_target: {
    status: 400,
    oauth: { status: 400, error: 'invalid_target' },
    meaning:
      'the `resource` is not one this service issues tokens for (PROTECTED_RESOURCES), or several were asked',
  },
  unauthorized_client: {
    status: 400,
    oauth: { status: 400, error: 'unauthorized_client' },
    meaning: 'the client did not register this grant type',
  },
  invalid_redirect_uri: {
    status: 400,
    oauth: { status: 400, error: 'invalid_redirect_uri' },
    meaning:
      'client registration: a redirect URI is not https, a loopback http URI or a private-use scheme, or has a fragment or userinfo',
  },
  invalid_client_metadata: {
    status: 400,
    oauth: { status: 400, error: 'invalid_client_metadata' },
    meaning: 'client registration: a metadata value is invalid or unsupported',
  },
  webhook_url_refused: {
    status: 400,
    oauth: invalidRequest,
    meaning:
      'admin API: a webhook URL must be https to a public host name on the default port: no IP address, userinfo, fragment, or private name (`localhost`, `.local`, `.internal`...)',
  },
  user_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'admin API: no user with that id',
  },
  grant_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'the user has no such connected app (grant)',
  },
  webhook_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'admin API: no webhook endpoint with that id',
  },
  webhook_delivery_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'admin API: no webhook delivery with that id',
  },
  webhook_delivery_pending: {
    status: 409,
    oauth: invalidRequest,
    meaning:
      'admin API: the delivery is still queued or retrying; redeliver it once it has succeeded or is dead',
  },
  authorization_server_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
    meaning:
      'the authorization server is off (JWT_ISSUER must be its https URL, the keys asymmetric), or a client registered RS256 and OIDC_RSA_KEYS is unset; the detail names the setting',
  },
  not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'no such route (also a known path with the wrong method)',
  },
  csrf_rejected: {
    status: 403,
    oauth: invalidRequest,
    meaning:
      'cookie mode: the request did not come from this service or a same-site `ALLOWED_ORIGINS` origin',
  },
  passkey_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'no such passkey of yours (also one of another user)',
  },
  provider_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'no provider with that id in `AUTH_PROVIDERS`',
  },
  identity_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: 'your account has no identity at that provider',
  },
  session_not_found: {
    status: 404,
    oauth: invalidRequest,
    meaning: "`DELETE /sessions/{id}`: no such session of yours (also another user's)",
  },
  username_taken: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'the username is registered already, in any case or width',
  },
  email_taken: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'that address is verified for another account (compared ignoring case)',
  },
  identity_taken: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'that identity at the provider already signs in to another account',
  },
  provider_already_linked: {
    status: 409,
    oauth: invalidRequest,
    meaning:
      'your account already has an identity at that provider: disconnect it first to connect another',
  },
  passkey_exists: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'that credential is registered already',
  },
  last_sign_in_method: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'removing it would leave the account no way to sign in',
  },
  totp_enabled: {
    status: 409,
    oauth: invalidRequest,
    meaning: 'two-factor authentication is already on',
  },
  totp_not_enrolled: {
    status: 409,
    oauth: invalidRequest,
    meaning:
      'no pending TOTP enrolment to confirm (start one with `POST /users/me/totp`), or TOTP is off',
  },
  password_changed_concurrently: {
    status: 409,
    oauth: invalidRequest,
    meaning:
      'another change or reset wrote the password between this request checking it and writing it: this one changed nothing (a reset link it used is spent)',
  },
  payload_too_large: {
    status: 413,
    oauth: { status: 413, error: 'invalid_request' },
    meaning: 'body over 16 KiB, with or without `Content-Length`',
  },
  unsupported_media_type: {
    status: 415,
    oauth: invalidRequest,
    meaning: "a JSON route's body is not declared `application/json` (or `+json`)",
  },
  rate_limited: {
    status: 429,
    oauth: { status: 429, error: 'temporarily_unavailable' },
    meaning: 'too many requests from this client, or failed logins for this username',
  },
  server_misconfigured: {
    status: 500,
    oauth: serverError,
    meaning: 'a secret or setting is missing or unusable; the log names the variable',
  },
  internal_error: {
    status: 500,
    oauth: serverError,
    meaning: 'a bug; logged as `unhandled_error` with the request id',
  },
  email_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
    meaning:
      'email is not set up (the `EMAIL` binding or `MAIL_FROM`, or an invalid mail setting); the log names the setting',
  },
  provider_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
    meaning:
      'the provider is misconfigured here, unreachable, or answered something unusable; the log names the setting or the failure',
  },
  temporarily_unavailable: {
    status: 503,
    oauth: { status: 503, error: 'temporarily_unavailable' },
    meaning: 'D1 or KV failed; retry after `Retry-After`; the cause is logged',
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
