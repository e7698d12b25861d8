// The bodies the API accepts and returns. Request bodies are strict: unknown keys, `__proto__`
// included, are refused. The same schemas validate requests and describe them in /openapi.json,
// and the services' types are inferred from them, so the document cannot drift from the code.
// Plain zod, no Hono. Limits are published as enforced (see test/http/openapi.replay.test.ts).
import * as z from 'zod'
import { parseEmailAddress } from './auth/email-address'
import { CREDENTIAL_ID_MAX_LENGTH } from './auth/webauthn/credential-id'
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  normalizePassword,
  passwordLength,
} from './auth/passwords'
import { LANGUAGES } from './i18n/languages'

/** UTF-16 units a raw string may have before it is normalised: a cheap bound on the work. */
const RAW_INPUT_MAX = 4 * PASSWORD_MAX_LENGTH

/** Opaque refresh tokens and JWTs are both well under this; longer values are refused unread. */
const TOKEN_PARAM_MAX_LENGTH = 8 * 1024

const USERNAME_RULE = 'must be 3 to 32 characters: letters, digits, _ . -'

/**
 * NFKC first, so full-width and other look-alike spellings map to one ASCII name; the document
 * publishes the rule for the normalised name, which is what a client should send.
 */
export const Username = z
  .preprocess(
    (value) =>
      typeof value === 'string' && value.length <= RAW_INPUT_MAX ? value.normalize('NFKC') : value,
    z
      .string({ error: 'must be a string' })
      .min(3, USERNAME_RULE)
      .max(32, USERNAME_RULE)
      .regex(/^[A-Za-z0-9_.-]+$/, USERNAME_RULE),
  )
  .meta({
    description:
      'Letters, digits, _ . - (NFKC look-alikes such as full-width letters are mapped to them); unique regardless of case',
    example: 'alice',
  })

const passwordRule = `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`

export const Password = z
  .string({ error: 'must be a string' })
  .max(RAW_INPUT_MAX, passwordRule)
  .meta({
    description: 'Counted in Unicode code points after NFKC normalisation',
    // The limits as enforced, after normalisation (the raw string may be up to RAW_INPUT_MAX).
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    example: 'correct horse battery staple',
  })
  // A lone surrogate encodes as U+FFFD, so two such passwords would hash the same.
  .refine((value) => value.isWellFormed(), 'must be valid Unicode text')
  .transform(normalizePassword)
  .refine((value) => {
    const length = passwordLength(value)
    return length >= PASSWORD_MIN_LENGTH && length <= PASSWORD_MAX_LENGTH
  }, passwordRule)

/**
 * The password that confirms an action on one's own account. Optional: an account with no
 * password (made by a sign-in at another provider) confirms with a recent sign-in instead. A
 * blank value (an empty form field) is no password.
 */
export const ConfirmingPassword = z
  .preprocess((value) => (value === '' ? undefined : value), Password.optional())
  .meta({
    description:
      "The account's password; omit it when the account has none, which must then have signed in within the last 10 minutes",
  })

export const Credentials = z
  .strictObject({ username: Username, password: Password })
  .meta({ id: 'Credentials' })

/** How a browser sign-in keeps its refresh token: in the body (the seed's), or in a cookie. */
const TokenMode = z.enum(['token', 'cookie'], { error: 'must be token or cookie' }).meta({
  description:
    'token (default): the refresh token is in the response body. cookie: it is set as the HttpOnly cookie __Host-refresh_token instead, and the request must come from an allowed origin',
})

/**
 * The seed's `{token}` body for /token and /logout. Any string; the service judges its shape.
 * Without it (an empty body or `{}`), the refresh cookie is used.
 */
export const RefreshTokenBody = z
  .strictObject({
    token: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(1024, 'is too long')
      .optional()
      .meta({
        description:
          'A refresh token from /login or /token; omit it to use the __Host-refresh_token cookie',
      }),
  })
  .meta({ id: 'RefreshTokenRequest' })

/** A TOTP code (6 digits) or a recovery code (`abcde-fghjk`); spaces and dashes are ignored. */
const SecondFactorCode = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(64, 'is too long')
  .meta({ description: 'A 6-digit TOTP code, or a recovery code', example: '123456' })

