import { afterEach, describe, expect, it, vi } from 'vitest'
import { ORIGIN, bearer, call, expectProblem, freezeTime, signAsServer, signedIn } from '../helpers'

const challenge = (res: Response) => res.headers.get('www-authenticate')

describe('GET /users', () => {
  afterEach(() => vi.useRealTimers())

  it("returns the caller's own record, in an array as the seed did", async () => {
    const { tokens, user, username } = await signedIn()
    await signedIn() // someone else, who must not appear
    const res = await call('/users', bearer(tokens.accessToken))
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>[]
    expect(body).toEqual([{ id: user.id, username, createdAt: expect.any(String) }])
    expect(JSON.stringify(body)).not.toMatch(/pbkdf2|password/i)
  })

  it('accepts the scheme in any case', async () => {
    const { tokens } = await signedIn()
    const res = await call('/users', { headers: { Authorization: `bearer ${tokens.accessToken}` } })
    expect(res.status).toBe(200)
  })

  it('answers a missing or empty header with a bare Bearer challenge', async () => {
    for (const init of [{}, { headers: { Authorization: '' } }]) {
      const res = await call('/users', init)
      await expectProblem(res, 401, 'invalid_token')
      expect(challenge(res)).toBe('Bearer realm="edge-auth"')
    }
  })

  it.each([
    ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ['a bare scheme', 'Bearer'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['garbage', 'Bearer not-a-jwt'],
  ])('answers %s with 401 invalid_token and an RFC 6750 error challenge', async (_name, header) => {
    const res = await call('/users', { headers: { Authorization: header } })
    await expectProblem(res, 401, 'invalid_token')
    expect(challenge(res)).toMatch(
      /^Bearer realm="edge-auth", error="invalid_token", error_description="[^"]+"$/,
    )
  })

  it('expires the access token at 20 s, as the seed did', async () => {
    const clock = freezeTime()
    const { tokens } = await signedIn()
    clock.advance(19_000)
    expect((await call('/users', bearer(tokens.accessToken))).status).toBe(200)
    clock.advance(1_000)
    const res = await call('/users', bearer(tokens.accessToken))
    const body = await expectProblem(res, 401, 'invalid_token')
    expect(body.detail).toBe('The access token has expired')
    expect(challenge(res)).toContain('error_description="The access token has expired"')
  })

  it('refuses a tampered token and a refresh token', async () => {
    const { tokens } = await signedIn()
    const [h, p, s] = tokens.accessToken.split('.')
    const flipped = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
    for (const token of [flipped, tokens.refreshToken]) {
      const res = await call('/users', bearer(token))
      expect(await res.clone().text()).not.toContain(token)
      await expectProblem(res, 401, 'invalid_token')
    }
  })

  it('refuses a validly signed token for a user that does not exist', async () => {
    const iat = Math.floor(Date.now() / 1000)
    const { user } = await signedIn()
    const claims = (sub: string) => ({
      sub,
      username: 'ghost',
      sid: 's',
      jti: 'j',
      iat,
      exp: iat + 20,
      iss: ORIGIN,
      aud: 'edge-auth',
      token_use: 'access',
    })
    // The same claims for a real user pass, so the refusal below is about the user alone.
    expect((await call('/users', bearer(await signAsServer(claims(user.id))))).status).toBe(200)
    const ghost = await signAsServer(claims(crypto.randomUUID()))
    await expectProblem(await call('/users', bearer(ghost)), 401, 'invalid_token')
  })
})
