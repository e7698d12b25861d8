// Dynamic client registration (RFC 7591): any app may register itself, as MCP clients do on
// first contact. Limited per address; a client's secret is shown once and stored hashed; a
// client that never gets a grant lapses (services/oauth-server/clients.ts).
import { createRoute, documentedRoutes } from '../http/documented-routes'
import { OAUTH_NO_STORE } from '../http/headers'
import {
  BODY_ERRORS,
  CONFIG_ERRORS,
  STORAGE_ERRORS,
  jsonContent,
  jsonRequest,
  oauthProblems,
} from '../http/openapi'
import { checkRateLimit, clientIp } from '../http/rate-limit'
import { jsonOnly } from '../http/validate'
import { ClientRegistrationRequest, ClientRegistrationResponse } from '../schemas'
import { authorizationServer, clientService } from './services'

const register = createRoute({
  method: 'post',
  path: '/oauth/register',
  operationId: 'registerClient',
  summary: 'OAuth 2.0 dynamic client registration (RFC 7591): a third-party app or MCP client',
  tags: ['oauth'],
  middleware: [jsonOnly] as const,
  request: { body: jsonRequest(ClientRegistrationRequest) },
  responses: {
    201: jsonContent(
      ClientRegistrationResponse,
      'Registered: the client_id, and a secret shown once',
    ),
    ...oauthProblems(
      BODY_ERRORS,
      [
        'invalid_redirect_uri',
        'invalid_client_metadata',
        'rate_limited',
        'authorization_server_unavailable',
      ],
      CONFIG_ERRORS,
      STORAGE_ERRORS,
    ),
  },
})

export const oauthRegisterRoutes = documentedRoutes().openapi(register, async (c) => {
  authorizationServer(c)
  await checkRateLimit(c, 'REGISTER_LIMITER', `${clientIp(c)}:client`)
  const client = await clientService(c).register(c.req.valid('json'))
  return c.json(client, 201, OAUTH_NO_STORE)
})