export const MfaLoginBody = z
  .strictObject({
    mfaToken: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(1024, 'is too long')
      .meta({ description: 'The `mfaToken` member of the mfa_required answer from POST /login' }),
    code: SecondFactorCode,
    mode: TokenMode.optional(),
  })
  .meta({ id: 'MfaLoginRequest' })

/** Turning on a second factor asks for the password: an access token alone (stolen, say) cannot. */
export const PasswordConfirmation = z
  .strictObject({ password: ConfirmingPassword })
  .meta({ id: 'PasswordConfirmation' })

export const TotpCodeBody = z
  .strictObject({
    code: z
      .string({ error: 'must be a string' })
      .length(6, 'must be 6 digits')
      .regex(/^[0-9]+$/, 'must be 6 digits')
      .meta({ description: 'The current code from the authenticator app', example: '123456' }),
  })
  .meta({ id: 'TotpCodeRequest' })

export const DisableTotpBody = z
  .strictObject({ code: SecondFactorCode.optional(), password: Password.optional() })
  .meta({
    id: 'DisableTotpRequest',
    description:
      'A current TOTP (or recovery) code, or the password; with both, both must be right; with neither, 401 invalid_credentials',
  })

export const ChangePasswordBody = z
  .strictObject({ currentPassword: ConfirmingPassword, newPassword: Password })
  .meta({ id: 'ChangePasswordRequest' })

export const DeleteAccountBody = z
  .strictObject({ password: ConfirmingPassword })
  .meta({ id: 'DeleteAccountRequest' })

/** `?scope=` on logout, as Supabase spells it. */
export const LogoutQuery = z.object({
  scope: z
    .enum(['local', 'others', 'global'], { error: 'must be local, others or global' })
    .optional()
    .meta({
      description:
        'local (default): this session; others: every other session of the user; global: all of them',
    }),
})

export const SessionIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64, 'is too long')
    .meta({ param: { name: 'id', in: 'path' }, example: '0b9f7c2e-5d1a-4c3e-9f8b-2a6d4e1c7b90' }),
})

// Response shapes, for the OpenAPI document only: responses are built by the service, not parsed.

export const PublicUserSchema = z
  .object({
    id: z.string().uuid(),
    username: z.string(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'User' })

/** What cookie mode answers: the access token only; the refresh token is in the cookie. */
export const AccessTokenSchema = z
  .object({
    accessToken: z.string().meta({ description: 'JWT; send as `Authorization: Bearer`' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Access token lifetime in seconds' }),
  })
  .meta({ id: 'AccessToken' })

export const TokenPairSchema = AccessTokenSchema.extend({
  refreshToken: z.string().meta({ description: 'Opaque; single use, rotates on refresh' }),
}).meta({ id: 'TokenPair' })

/** POST /session/resume: the browser's session, if its cookie holds a live one; never a 401. */
export const SessionResumeSchema = z
  .discriminatedUnion('signedIn', [
    AccessTokenSchema.extend({ signedIn: z.literal(true) }),
    z.object({ signedIn: z.literal(false) }),
  ])
  .meta({ id: 'SessionResume' })

export const TotpEnrolmentSchema = z
  .object({
    secret: z.string().meta({ description: 'Base32, for typing into an authenticator app' }),
    otpauthUri: z.string().meta({
      description: 'otpauth://totp/… for a QR code (SHA-1, 6 digits, 30 s)',
    }),
  })
  .meta({ id: 'TotpEnrolment' })

export const RecoveryCodesSchema = z
  .object({
    recoveryCodes: z.array(z.string()).length(10).meta({
      description: 'Ten single-use codes, shown this once; each stands in for a TOTP code',
    }),
  })
  .meta({ id: 'RecoveryCodes' })

// Passkeys (WebAuthn). Credentials are what the browser's PublicKeyCredential.toJSON() (or
// @simplewebauthn/browser) produces; src/auth/webauthn/ checks their contents, so these
// schemas bound their size and shape only, and let members a newer browser adds through.

const b64url = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'must not be empty')
    .max(max, 'is too long')
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url')

const PasskeyName = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .meta({ description: 'A label for the user, such as "MacBook" or "YubiKey"', example: 'MacBook' })

/** A PublicKeyCredential's JSON, with its ceremony's own `response` members. */
const credentialJson = <R extends z.ZodRawShape>(response: R) =>
  z.looseObject({
    // At most 1023 bytes (WebAuthn L3), the verifier's and the store's limit too.
    id: b64url(CREDENTIAL_ID_MAX_LENGTH),
    rawId: b64url(CREDENTIAL_ID_MAX_LENGTH),
    type: z.literal('public-key'),
    response: z.looseObject(response),
  })

export const PasskeyRegistrationBody = z
  .strictObject({
    credential: credentialJson({
      clientDataJSON: b64url(4096),
      attestationObject: b64url(8192),
      transports: z.array(z.string().max(32)).max(8).optional(),
    }).meta({ description: 'The RegistrationResponseJSON of navigator.credentials.create()' }),
    name: PasskeyName.optional(),
  })
  .meta({ id: 'PasskeyRegistrationRequest' })

export const PasskeySignUpOptionsBody = z
  .strictObject({ username: Username })
  .meta({ id: 'PasskeySignUpOptionsRequest' })

export const PasskeySignUpBody = PasskeyRegistrationBody.extend({
  mode: TokenMode.optional(),
}).meta({ id: 'PasskeySignUpRequest' })

export const PasskeySignInBody = z
  .strictObject({
    credential: credentialJson({
      clientDataJSON: b64url(4096),
      authenticatorData: b64url(4096),
      signature: b64url(1024),
      userHandle: b64url(128).optional(),
    }).meta({ description: 'The AuthenticationResponseJSON of navigator.credentials.get()' }),
    mode: TokenMode.optional(),
  })
  .meta({ id: 'PasskeySignInRequest' })

export const PasskeyRenameBody = z.strictObject({ name: PasskeyName }).meta({ id: 'PasskeyRename' })

export const PasskeyIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(CREDENTIAL_ID_MAX_LENGTH, 'is too long')
    .meta({ param: { name: 'id', in: 'path' }, example: 'hW8FtzQ0V3n4Qm2c4rR6Sw' }),
})

