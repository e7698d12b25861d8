// protectedResource().authenticate: the one accepted shape of token, and every refusal with the
// answer it gets (status, challenge, nothing that echoes the token or says which check failed).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeBase64url, MAX_TOKEN_LENGTH } from '../jws'
import { protectedResource } from '../index'
import { ISSUER, jwksDouble, METADATA_URL, RESOURCE, resourceRequest } from './jwks-double'
import { accessClaims, generateSigningKey, mintAccessToken, signJws } from './tokens'

async function setup(options: { alg?: 'ES256' | 'EdDSA'; scopes?: string[] } = {}) {
  const key = await generateSigningKey(options.alg)
  const jwks = jwksDouble([key])
  const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
  const claims = (overrides: Record<string, unknown> = {}) =>
    accessClaims(ISSUER, RESOURCE, overrides)
  const mint = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    mintAccessToken(key, claims(overrides), header)
  return { key, jwks, rs, claims, mint }
}

/** Authenticates `token` and returns the refusal, asserting what every refusal must not do. */
async function refusal(
  rs: ReturnType<typeof protectedResource>,
  token: string,
  scopes: string[] = [],
) {
  const result = await rs.authenticate(resourceRequest(`Bearer ${token}`), { scopes })
  expect(result.ok).toBe(false)
  if (result.ok) throw new Error('accepted')
  const body = await result.response.clone().text()
  const challenge = result.response.headers.get('WWW-Authenticate') ?? ''
  for (const text of [body, challenge]) {
    expect(text).not.toContain(token.slice(0, 40))
    // The reason is for the resource's logs; only the standard error code goes out.
    if (result.reason !== 'insufficient_scope') expect(text).not.toContain(result.reason)
    expect(text).not.toContain('error_description')
  }
  return { ...result, challenge, body: JSON.parse(body) as { error: string } }
}

const invalidToken = `Bearer error="invalid_token", resource_metadata="${METADATA_URL}"`

afterEach(() => {
  vi.useRealTimers()
})

describe('a valid token', () => {
  it('is accepted with ES256: sub, client id, scopes and claims come back', async () => {
    const { rs, mint, jwks } = await setup()
    const token = await mint({ scope: 'notes:read notes:write' })
    const result = await rs.authenticate(resourceRequest(`Bearer ${token}`), {
      scopes: ['notes:write'],
    })
    expect(result).toMatchObject({
      ok: true,
      token: { sub: 'user-1', clientId: 'client-1', scopes: ['notes:read', 'notes:write'] },
    })
    expect(jwks.calls).toHaveLength(1)
  })

  it('is accepted with EdDSA (Ed25519)', async () => {
    const { rs, mint } = await setup({ alg: 'EdDSA' })
    const result = await rs.authenticate(resourceRequest(`Bearer ${await mint()}`))
    expect(result.ok).toBe(true)
  })

  it('is accepted with typ application/AT+JWT, any case, and a lowercase scheme', async () => {
    const { rs, mint } = await setup()
    const token = await mint({}, { typ: 'application/AT+JWT' })
    expect((await rs.authenticate(resourceRequest(`bearer ${token}`))).ok).toBe(true)
  })

  it('is accepted with aud as an array holding exactly the resource', async () => {
    const { rs, mint } = await setup()
    expect(
      (await rs.authenticate(resourceRequest(`Bearer ${await mint({ aud: [RESOURCE] })}`))).ok,
    ).toBe(true)
  })

  it('is accepted within the clock tolerance on exp, nbf and iat', async () => {
    const { rs, mint } = await setup()
    const now = Math.floor(Date.now() / 1000)
    const token = await mint({ exp: now - 3, nbf: now + 3, iat: now + 3 })
    expect((await rs.authenticate(resourceRequest(`Bearer ${token}`))).ok).toBe(true)
  })

  it('caches the key set: many requests, one fetch', async () => {
    const { rs, mint, jwks } = await setup()
    const token = await mint()
    await Promise.all([1, 2, 3].map(() => rs.authenticate(resourceRequest(`Bearer ${token}`))))
    await rs.authenticate(resourceRequest(`Bearer ${token}`))
    expect(jwks.calls).toHaveLength(1)
  })
})

