// The language of the signed-in user's email: GET and PUT /users/me/language.
import { requireAuth } from '../auth/require-auth'
import { createRoute, documentedRoutes } from '../http/documented-routes'
import {
  BEARER_ERRORS,
  BODY_ERRORS,
  bearerSecurity,
  jsonContent,
  jsonRequest,
  problems,
} from '../http/openapi'
import { NO_STORE } from '../http/headers'
import { jsonOnly } from '../http/validate'
import { LanguageBody, LanguageSchema } from '../schemas'
import { languageService } from './services'

const getLanguage = createRoute({
  method: 'get',
  path: '/users/me/language',
  operationId: 'getLanguage',
  summary: "The language of the caller's email (null: each request's)",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth] as const,
  responses: {
    200: jsonContent(LanguageSchema, 'The language, or null'),
    ...problems(BEARER_ERRORS),
  },
})

const setLanguage = createRoute({
  method: 'put',
  path: '/users/me/language',
  operationId: 'setLanguage',
  summary:
    "Choose the language of the caller's email (en, fr, es): every mail to the account uses it, whoever causes it",
  tags: ['account'],
  security: bearerSecurity,
  middleware: [requireAuth, jsonOnly] as const,
  request: { body: jsonRequest(LanguageBody) },
  responses: {
    200: jsonContent(LanguageSchema, 'The language now stored'),
    ...problems(BEARER_ERRORS, BODY_ERRORS),
  },
})

export const languageRoutes = documentedRoutes()
  .openapi(getLanguage, async (c) =>
    c.json(await languageService(c).current(c.get('user')!), 200, NO_STORE),
  )
  .openapi(setLanguage, async (c) =>
    c.json(
      await languageService(c).set(c.get('user')!, c.req.valid('json').language),
      200,
      NO_STORE,
    ),
  )