export const PasskeySchema = z
  .object({
    id: z.string().meta({ description: 'The credential id (base64url)' }),
    name: z.string(),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime().nullable(),
    deviceType: z.enum(['singleDevice', 'multiDevice']).meta({
      description:
        'multiDevice: a synced passkey (backup eligible); singleDevice: one authenticator',
    }),
    backedUp: z.boolean(),
    transports: z.array(z.string()),
  })
  .meta({ id: 'Passkey' })

export const CredentialCreationOptionsSchema = z
  .looseObject({ challenge: z.string(), rp: z.looseObject({ name: z.string() }) })
  .meta({
    id: 'CredentialCreationOptions',
    description:
      'PublicKeyCredentialCreationOptionsJSON: pass to PublicKeyCredential.parseCreationOptionsFromJSON() or startRegistration()',
  })

export const CredentialRequestOptionsSchema = z.looseObject({ challenge: z.string() }).meta({
  id: 'CredentialRequestOptions',
  description:
    'PublicKeyCredentialRequestOptionsJSON: pass to PublicKeyCredential.parseRequestOptionsFromJSON() or startAuthentication()',
})

/** An email address as RFC 5321 accepts it (auth/email-address.ts), domain lower-cased. */
export const EmailAddress = z
  .string({ error: 'must be a string' })
  .max(254, 'must be at most 254 characters')
  .transform((value, ctx) => {
    const parsed = parseEmailAddress(value)
    if (parsed === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an email address such as alice@example.com',
      })
      return z.NEVER
    }
    return parsed
  })
  .meta({
    format: 'email',
    description:
      'An address such as alice@example.com: RFC 5321, ASCII, a dot-atom local part (no quoted strings) and a host name (no IP literal)',
  })

/** Sign-up: the credentials, and optionally an address (a link to confirm it is mailed). */
export const RegisterBody = Credentials.extend({ email: EmailAddress.optional() }).meta({
  id: 'RegisterRequest',
})

/** Who signs in: a username, or the account's verified address (no username has an `@`). */
export const LoginName = z
  .union([Username, EmailAddress], {
    error: 'must be a username or an email address',
  })
  .meta({
    description: "A username, or the account's verified email address",
    example: 'alice',
  })

export const LoginBody = z
  .strictObject({ username: LoginName, password: Password, mode: TokenMode.optional() })
  .meta({ id: 'LoginRequest' })

export const EmailChangeBody = z
  .strictObject({ email: EmailAddress, password: ConfirmingPassword })
  .meta({ id: 'EmailChangeRequest' })