describe('the token type', () => {
  it.each([['JWT'], ['jwt'], ['at+jwt+x'], [undefined], [42]])('typ %s is refused', async (typ) => {
    const { rs, key, claims } = await setup()
    const token = await signJws(key, { alg: 'ES256', kid: key.kid, typ }, claims())
    const { response, challenge, reason } = await refusal(rs, token)
    expect(response.status).toBe(401)
    expect(challenge).toBe(invalidToken)
    expect(reason).toBe('wrong_type')
  })

  it('refuses a first-party token of the same issuer (typ JWT, token_use, aud edge-auth)', async () => {
    const { rs, key, claims } = await setup()
    const firstParty = claims({ aud: 'edge-auth', token_use: 'access', client_id: undefined })
    const token = await signJws(key, { alg: 'ES256', typ: 'JWT', kid: key.kid }, firstParty)
    expect((await refusal(rs, token)).response.status).toBe(401)
  })

  it('refuses first-party claims even under an at+jwt header and the right aud', async () => {
    const { rs, mint } = await setup()
    const { reason } = await refusal(rs, await mint({ token_use: 'access' }))
    expect(reason).toBe('first_party_token')
  })
})

describe('the algorithm', () => {
  it('refuses alg none with an empty signature', async () => {
    const { rs, key, claims } = await setup()
    const json = (v: unknown) => encodeBase64url(new TextEncoder().encode(JSON.stringify(v)))
    const token = `${json({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${json(claims())}.`
    const { reason, response } = await refusal(rs, token)
    expect(response.status).toBe(401)
    expect(reason).toBe('unsupported_alg')
  })

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const { rs, key, claims } = await setup()
    const json = (v: unknown) => encodeBase64url(new TextEncoder().encode(JSON.stringify(v)))
    const input = `${json({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${json(claims())}`
    for (const secret of [JSON.stringify(key.publicJwk), String(key.publicJwk.x)]) {
      const hmac = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      const mac = await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(input))
      const token = `${input}.${encodeBase64url(new Uint8Array(mac))}`
      expect((await refusal(rs, token)).reason).toBe('unsupported_alg')
    }
  })

  it('refuses a header alg that does not fit the key its kid names', async () => {
    const ed = await generateSigningKey('EdDSA')
    const es = await generateSigningKey('ES256')
    const jwks = jwksDouble([ed, es])
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
    // An Ed25519-signed token that claims ES256 on the EC key's kid, and the reverse.
    const claims = accessClaims(ISSUER, RESOURCE)
    const t1 = await signJws(ed, { alg: 'ES256', typ: 'at+jwt', kid: ed.kid }, claims)
    expect((await refusal(rs, t1)).reason).toBe('unknown_key')
    const t2 = await signJws(es, { alg: 'EdDSA', typ: 'at+jwt', kid: es.kid }, claims)
    expect((await refusal(rs, t2)).reason).toBe('unknown_key')
  })

  it('refuses a crit header it cannot understand', async () => {
    const { rs, mint } = await setup()
    expect((await refusal(rs, await mint({}, { crit: ['exp'] }))).reason).toBe('malformed')
  })

  it('refuses a token with no kid', async () => {
    const { rs, key, claims } = await setup()
    const token = await signJws(key, { alg: 'ES256', typ: 'at+jwt' }, claims())
    expect((await refusal(rs, token)).reason).toBe('unknown_key')
  })
})

