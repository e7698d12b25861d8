import { describe, expect, it, vi } from 'vitest'
import {
  PASSWORD,
  bearer,
  call,
  expectProblem,
  registerUser,
  sendJson,
  uniqueUsername,
} from '../helpers'

describe('POST /login', () => {
  it('issues a Bearer access token and an opaque refresh token', async () => {
    const { username } = await registerUser()
    const res = await sendJson('POST', '/login', { username, password: PASSWORD })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshToken',
      'tokenType',
    ])
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 20 })
    expect(body.accessToken).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/)
    expect(body.refreshToken).toMatch(/^[\w-]{86}$/)
    expect((await call('/users', bearer(body.accessToken as string))).status).toBe(200)
  })

  it('ignores the case of the username', async () => {
    const { username } = await registerUser(uniqueUsername('CaSe'))
    const res = await sendJson('POST', '/login', {
      username: username.toLowerCase(),
      password: PASSWORD,
    })
    expect(res.status).toBe(200)
  })

  it('gives byte-identical 401s for an unknown user and a wrong password, after the same PBKDF2 work', async () => {
    const { username } = await registerUser()
    const deriveBits = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      const wrong = await sendJson('POST', '/login', { username, password: 'wrong password' })
      const wrongWork = deriveBits.mock.calls.map(
        ([params]) => (params as { iterations?: number }).iterations,
      )
      deriveBits.mockClear()
      const unknown = await sendJson('POST', '/login', {
        username: uniqueUsername('ghost'),
        password: 'wrong password',
      })
      const unknownWork = deriveBits.mock.calls.map(
        ([params]) => (params as { iterations?: number }).iterations,
      )

      expect(wrongWork).toEqual([100_000])
      expect(unknownWork).toEqual(wrongWork)
      const strip = async (res: Response) => {
        const { requestId, ...rest } = (await expectProblem(
          res,
          401,
          'invalid_credentials',
        )) as Record<string, unknown>
        expect(requestId).toBeTypeOf('string')
        return JSON.stringify(rest)
      }
      expect(await strip(wrong)).toBe(await strip(unknown))
      expect([...wrong.headers.keys()].sort()).toEqual([...unknown.headers.keys()].sort())
    } finally {
      deriveBits.mockRestore()
    }
  })

  it('issues no token on failure', async () => {
    const { username } = await registerUser()
    const res = await sendJson('POST', '/login', { username, password: 'not the password' })
    const text = await res.text()
    expect(res.status).toBe(401)
    expect(text).not.toMatch(/accessToken|refreshToken|eyJ/)
  })

  it("refuses the seed's password-less body", async () => {
    const { username } = await registerUser()
    await expectProblem(await sendJson('POST', '/login', { username }), 400, 'validation_failed')
  })

  it('rejects an over-long password before hashing it', async () => {
    const { username } = await registerUser()
    const deriveBits = vi.spyOn(crypto.subtle, 'deriveBits')
    try {
      const res = await sendJson('POST', '/login', { username, password: 'x'.repeat(10_240) })
      await expectProblem(res, 400, 'validation_failed')
      expect(deriveBits).not.toHaveBeenCalled()
    } finally {
      deriveBits.mockRestore()
    }
  })

  it('accepts an NFKC-equivalent spelling of the password', async () => {
    const { username } = await registerUser(uniqueUsername(), 'ｐａｓｓｗｏｒｄ１２３')
    expect((await sendJson('POST', '/login', { username, password: 'password123' })).status).toBe(
      200,
    )
  })
})