export const EmailTokenBody = z
  .strictObject({
    token: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(128, 'is too long'),
  })
  .meta({ id: 'EmailTokenRequest' })

export const ForgotPasswordBody = z
  .strictObject({
    login: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(254, 'is too long')
      .meta({ description: 'The username, or the verified email address', example: 'alice' }),
  })
  .meta({ id: 'ForgotPasswordRequest' })

/** The most passkeys one reset may name for removal (an account has far fewer). */
const RESET_REMOVALS_MAX = 100

export const ResetPasswordBody = z
  .strictObject({
    token: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(128, 'is too long'),
    newPassword: Password,
    removePasskeys: z
      .union([
        z
          .array(
            z.string().min(1, 'must not be empty').max(CREDENTIAL_ID_MAX_LENGTH, 'is too long'),
          )
          .max(RESET_REMOVALS_MAX, 'has too many ids'),
        z.literal('all'),
      ])
      .optional()
      .meta({
        description:
          'Passkeys to remove with the reset: ids from `POST /password/reset/inspect`, or `"all"`. An id that is not one of the account\'s refuses the whole reset (404 `passkey_not_found`) without spending the token',
      }),
    disableTotp: z.boolean({ error: 'must be a boolean' }).optional().meta({
      description:
        'Turn two-factor authentication off (and drop its recovery codes). When it is on, `code` must be a current code or a recovery code: the mailbox alone does not get past the second factor (401 `invalid_mfa_code`, the token not spent)',
    }),
    code: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(64, 'is too long')
      .optional()
      .meta({
        description: 'With `disableTotp`: a code from the authenticator app, or a recovery code',
      }),
  })
  .meta({ id: 'ResetPasswordRequest' })

export const WaysInSchema = z
  .object({
    passkeys: z.array(
      z.object({
        id: z.string().meta({ description: 'The credential id (base64url)' }),
        name: z.string(),
        createdAt: z.string().datetime().meta({ description: 'When it was added' }),
      }),
    ),
    totp: z.object({ enabled: z.boolean() }),
    identities: z.array(
      z.object({
        provider: z.string().meta({ description: 'The provider id it signs in at' }),
        linkedAt: z.string().datetime(),
      }),
    ),
  })
  .meta({
    id: 'ResetWaysIn',
    description:
      'The persistent ways into the account besides its password, which a reset may remove',
  })

export const ForgotPasswordAnswer = z
  .object({ message: z.string() })
  .meta({ id: 'ForgotPasswordAnswer', description: 'The same whether or not the account exists' })

export const EmailPendingSchema = z
  .object({
    email: z.string().meta({ description: 'The address the link was sent to' }),
    expiresAt: z.string().datetime().meta({ description: 'When the link stops working' }),
  })
  .meta({ id: 'EmailVerificationSent' })

export const EmailSchema = z
  .object({ email: z.string().nullable().meta({ description: 'The verified address, or null' }) })
  .meta({ id: 'Email' })

/** The language an account's email is written in (PUT /users/me/language). */
export const LanguageBody = z
  .strictObject({
    language: z.enum(LANGUAGES, { error: 'must be one of en, fr, es' }).meta({
      description: 'The language of the account’s email from now on',
      example: 'fr',
    }),
  })
  .meta({ id: 'LanguageRequest' })

export const LanguageSchema = z
  .object({
    language: z
      .enum(LANGUAGES)
      .nullable()
      .meta({ description: 'The language of the account’s email; null: each request’s' }),
  })
  .meta({ id: 'Language' })

// The caller's own security events (GET /users/me/activity)

/** Every list's page: `?limit=` 1 to 100 (50 when absent). */
export const PAGE_LIMIT_DEFAULT = 50
export const PAGE_LIMIT_MAX = 100
/** Longer than any cursor a list writes (a few dozen characters); a longer one is none of them. */
export const CURSOR_MAX_LENGTH = 512
const pageLimitRule = `must be a whole number from 1 to ${PAGE_LIMIT_MAX}`

/** `?limit=&cursor=`, as every list reads them (services/cursor.ts reads the cursor itself). */
export const PageQuery = z.object({
  limit: z.coerce
    .number({ error: pageLimitRule })
    .int(pageLimitRule)
    .min(1, pageLimitRule)
    .max(PAGE_LIMIT_MAX, pageLimitRule)
    .optional()
    .meta({ description: `Items per page (default ${PAGE_LIMIT_DEFAULT})`, example: 20 }),
  cursor: z
    .string()
    .min(1)
    .max(CURSOR_MAX_LENGTH)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor this list gave')
    .optional()
    .meta({ description: "The previous page's `nextCursor`, as given (opaque)" }),
})

