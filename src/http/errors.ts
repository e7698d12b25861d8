// The one place that turns errors into HTTP responses: problem JSON, or OAuth's on its routes.
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../env'
import { ConfigError } from '../env'
import { StorageError } from '../store/errors'
import { MailSetupError } from '../mail/mailer'
import { NO_STORE, OAUTH_NO_STORE } from './headers'
import { ApiError, ERRORS, type FieldError, TITLES } from '../errors'
import { log, scrub } from '../log'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords'
import { type Messages, isInstalled, messagesFor } from '../i18n/catalogs'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages'
import { readyLanguage } from './catalog-assets'

/** The realm named in every `WWW-Authenticate: Bearer` challenge (RFC 6750 §3). */
export const AUTH_REALM = 'edge-auth'

/** Seconds a client should wait when email is not set up: an operator has to act first. */
const MAIL_SETUP_RETRY_AFTER_SECONDS = 3600

/** Seconds a client should wait after a storage failure before retrying. */
const STORAGE_RETRY_AFTER_SECONDS = 2

type Translations = { details: Map<string, string>; fields: Map<string, string> }

/**
 * A detail (or a field's message) in `lang`, found by its English text: the services throw
 * English, and the catalog's English entries are exactly those texts. Built once per language.
 */
function translations(t: Messages): Translations {
  const en = messagesFor(DEFAULT_LANGUAGE).problems
  const pairs = <K extends string>(from: Record<K, unknown>, to: Record<K, unknown>) =>
    (Object.keys(from) as K[])
      .filter((key) => typeof from[key] === 'string')
      .map((key) => [from[key] as string, to[key] as string] as const)
  return {
    details: new Map(pairs(en.details, t.problems.details)),
    fields: new Map([
      ...pairs(en.fields, t.problems.fields),
      [
        en.fields.passwordLength(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH),
        t.problems.fields.passwordLength(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH),
      ],
    ]),
  }
}

const translated = new Map<Language, Translations>()

function translationsFor(lang: Language): Translations {
  let found = translated.get(lang)
  if (!found) {
    found = translations(messagesFor(lang))
    // Not kept for a language whose catalog could not be read: a later request may read it.
    if (isInstalled(lang)) translated.set(lang, found)
  }
  return found
}

/**
 * The problem's words in the request's language (the API's: Accept-Language alone): null when
 * the detail is not one the catalog holds, which then stays as thrown.
 */
function localized(
  err: ApiError,
  lang: Language,
): { lang: Language; detail: string; errors?: FieldError[] } | null {
  const { details, fields } = translationsFor(lang)
  const detail = details.get(err.detail)
  if (detail === undefined) return null
  return {
    lang,
    detail,
    ...(err.extra.errors
      ? {
          errors: err.extra.errors.map((e) => ({
            field: e.field,
            message: fields.get(e.message) ?? e.message,
          })),
        }
      : {}),
  }
}

/** Renders RFC 9457 problem JSON, plus an RFC 6750 challenge on 401. */
export async function problem(c: Context<AppEnv>, err: ApiError): Promise<Response> {
  const words = localized(err, await readyLanguage(c))
  const errors = words?.errors ?? err.extra.errors
  const body = {
    type: `urn:edge-auth:problem:${err.code}`,
    title: TITLES[err.status],
    status: err.status,
    detail: words?.detail ?? err.detail,
    code: err.code,
    ...(errors ? { errors } : {}),
    ...(err.extra.mfaToken ? { mfaToken: err.extra.mfaToken } : {}),
    requestId: c.get('requestId'),
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/problem+json',
    ...NO_STORE,
  }
  if (err.extra.retryAfter !== undefined) headers['Retry-After'] = String(err.extra.retryAfter)
  if (words !== null) {
    headers['Content-Language'] = words.lang
    // Appended: CORS's `Vary: Origin` (or a page's) stays.
    c.header('Vary', 'Accept-Language', { append: true })
  }
  // The challenge keeps the English detail: a header is ASCII, and clients parse it.
  if (err.status === 401) {
    // RFC 6750 §3.1: `invalid_token` only when the access token is what failed. A wrong password
    // behind a good token is not, and a client that refreshes on it would send the password twice.
    headers['WWW-Authenticate'] =
      err.code !== 'invalid_token' || err.extra.challenge === 'bare'
        ? `Bearer realm="${AUTH_REALM}"`
        : `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${err.detail}"`
  }
  // RFC 6750 §3.1: a token that is fine but too narrow says so in the challenge too.
  if (err.code === 'insufficient_scope') {
    headers['WWW-Authenticate'] =
      `Bearer realm="${AUTH_REALM}", error="insufficient_scope", error_description="${err.detail}"`
  }
  return c.body(JSON.stringify(body), err.status, headers)
}

/** Renders `{error, error_description}`, as OAuth clients parse it. */
export function oauthError(c: Context<AppEnv>, err: ApiError): Response {
  const { status, error } = ERRORS[err.code].oauth
  const headers: Record<string, string> = { ...OAUTH_NO_STORE }
  if (err.extra.retryAfter !== undefined) headers['Retry-After'] = String(err.extra.retryAfter)
  // RFC 6749 §5.2: a failed client authentication names the scheme the client should use.
  if (status === 401) headers['WWW-Authenticate'] = `Basic realm="${AUTH_REALM}"`
  return c.json({ error, error_description: err.detail }, status, headers)
}

/**
 * Errors under /oauth/ are `{error, error_description}`, as OAuth clients expect. Chosen by path,
 * before the body limit, so even a refused body is answered in the route's format.
 */
export const oauthErrorFormat: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('errorFormat', 'oauth')
  await next()
}

const render = (c: Context<AppEnv>, err: ApiError): Response | Promise<Response> =>
  c.get('errorFormat') === 'oauth' ? oauthError(c, err) : problem(c, err)

export const onError: ErrorHandler<AppEnv> = (err, c) => render(c, toApiError(err, c))

/** What the client is told about any error; what it is not told goes to the log. */
function toApiError(err: Error, c: Context<AppEnv>): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof ConfigError) {
    // Name the variable, never its value.
    log.error('config_invalid', {
      requestId: c.get('requestId'),
      variable: err.variable,
      reason: err.reason,
    })
    return new ApiError(
      'server_misconfigured',
      'The service is misconfigured; its log names the setting',
    )
  }
  if (err instanceof MailSetupError) {
    // Not a 500: the rest of the service works; only what sends email waits for the setting.
    log.error('email_not_configured', { requestId: c.get('requestId'), setting: err.setting })
    return new ApiError('email_unavailable', 'Email is not set up on this service yet', {
      retryAfter: MAIL_SETUP_RETRY_AFTER_SECONDS,
    })
  }
  if (err instanceof StorageError) {
    const cause = err.cause instanceof Error ? err.cause : new Error(String(err.cause))
    log.error('storage_unavailable', {
      requestId: c.get('requestId'),
      store: err.store,
      operation: err.operation,
      errorName: cause.name,
      message: scrub(cause.message),
    })
    return new ApiError(
      'temporarily_unavailable',
      'Storage is temporarily unavailable; retry shortly',
      { retryAfter: STORAGE_RETRY_AFTER_SECONDS },
    )
  }
  if (err instanceof HTTPException && err.status < 500) {
    return new ApiError('bad_request', 'The request could not be processed')
  }
  log.error('unhandled_error', {
    requestId: c.get('requestId'),
    errorName: err.name,
    message: scrub(err.message),
  })
  return new ApiError('internal_error', 'An unexpected error occurred')
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problem(c, new ApiError('not_found', 'There is no such route'))
