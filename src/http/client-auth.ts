// How a token request authenticates its client (RFC 6749 §2.3.1): the form's client_id and
// client_secret, and the Authorization header's Basic credentials, read but not judged (the
// client service decides which the client registered).
import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { ApiError } from '../errors'
import type { ClientCredentials } from '../services/oauth-server/clients'

const malformed = () => new ApiError('invalid_client', 'The Authorization header is malformed')

/** RFC 6749 §2.3.1: both halves form-urlencoded before base64. */
function basicCredentials(header: string): { id: string; secret: string } {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim())
  if (!match) throw malformed()
  let decoded: string
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(match[1]!), (ch) => ch.charCodeAt(0)),
    )
  } catch {
    throw malformed()
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) throw malformed()
  try {
    const unescape = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '))
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) }
  } catch {
    throw malformed()
  }
}

export function clientCredentials(
  c: Context<AppEnv>,
  form: {
    client_id?: string
    client_secret?: string
    client_assertion_type?: string
    client_assertion?: string
  },
): ClientCredentials {
  const header = c.req.header('authorization')
  const { client_assertion_type: type, client_assertion: value } = form
  return {
    ...(form.client_id ? { clientId: form.client_id } : {}),
    ...(form.client_secret ? { clientSecret: form.client_secret } : {}),
    ...(type || value ? { assertion: { type: type ?? '', value: value ?? '' } } : {}),
    ...(header === undefined ? {} : { basic: basicCredentials(header) }),
  }
}