/** Who caused an event, as its owner is told (never which administrator or key). */
export const ACTIVITY_ACTORS = ['you', 'admin', 'service', 'someone'] as const

export const ActivityEventSchema = z
  .object({
    id: z.string(),
    type: z.string().meta({
      description:
        'The audit type: sign_in.succeeded, sign_in.failed, password.changed, mfa.totp_enabled, user.disabled… (new types may appear)',
      example: 'sign_in.succeeded',
    }),
    at: z.string().datetime(),
    device: z.string().nullable().meta({
      description:
        'The device in words, from the User-Agent ("Chrome on macOS"); null when unknown or when an administrator or the service acted',
      example: 'Chrome on macOS',
    }),
    country: z
      .string()
      .nullable()
      .meta({ description: 'ISO 3166 code from Cloudflare; null as `device` is', example: 'PT' }),
    location: z.string().nullable().meta({
      description: "The country's name in the Accept-Language language; null as `country` is",
      example: 'Portugal',
    }),
    actor: z.enum(ACTIVITY_ACTORS).meta({
      description:
        'you: a request signed in as you; admin: an administrator or a server of the operator (never which); service: this service on its own; someone: a request that had not proven it was you (a failed sign-in, a refresh token used after its session moved on)',
    }),
    attention: z.boolean().meta({
      description:
        'Worth checking: a failed or throttled sign-in, a refresh token reused, a wrong password when confirming a change',
    }),
    detail: z
      .object({
        method: z.string().optional().meta({ description: 'How a sign-in was made' }),
        provider: z.string().optional().meta({ description: 'The other provider, by its id' }),
        reason: z.string().optional().meta({ description: 'Why something was refused' }),
        scope: z.string().optional(),
        language: z.string().optional(),
      })
      .meta({ description: "Codes this service chose; never a secret or another party's id" }),
  })
  .meta({ id: 'ActivityEvent' })

export const ActivityPageSchema = z
  .object({
    events: z.array(ActivityEventSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
  })
  .meta({ id: 'ActivityPage' })

/** RFC 6749 §6 refresh request, as `application/x-www-form-urlencoded`. */
export const OAuthTokenForm = z
  .object({
    grant_type: z
      .string()
      .optional()
      .meta({ description: '`authorization_code` or `refresh_token`', example: 'refresh_token' }),
    refresh_token: z.string().max(TOKEN_PARAM_MAX_LENGTH).optional(),
    code: z.string().max(TOKEN_PARAM_MAX_LENGTH).optional(),
    code_verifier: z.string().max(TOKEN_PARAM_MAX_LENGTH).optional().meta({
      description:
        'PKCE (RFC 7636): the verifier whose S256 challenge the authorization request sent',
    }),
    redirect_uri: z.string().max(2048).optional(),
    resource: z.string().max(2048).optional().meta({
      description: "RFC 8707: the resource the tokens are for; must be the grant's",
    }),
    client_id: z.string().max(1024).optional(),
    client_secret: z.string().max(256).optional().meta({
      description: 'Only for a client registered with client_secret_post',
    }),
    client_assertion_type: z.string().max(128).optional(),
    client_assertion: z.string().max(TOKEN_PARAM_MAX_LENGTH).optional().meta({
      description: 'private_key_jwt (RFC 7523): a JWT the client signs with its registered key',
    }),
    scope: z.string().max(1024).optional(),
  })
  .meta({ id: 'OAuthTokenRequest' })

/** RFC 7009 §2.1 revocation request. */
export const OAuthRevokeForm = z
  .object({
    token: z.string().max(TOKEN_PARAM_MAX_LENGTH).optional(),
    token_type_hint: z.string().max(64).optional(),
    client_id: z.string().max(1024).optional(),
    client_secret: z.string().max(256).optional(),
    client_assertion_type: z.string().max(128).optional(),
    client_assertion: z.string().max(TOKEN_PARAM_MAX_LENGTH).optional(),
  })
  .meta({ id: 'OAuthRevokeRequest' })

export const OAuthTokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string().optional().meta({
      description:
        'Absent for a third-party client that did not register refresh_token, and for an OpenID grant without offline_access',
    }),
    scope: z
      .string()
      .optional()
      .meta({ description: 'For a third-party grant: what the token allows' }),
    id_token: z
      .string()
      .optional()
      .meta({ description: 'For a grant with the openid scope: the OpenID Connect ID token' }),
  })
  .meta({ id: 'OAuthTokenResponse' })