describe('the signature', () => {
  it('refuses a tampered payload', async () => {
    const { rs, mint, claims } = await setup()
    const [head, , sig] = (await mint()).split('.')
    const forged = encodeBase64url(
      new TextEncoder().encode(JSON.stringify(claims({ sub: 'admin' }))),
    )
    expect((await refusal(rs, `${head}.${forged}.${sig}`)).reason).toBe('bad_signature')
  })

  it('refuses the zero signature (CVE-2022-21449), raw and with r or s zero', async () => {
    const { rs, mint } = await setup()
    const [head, body, sig] = (await mint()).split('.') as [string, string, string]
    const real = Uint8Array.from(atob(sig.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    )
    const zero = new Uint8Array(64)
    const rZero = Uint8Array.from(real).fill(0, 0, 32)
    const sZero = Uint8Array.from(real).fill(0, 32)
    for (const signature of [zero, rZero, sZero]) {
      const token = `${head}.${body}.${encodeBase64url(signature)}`
      expect((await refusal(rs, token)).reason).toBe('bad_signature')
    }
  })

  it('refuses a zero Ed25519 signature', async () => {
    const { rs, mint } = await setup({ alg: 'EdDSA' })
    const [head, body] = (await mint()).split('.')
    const token = `${head}.${body}.${encodeBase64url(new Uint8Array(64))}`
    expect((await refusal(rs, token)).reason).toBe('bad_signature')
  })

  it('refuses a signature of the wrong length (DER instead of r‖s)', async () => {
    const { rs, mint } = await setup()
    const [head, body] = (await mint()).split('.')
    const token = `${head}.${body}.${encodeBase64url(new Uint8Array(72).fill(1))}`
    expect((await refusal(rs, token)).reason).toBe('bad_signature')
  })

  it('refuses a token signed by a key the issuer does not publish, with the same kid', async () => {
    const { rs, key, claims } = await setup()
    const impostor = await generateSigningKey('ES256', key.kid)
    expect((await refusal(rs, await mintAccessToken(impostor, claims()))).reason).toBe(
      'bad_signature',
    )
  })
})

describe('the encoding', () => {
  it('refuses a token over the length cap before parsing or fetching anything', async () => {
    const { rs, mint, jwks } = await setup()
    const token = await mint({ pad: 'x'.repeat(MAX_TOKEN_LENGTH) })
    const { reason, response } = await refusal(rs, token)
    expect(response.status).toBe(401)
    expect(reason).toBe('too_long')
    expect(jwks.calls).toHaveLength(0)
  })

  it('refuses non-canonical base64url: padding, other alphabet, non-zero trailing bits', async () => {
    const { rs, mint } = await setup()
    const token = await mint()
    const [head, body, sig] = token.split('.') as [string, string, string]
    // 64 bytes encode to 86 characters; the last one carries 4 unused bits, which must be 0.
    const lastIndex = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = lastIndex.indexOf(sig.at(-1)!)
    const sameBytes = sig.slice(0, -1) + lastIndex[last | 1]
    expect(sameBytes).not.toBe(sig)
    for (const variant of [
      `${head}.${body}.${sig}==`,
      `${head}=.${body}.${sig}`,
      `${head}.${body}.${sameBytes}`,
      `${head}.${body.replace(/-/g, '+').replace(/_/g, '/')}x.${sig}`,
      `${head}.${body}.${sig}.`,
      `${head}.${body}`,
    ]) {
      const result = await rs.authenticate(resourceRequest(`Bearer ${variant}`))
      expect(result.ok, variant).toBe(false)
    }
    expect((await rs.authenticate(resourceRequest(`Bearer ${token}`))).ok).toBe(true)
  })

  it('refuses a header or payload that is not a JSON object, or has a BOM', async () => {
    const { rs, key } = await setup()
    const b64 = (s: string) => encodeBase64url(new TextEncoder().encode(s))
    const header = b64(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }))
    for (const body of [b64('[]'), b64('null'), b64('{'), b64('\ufeff{}')]) {
      const result = await rs.authenticate(resourceRequest(`Bearer ${header}.${body}.AAAA`))
      expect(result.ok).toBe(false)
    }
  })
})

