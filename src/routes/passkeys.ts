// Passkeys: registering, listing, renaming and removing them (signed in), and signing in with
// one. The ceremony options go to navigator.credentials (or @simplewebauthn/browser) as they are.
import { requireAuth } from '../auth/require-auth'
import { relyingParty } from '../env'
import { checkCookieOrigin } from '../http/csrf'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BEARER_ERRORS,
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  bearerSecurity,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { checkLoginLimit, checkRateLimit, clientIp, rateLimit } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import {
  CredentialCreationOptionsSchema,
  CredentialRequestOptionsSchema,
  PasskeyIdParam,
  PasskeyRegistrationBody,
  PasskeyRenameBody,
  PasskeySchema,
  PasskeySignInBody,
  PasskeySignUpBody,
  PasskeySignUpOptionsBody,
  PasswordConfirmation,
} from '../schemas'
import * as z from 'zod'
import { signedIn, tokensOrCookie } from './sign-in'
import { accountService, authService, clientOf, passkeyService } from './services'

const registrationOptions = createRoute({
  method: 'post',
  path: '/users/me/passkeys/options',
  operationId: 'passkeyRegistrationOptions',
  summary: 'Start registering a passkey (after the password): options for credentials.create()',
  tags: ['passkeys'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(PasswordConfirmation) },
  responses: {
    200: jsonContent(CredentialCreationOptionsSchema, 'A challenge for 5 minutes, for this user'),
    ...problems(BEARER_ERRORS, BODY_ERRORS, ['invalid_credentials', 'rate_limited']),
  },
})

const register = createRoute({
  method: 'post',
  path: '/users/me/passkeys',
  operationId: 'registerPasskey',
  summary: "Finish registering a passkey: the authenticator's response to the challenge",
  tags: ['passkeys'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(PasskeyRegistrationBody) },
  responses: {
    201: jsonContent(PasskeySchema, 'Registered'),
    ...problems(BEARER_ERRORS, BODY_ERRORS, ['passkey_registration_failed', 'passkey_exists']),
  },
})

const list = createRoute({
  method: 'get',
  path: '/users/me/passkeys',
  operationId: 'listPasskeys',
  summary: "The caller's passkeys, newest first",
  tags: ['passkeys'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(z.array(PasskeySchema), 'Passkeys'), ...problems(BEARER_ERRORS) },
})

