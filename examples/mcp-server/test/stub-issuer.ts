// A stand-in authorization server on a loopback port: its own signing key, a JWKS and RFC 8414
// metadata, and mint() for RFC 9068 access tokens. The real edge-auth can take its place.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  accessClaims,
  generateSigningKey,
  mintAccessToken,
  signJws,
} from '../../../resource/test/tokens'

export async function startStubIssuer({ alg = 'ES256' }: { alg?: 'ES256' | 'EdDSA' } = {}) {
  const key = await generateSigningKey(alg)
  const hits = { jwks: 0 }
  let issuer = ''
  const server = createServer((req, res) => {
    const json = (body: unknown, cache = 'max-age=300') =>
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': cache })
        .end(JSON.stringify(body))
    if (req.url === '/.well-known/jwks.json') {
      hits.jwks++
      return json({ keys: [key.publicJwk] })
    }
    if (req.url === '/.well-known/oauth-authorization-server') {
      return json({
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/oauth/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
      })
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    issuer,
    hits,
    /** An access token for `resource` (claims as RFC 9068; override any, undefined drops it). */
    mint: (resource: string, overrides: Record<string, unknown> = {}) =>
      mintAccessToken(key, accessClaims(issuer, resource, overrides)),
    /** A token shaped like edge-auth's first-party access tokens, signed by the same key. */
    mintFirstParty: () =>
      signJws(
        key,
        { alg: key.alg, typ: 'JWT', kid: key.kid },
        accessClaims(issuer, 'edge-auth', { token_use: 'access', client_id: undefined }),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
