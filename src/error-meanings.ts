// What each error code means, in one line: for docs/errors.md (test/docs.test.ts keeps its table
// in step) and the error responses in /openapi.json (http/openapi-document.ts, at build time). Kept
// apart from errors.ts so the worker, which never shows them, does not carry them.
import type { ErrorCode } from './errors'

export const ERROR_MEANINGS: Record<ErrorCode, string> = {
  bad_request: 'the framework refused the request before our code saw it (e.g. a malformed form)',
  invalid_json: 'the body is declared JSON but does not parse',
  passkey_registration_failed:
    "the authenticator's registration response did not verify (challenge expired, used, another user's or ceremony's; origin; RP ID; user verification)",
  validation_failed:
    "the body, query or path does not match the route's schema; `errors` names the field",
  invalid_cursor: "a list's `cursor` is not one that list gave (start again from the first page)",
  invalid_email_token:
    'the emailed link is unknown, used, replaced by a newer one, expired, or (a reset link) mailed before the password last changed',
  federated_sign_in_failed:
    "a sign-in at another provider did not complete: cancelled there, this browser's sign-in state missing, expired, used or another's, the code refused, the ID token or `iss` wrong",
  invalid_request: 'OAuth routes: a required parameter is missing or empty',
  unsupported_grant_type:
    'OAuth routes: any grant but `refresh_token` (there is no password grant)',
  invalid_credentials:
    'wrong username or password (the same for an unknown user), or wrong current one',
  mfa_required:
    'the password is right and the account has two-factor on: send the `mfaToken` member and a code to `POST /login/mfa`',
  invalid_mfa_code: 'the TOTP or recovery code is wrong, expired or already used',
  invalid_mfa_token:
    'the `mfaToken` is unknown, expired (5 minutes), used, out of attempts (5), or its password changed: sign in again',
  passkey_sign_in_failed:
    "the passkey response did not verify: unknown credential, challenge expired, used or another ceremony's, wrong origin or RP ID, no user verification, bad signature, or a counter that went back",
  invalid_email_code:
    'the sign-in code is wrong, expired (10 minutes), used, replaced by a newer one, or out of tries (5); the same for an address with no account',
  reauthentication_required:
    'the account has no password, and this session signed in more than 10 minutes ago: sign in again (with its provider or passkey), then retry',
  invalid_token:
    'access token missing, malformed, expired, tampered, not an access token, user gone',
  insufficient_scope:
    'the access token or API key is valid but its scope does not allow this (UserInfo needs openid; an /admin route names the scope it needs)',
  admin_required: '/admin routes: the access token is valid but its user is not an admin',
  step_up_required:
    '/admin routes: an admin must have signed in within 15 minutes with a second factor (TOTP or a passkey); sign in again, then retry',
  account_disabled:
    'the credentials were right, but an operator disabled the account: no sign-in, code exchange or refresh until it is enabled',
  invalid_refresh_token: 'refresh token unknown, expired or revoked, or its session has ended',
  refresh_token_reused: 'used after its session had moved on, so the session was ended, for safety',
  invalid_client:
    'OAuth routes: the client is unknown (never registered, or lapsed: register again), its authentication failed, or it authenticated other than as registered',
  invalid_grant:
    "the authorization code is unknown, expired, used, another client's, or its redirect_uri, code_verifier or resource does not match",
  invalid_scope: 'a scope is not one the resource defines, or wider than the grant',
  invalid_target:
    'the `resource` is not one this service issues tokens for (PROTECTED_RESOURCES), or several were asked',
  unauthorized_client: 'the client did not register this grant type',
  invalid_redirect_uri:
    'client registration: a redirect URI is not https, a loopback http URI or a private-use scheme, or has a fragment or userinfo',
  invalid_client_metadata: 'client registration: a metadata value is invalid or unsupported',
  webhook_url_refused:
    'admin API: a webhook URL must be https to a public host name on the default port: no IP address, userinfo, fragment, or private name (`localhost`, `.local`, `.internal`...)',
  user_not_found: 'admin API: no user with that id',
  grant_not_found: 'the user has no such connected app (grant)',
  webhook_not_found: 'admin API: no webhook endpoint with that id',
  webhook_delivery_not_found: 'admin API: no webhook delivery with that id',
  webhook_delivery_pending:
    'admin API: the delivery is still queued or retrying; redeliver it once it has succeeded or is dead',
  authorization_server_unavailable:
    'the authorization server is off (JWT_ISSUER must be its https URL, the keys asymmetric), or a client registered RS256 and OIDC_RSA_KEYS is unset; the detail names the setting',
  not_found: 'no such route (also a known path with the wrong method)',
  csrf_rejected:
    'cookie mode: the request did not come from this service or a same-site `ALLOWED_ORIGINS` origin',
  passkey_not_found: 'no such passkey of yours (also one of another user)',
  provider_not_found: 'no provider with that id in `AUTH_PROVIDERS`',
  identity_not_found: 'your account has no identity at that provider',
  session_not_found: "`DELETE /sessions/{id}`: no such session of yours (also another user's)",
  username_taken: 'the username is registered already, in any case or width',
  email_taken: 'that address is verified for another account (compared ignoring case)',
  identity_taken: 'that identity at the provider already signs in to another account',
  provider_already_linked:
    'your account already has an identity at that provider: disconnect it first to connect another',
  passkey_exists: 'that credential is registered already',
  last_sign_in_method: 'removing it would leave the account no way to sign in',
  totp_enabled: 'two-factor authentication is already on',
  totp_not_enrolled:
    'no pending TOTP enrolment to confirm (start one with `POST /users/me/totp`), or TOTP is off',
  password_changed_concurrently:
    'another change or reset wrote the password between this request checking it and writing it: this one changed nothing (a reset link it used is spent)',
  payload_too_large: 'body over 16 KiB, with or without `Content-Length`',
  unsupported_media_type: "a JSON route's body is not declared `application/json` (or `+json`)",
  rate_limited: 'too many requests from this client, or failed logins for this username',
  server_misconfigured: 'a secret or setting is missing or unusable; the log names the variable',
  internal_error: 'a bug; logged as `unhandled_error` with the request id',
  email_unavailable:
    'email is not set up (the `EMAIL` binding or `MAIL_FROM`, or an invalid mail setting); the log names the setting',
  provider_unavailable:
    'the provider is misconfigured here, unreachable, or answered something unusable; the log names the setting or the failure',
  temporarily_unavailable: 'D1 or KV failed; retry after `Retry-After`; the cause is logged',
}