const rename = createRoute({
  method: 'patch',
  path: '/users/me/passkeys/{id}',
  operationId: 'renamePasskey',
  summary: 'Rename a passkey',
  tags: ['passkeys'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { params: PasskeyIdParam, body: jsonRequest(PasskeyRenameBody) },
  responses: {
    200: jsonContent(PasskeySchema, 'Renamed'),
    ...problems(BEARER_ERRORS, BODY_ERRORS, ['passkey_not_found']),
  },
})

const remove = createRoute({
  method: 'delete',
  path: '/users/me/passkeys/{id}',
  operationId: 'deletePasskey',
  summary: 'Remove a passkey (refused when it is the only way left to sign in)',
  tags: ['passkeys'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  request: { params: PasskeyIdParam },
  responses: {
    204: { description: 'Removed' },
    ...problems(BEARER_ERRORS, [
      'validation_failed',
      'payload_too_large',
      'passkey_not_found',
      'last_sign_in_method',
    ]),
  },
})

const signUpOptions = createRoute({
  method: 'post',
  path: '/register/passkey/options',
  operationId: 'passkeySignUpOptions',
  summary: 'Sign up with a passkey and no password: options for credentials.create()',
  tags: ['passkeys'],
  middleware: [rateLimit('REGISTER_LIMITER', clientIp), jsonOnly] as const,
  request: { body: jsonRequest(PasskeySignUpOptionsBody) },
  responses: {
    200: jsonContent(
      CredentialCreationOptionsSchema,
      'A challenge for 5 minutes, naming the new account',
    ),
    ...problems(BODY_ERRORS, ['username_taken', 'rate_limited'], CONFIG_ERRORS, STORAGE_ERRORS),
  },
})

const signUp = createRoute({
  method: 'post',
  path: '/register/passkey',
  operationId: 'passkeySignUp',
  summary:
    'Finish signing up with a passkey: the account (no password) and its passkey, signed in as /login answers; amr hwk or swk',
  tags: ['passkeys'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(PasskeySignUpBody) },
  responses: {
    200: tokensOrCookie('Signed up and in'),
    ...problems(
      BODY_ERRORS,
      [
        'passkey_registration_failed',
        'passkey_exists',
        'username_taken',
        'csrf_rejected',
        'rate_limited',
      ],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

const signInOptions = createRoute({
  method: 'post',
  path: '/login/passkey/options',
  operationId: 'passkeySignInOptions',
  summary: 'Start a passkey sign-in: options for credentials.get(), for any of your passkeys',
  tags: ['auth'],
  middleware: [rateLimit('TOKEN_LIMITER', clientIp)] as const,
  responses: {
    200: jsonContent(CredentialRequestOptionsSchema, 'A challenge for 5 minutes'),
    ...problems(['payload_too_large', 'rate_limited'], CONFIG_ERRORS),
  },
})

const signIn = createRoute({
  method: 'post',
  path: '/login/passkey',
  operationId: 'passkeySignIn',
  summary: 'Sign in with a passkey: the same answer as /login; amr is hwk or swk',
  tags: ['auth'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(PasskeySignInBody) },
  responses: {
    200: tokensOrCookie('Signed in'),
    ...problems(
      BODY_ERRORS,
      ['passkey_sign_in_failed', 'csrf_rejected', 'rate_limited'],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

export const passkeyRoutes = documentedRoutes()
  .openapi(registrationOptions, async (c) => {
    const caller = c.get('user')!
    await checkLoginLimit(c, caller.username)
    const { password } = c.req.valid('json')
    const options = await accountService(c).passkeyOptions(caller, password, relyingParty(c))
    return c.json(options, 200, NO_STORE)
  })
  .openapi(register, async (c) => {
    const { credential, name } = c.req.valid('json')
    const passkey = await passkeyService(c).register(
      c.get('user')!,
      credential,
      name,
      relyingParty(c),
    )
    return c.json(passkey, 201)
  })
  .openapi(list, async (c) => {
    return c.json(await passkeyService(c).list(c.get('user')!), 200, NO_STORE)
  })
  .openapi(rename, async (c) => {
    const { id } = c.req.valid('param')
    const passkey = await passkeyService(c).rename(c.get('user')!, id, c.req.valid('json').name)
    return c.json(passkey, 200)
  })
  .openapi(remove, async (c) => {
    await passkeyService(c).remove(c.get('user')!, c.req.valid('param').id)
    return c.body(null, 204)
  })
  .openapi(signUpOptions, async (c) => {
    const { username } = c.req.valid('json')
    const options = await passkeyService(c).signUpOptions(username, relyingParty(c))
    return c.json(options, 200, NO_STORE)
  })
  .openapi(signUp, async (c) => {
    const { credential, name, mode } = c.req.valid('json')
    if (mode === 'cookie') checkCookieOrigin(c)
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:passkey`)
    const tokens = await authService(c).passkeySignUp(
      credential,
      name,
      relyingParty(c),
      clientOf(c),
    )
    return signedIn(c, mode, tokens)
  })
  .openapi(signInOptions, async (c) => {
    const options = await passkeyService(c).signInOptions(relyingParty(c))
    return c.json(options, 200, NO_STORE)
  })
  .openapi(signIn, async (c) => {
    const { credential, mode } = c.req.valid('json')
    if (mode === 'cookie') checkCookieOrigin(c)
    await checkRateLimit(c, 'LOGIN_LIMITER', `${clientIp(c)}:passkey`)
    const tokens = await authService(c).passkeySignIn(credential, relyingParty(c), clientOf(c))
    return signedIn(c, mode, tokens)
  })