describe('the claims', () => {
  it.each([
    ['another issuer', { iss: 'https://evil.example.com' }, 'wrong_issuer'],
    ['the issuer with a trailing slash', { iss: `${ISSUER}/` }, 'wrong_issuer'],
    ['no issuer', { iss: undefined }, 'wrong_issuer'],
    ['another resource', { aud: 'https://other.example.com/mcp' }, 'wrong_audience'],
    ['the resource as a prefix', { aud: `${RESOURCE}/admin` }, 'wrong_audience'],
    ['the resource with a trailing slash', { aud: `${RESOURCE}/` }, 'wrong_audience'],
    ['the first-party audience', { aud: 'edge-auth' }, 'wrong_audience'],
    ['an array with the resource and another', { aud: [RESOURCE, 'edge-auth'] }, 'wrong_audience'],
    ['an empty array', { aud: [] }, 'wrong_audience'],
    ['no audience', { aud: undefined }, 'wrong_audience'],
    ['no exp', { exp: undefined }, 'missing_claim'],
    ['exp as a string', { exp: '9999999999' }, 'missing_claim'],
    ['no iat', { iat: undefined }, 'missing_claim'],
    ['nbf as a string', { nbf: '0' }, 'malformed'],
    ['no sub', { sub: undefined }, 'missing_claim'],
    ['an empty sub', { sub: '' }, 'missing_claim'],
    ['no client_id', { client_id: undefined }, 'missing_claim'],
    ['no jti', { jti: undefined }, 'missing_claim'],
    ['scope as an array', { scope: ['notes:read'] }, 'malformed'],
  ])('refuses %s', async (_name, overrides, reason) => {
    const { rs, mint } = await setup()
    const refused = await refusal(rs, await mint(overrides))
    expect(refused.reason).toBe(reason)
    expect(refused.response.status).toBe(401)
    expect(refused.challenge).toBe(invalidToken)
    expect(refused.body).toEqual({ error: 'invalid_token' })
  })

  it('refuses an expired token, past the tolerance, and accepts it just before', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    const { rs, mint } = await setup()
    const token = await mint() // exp = now + 300
    vi.setSystemTime(Date.now() + 304_000)
    expect((await rs.authenticate(resourceRequest(`Bearer ${token}`))).ok).toBe(true)
    vi.setSystemTime(Date.now() + 1_000)
    expect((await refusal(rs, token)).reason).toBe('expired')
  })

  it('refuses a token not valid yet (nbf) or issued in the future (iat)', async () => {
    const { rs, mint } = await setup()
    const now = Math.floor(Date.now() / 1000)
    expect((await refusal(rs, await mint({ nbf: now + 60 }))).reason).toBe('not_yet_valid')
    expect((await refusal(rs, await mint({ iat: now + 60 }))).reason).toBe('issued_in_future')
  })
})

describe('scopes', () => {
  it('answers 403 insufficient_scope naming every scope the request needs', async () => {
    const { rs, mint } = await setup()
    const token = await mint({ scope: 'notes:read' })
    const { response, challenge, body } = await refusal(rs, token, ['notes:read', 'notes:write'])
    expect(response.status).toBe(403)
    expect(challenge).toBe(
      `Bearer error="insufficient_scope", scope="notes:read notes:write", resource_metadata="${METADATA_URL}"`,
    )
    expect(body).toEqual({ error: 'insufficient_scope' })
  })

  it('does not take a scope that is only a prefix or a substring of a granted one', async () => {
    const { rs, mint } = await setup()
    const token = await mint({ scope: 'notes:writer notes:read' })
    expect((await refusal(rs, token, ['notes:write'])).response.status).toBe(403)
    const none = await mint({ scope: undefined })
    expect((await refusal(rs, none, ['notes:read'])).response.status).toBe(403)
  })

  it('checks the token before the scopes: a bad token with no scopes is 401, not 403', async () => {
    const { rs, mint } = await setup()
    const token = await mint({ scope: '', aud: 'https://other.example.com' })
    expect((await refusal(rs, token, ['notes:read'])).response.status).toBe(401)
  })

  it('names the needed scopes in a 401 too, so a client asks for them', async () => {
    const { rs } = await setup()
    const result = await rs.authenticate(resourceRequest(), { scopes: ['notes:read'] })
    expect(result.ok || result.response.headers.get('WWW-Authenticate')).toBe(
      `Bearer scope="notes:read", resource_metadata="${METADATA_URL}"`,
    )
  })

  it('refuses to build a challenge from a scope that could break the header', async () => {
    const { rs } = await setup()
    await expect(rs.authenticate(resourceRequest(), { scopes: ['a" b'] })).rejects.toThrow(
      TypeError,
    )
    expect(() => rs.challenge('insufficient_scope', ['x\\'])).toThrow(TypeError)
  })
})