/** OpenID Connect Core §5.3.2: the claims the token's scopes release. */
export const UserInfoSchema = z
  .object({
    sub: z.string().meta({ description: "The user's id: stable, never reused" }),
    preferred_username: z.string().optional().meta({ description: 'With the profile scope' }),
    email: z.string().optional().meta({ description: 'With the email scope, if verified' }),
    email_verified: z.literal(true).optional(),
  })
  .meta({ id: 'UserInfo' })

/** RFC 7591 §2: the client metadata this service reads; other members are ignored. */
export const ClientRegistrationRequest = z
  .object({
    redirect_uris: z.array(z.string().max(2000)).min(1).max(10),
    token_endpoint_auth_method: z.string().max(64).optional().meta({
      description: '`none` (public), `client_secret_basic` (the default) or `client_secret_post`',
    }),
    grant_types: z.array(z.string().max(64)).max(5).optional(),
    response_types: z.array(z.string().max(64)).max(5).optional(),
    client_name: z.string().max(100).optional(),
    client_uri: z.string().max(2000).optional(),
    jwks: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())).max(10) })
      .optional()
      .meta({ description: 'private_key_jwt: the public keys (or jwks_uri)' }),
    jwks_uri: z.string().max(2000).optional(),
    post_logout_redirect_uris: z
      .array(z.string().max(2000))
      .max(10)
      .optional()
      .meta({ description: 'RP-initiated logout: where the browser may go after signing out' }),
    application_type: z.string().max(16).optional().meta({ description: '`web` or `native`' }),
    id_token_signed_response_alg: z.string().max(16).optional().meta({
      description:
        "RS256 (when OIDC_RSA_KEYS is set; then the default) or the access tokens' algorithm (ES256 or EdDSA)",
    }),
    subject_type: z.string().max(16).optional().meta({ description: 'Only `public`' }),
    userinfo_signed_response_alg: z
      .string()
      .max(16)
      .optional()
      .meta({ description: 'Not supported: refused' }),
    id_token_encrypted_response_alg: z
      .string()
      .max(32)
      .optional()
      .meta({ description: 'Not supported: refused' }),
    userinfo_encrypted_response_alg: z
      .string()
      .max(32)
      .optional()
      .meta({ description: 'Not supported: refused' }),
    request_object_signing_alg: z
      .string()
      .max(16)
      .optional()
      .meta({ description: 'Not supported: refused' }),
  })
  .meta({ id: 'ClientRegistrationRequest' })

/** RFC 7591 §3.2.1. */
export const ClientRegistrationResponse = z
  .object({
    client_id: z.string(),
    client_secret: z.string().optional().meta({ description: 'Shown once; stored only hashed' }),
    client_id_issued_at: z.number().int(),
    client_secret_expires_at: z.literal(0).optional(),
    redirect_uris: z.array(z.string()),
    token_endpoint_auth_method: z.enum([
      'none',
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
    client_name: z.string().optional(),
    client_uri: z.string().optional(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
    jwks_uri: z.string().optional(),
    post_logout_redirect_uris: z.array(z.string()).optional(),
    application_type: z.enum(['web', 'native']).optional(),
    id_token_signed_response_alg: z
      .enum(['RS256', 'ES256', 'EdDSA'])
      .meta({ description: 'What the ID tokens for this client are signed with' }),
  })
  .meta({ id: 'ClientRegistrationResponse' })

export const GrantIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64, 'is too long')
    .meta({ param: { name: 'id', in: 'path' }, example: '5c1e9a7b-2f4d-4b8e-a1c3-7d9e0f2b4a6c' }),
})

/** A third-party app the user has allowed (a grant). */
export const ConnectedAppSchema = z
  .object({
    id: z.string(),
    clientId: z.string(),
    clientName: z.string().nullable(),
    resource: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime(),
  })
  .meta({ id: 'ConnectedApp' })

export const SessionSchema = z
  .object({
    id: z.string(),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime(),
    idleExpiresAt: z
      .string()
      .datetime()
      .meta({ description: 'When the session ends unless it is used again' }),
    expiresAt: z.string().datetime().meta({
      description: 'When the session ends however active it is: SESSION_MAX_AGE after sign-in',
    }),
    device: z.string().meta({
      description:
        'The device in words, read from the User-Agent: "Chrome on macOS", "Safari on iPhone", "curl", or "Unknown device"',
      example: 'Chrome on macOS',
    }),
    location: z.string().nullable().meta({
      description:
        'Where it signed in, from Cloudflare: "City, Country" or "Country" (English names), null when unknown',
      example: 'Lisbon, Portugal',
    }),
    userAgent: z
      .string()
      .nullable()
      .meta({ description: 'The raw User-Agent (first 256 characters); `device` reads it' }),
    country: z.string().nullable().meta({ description: 'ISO 3166 code, when Cloudflare knows it' }),
    current: z.boolean().meta({ description: 'The session of the access token that asked' }),
  })
  .meta({ id: 'Session' })

// The services' types, inferred from the schemas above.
export type Credentials = z.output<typeof Credentials>
/** A sign-in's name: a username or a verified address. */
export type LoginCredentials = Omit<z.output<typeof LoginBody>, 'mode'>
export type MfaLogin = z.output<typeof MfaLoginBody>
export type Registration = z.output<typeof RegisterBody>
export type PasskeyView = z.infer<typeof PasskeySchema>
export type TokenPair = z.infer<typeof TokenPairSchema>
export type PublicUser = z.infer<typeof PublicUserSchema>
export type SessionView = z.infer<typeof SessionSchema>
export type ActivityEvent = z.infer<typeof ActivityEventSchema>
export type ActivityPage = z.infer<typeof ActivityPageSchema>
/** Which sessions a logout ends: the token's own (the seed's), all but it, or all of them. */
export type LogoutScope = NonNullable<z.output<typeof LogoutQuery>['scope']>

// Identities at other providers

export const ProviderIdParam = z.object({
  // The exact id rule (PROVIDER_ID) is the provider table's; an id that breaks it names none.
  provider: z
    .string()
    .min(1)
    .max(32)
    .regex(/^[a-z0-9-]+$/, 'must be a provider id')
    .meta({ param: { name: 'provider', in: 'path' }, example: 'google' }),
})

export const IdentitySchema = z
  .object({
    provider: z.string().meta({ description: 'The provider id (an `AUTH_PROVIDERS` key)' }),
    name: z.string().meta({ description: 'Its display name' }),
    email: z
      .string()
      .nullable()
      .meta({ description: 'The address the provider last gave; never used to find an account' }),
    linkedAt: z.string().datetime(),
    lastUsedAt: z.string().datetime().nullable(),
  })
  .meta({ id: 'Identity' })

export const ProviderSchema = z
  .object({
    id: z.string().meta({ description: 'Sign in at `GET /signin/{id}?return_to=…`' }),
    name: z.string(),
    type: z.enum(['oidc', 'google', 'github', 'apple', 'microsoft']),
  })
  .meta({ id: 'Provider' })

export const IdTokenSignInBody = z
  .strictObject({
    idToken: z
      .string()
      .min(1)
      // Real ID tokens are 1-8 KiB; the body as a whole is capped at 16 KiB.
      .max(12 * 1024)
      .regex(/^[A-Za-z0-9._-]+$/, 'must be a compact JWT')
      .meta({
        description: "The ID token the platform's own sign-in gave the app (Google, Apple)",
      }),
    nonce: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .meta({ description: 'The nonce the app sent with its sign-in; the token must carry it' }),
    mode: TokenMode.optional(),
  })
  .meta({ id: 'IdTokenSignIn' })

export const EmailCodeRequestBody = z.strictObject({ email: EmailAddress }).meta({
  id: 'EmailCodeRequest',
})

export const EmailCodeSignInBody = z
  .strictObject({
    email: EmailAddress,
    code: z
      .string({ error: 'must be a string' })
      .length(6, 'must be the 6 digits from the email')
      .regex(/^[0-9]+$/, 'must be the 6 digits from the email')
      .meta({ example: '042517' }),
    mode: TokenMode.optional(),
  })
  .meta({ id: 'EmailCodeSignIn' })