describe('the Authorization header', () => {
  it('missing: 401 with resource_metadata and no error code', async () => {
    const { rs, jwks } = await setup()
    const result = await rs.authenticate(resourceRequest())
    if (result.ok) throw new Error('accepted')
    expect(result.response.status).toBe(401)
    expect(result.response.headers.get('WWW-Authenticate')).toBe(
      `Bearer resource_metadata="${METADATA_URL}"`,
    )
    expect(result.reason).toBe('no_token')
    expect(jwks.calls).toHaveLength(0)
  })

  it.each([['Basic dXNlcjpwYXNz'], ['Token abc'], ['Bearertoken'], ['DPoP abc.def.ghi']])(
    'another scheme (%s): 401 with no error code, the credential is not echoed',
    async (authorization) => {
      const { rs } = await setup()
      const result = await rs.authenticate(resourceRequest(authorization))
      if (result.ok) throw new Error('accepted')
      expect(result.response.status).toBe(401)
      const challenge = result.response.headers.get('WWW-Authenticate')
      expect(challenge).toBe(`Bearer resource_metadata="${METADATA_URL}"`)
      expect(await result.response.text()).not.toContain(authorization.split(' ')[1])
    },
  )

  it('two Authorization values: 400 invalid_request, even when one is a valid token', async () => {
    const { rs, mint, jwks } = await setup()
    const token = await mint()
    for (const pair of [
      [`Bearer ${token}`, `Bearer ${token}`],
      [`Bearer ${token}`, 'Basic dXNlcjpwYXNz'],
      ['Basic dXNlcjpwYXNz', `Bearer ${token}`],
    ]) {
      const result = await rs.authenticate(resourceRequest(pair))
      if (result.ok) throw new Error('accepted')
      expect(result.response.status).toBe(400)
      expect(result.response.headers.get('WWW-Authenticate')).toBe(
        `Bearer error="invalid_request", resource_metadata="${METADATA_URL}"`,
      )
      expect(await result.response.text()).not.toContain(token.slice(0, 20))
    }
    expect(jwks.calls).toHaveLength(0)
  })

  it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Bearer a"b']])(
    'a malformed Bearer credential (%j): 400 invalid_request',
    async (authorization) => {
      const { rs } = await setup()
      const result = await rs.authenticate(resourceRequest(authorization))
      if (result.ok) throw new Error('accepted')
      expect(result.response.status).toBe(400)
    },
  )

  it('a token in the query string: 400, even beside a valid header', async () => {
    const { rs, mint } = await setup()
    const token = await mint()
    const result = await rs.authenticate(
      resourceRequest(`Bearer ${token}`, `${RESOURCE}?access_token=${token}`),
    )
    if (result.ok) throw new Error('accepted')
    expect(result.response.status).toBe(400)
    expect(await result.response.text()).not.toContain(token.slice(0, 20))
  })
})

describe('configuration', () => {
  it.each([
    [{ issuer: 'http://auth.example.com' }],
    [{ issuer: 'https://auth.example.com?x=1' }],
    [{ issuer: 'not a url' }],
    [{ resource: 'https://notes.example.com/mcp#frag' }],
    [{ resource: 'https://user:pw@notes.example.com/mcp' }],
    [{ jwksUri: 'http://auth.example.com/jwks' }],
    [{ scopes: ['a b'] }],
    [{ clockToleranceSeconds: 3600 }],
    [{ clockToleranceSeconds: -1 }],
  ])('fails closed at construction on %j', (overrides) => {
    expect(() => protectedResource({ issuer: ISSUER, resource: RESOURCE, ...overrides })).toThrow(
      TypeError,
    )
  })

  it('allows http on a loopback host, for local development', () => {
    expect(() =>
      protectedResource({ issuer: 'http://127.0.0.1:8787', resource: 'http://localhost:8788/mcp' }),
    ).not.toThrow()
  })
})
