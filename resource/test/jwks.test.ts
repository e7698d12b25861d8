// The key set cache: Cache-Control within caps, one refetch a minute for an unknown kid, a
// failing issuer answered with 503 (never a throw), and keys that are ambiguous or not for signing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { protectedResource } from '../index'
import {
  MAX_JWKS_BYTES,
  MAX_JWKS_TTL_SECONDS,
  MIN_JWKS_TTL_SECONDS,
  ttlSeconds,
  UNKNOWN_KID_REFETCH_SECONDS,
} from '../jwks'
import { ISSUER, JWKS_URI, jwksDouble, RESOURCE, resourceRequest } from './jwks-double'
import { accessClaims, generateSigningKey, mintAccessToken, type SigningKey } from './tokens'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
})
afterEach(() => {
  vi.useRealTimers()
})

const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000)

async function check(rs: ReturnType<typeof protectedResource>, key: SigningKey) {
  const token = await mintAccessToken(key, accessClaims(ISSUER, RESOURCE))
  return rs.authenticate(resourceRequest(`Bearer ${token}`))
}

async function setup(cacheControl?: string) {
  const key = await generateSigningKey()
  const jwks = jwksDouble([key], cacheControl)
  const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
  return { key, jwks, rs }
}

describe('an unknown kid', () => {
  it('refetches once, accepts a key rotated in, and refetches at most once a minute', async () => {
    const { key, jwks, rs } = await setup('max-age=3600')
    expect((await check(rs, key)).ok).toBe(true)
    expect(jwks.calls).toEqual([JWKS_URI])

    // Within the first minute an unknown kid does not refetch: the cached set is recent.
    const rotated = await generateSigningKey()
    jwks.keys.push(rotated)
    const early = await check(rs, rotated)
    expect(early.ok).toBe(false)
    expect(!early.ok && early.response.status).toBe(401)
    expect(jwks.calls).toHaveLength(1)

    advance(UNKNOWN_KID_REFETCH_SECONDS)
    expect((await check(rs, rotated)).ok).toBe(true)
    expect(jwks.calls).toHaveLength(2)

    // A flood of made-up kids right after: no fetch for any of them.
    const strangers = await Promise.all([1, 2, 3].map(() => generateSigningKey()))
    for (const stranger of strangers) expect((await check(rs, stranger)).ok).toBe(false)
    expect(jwks.calls).toHaveLength(2)

    // A minute later, one more fetch, and the still-unknown kid is still refused.
    advance(UNKNOWN_KID_REFETCH_SECONDS)
    expect((await check(rs, strangers[0]!)).ok).toBe(false)
    expect(jwks.calls).toHaveLength(3)
  })

  it('concurrent requests share one fetch', async () => {
    const { key, jwks, rs } = await setup()
    const results = await Promise.all([1, 2, 3, 4].map(() => check(rs, key)))
    expect(results.every((r) => r.ok)).toBe(true)
    expect(jwks.calls).toHaveLength(1)
  })
})

describe('Cache-Control', () => {
  it('keeps the set for its max-age, then refetches and drops a withdrawn key', async () => {
    const { key, jwks, rs } = await setup('public, max-age=120')
    await check(rs, key)
    advance(119)
    expect((await check(rs, key)).ok).toBe(true)
    expect(jwks.calls).toHaveLength(1)
    jwks.keys = [await generateSigningKey()]
    advance(1)
    expect((await check(rs, key)).ok).toBe(false)
    expect(jwks.calls).toHaveLength(2)
  })

  it('caps a long max-age, and keeps a no-store set for the minimum', () => {
    expect(ttlSeconds('max-age=31536000')).toBe(MAX_JWKS_TTL_SECONDS)
    expect(ttlSeconds('no-store')).toBe(MIN_JWKS_TTL_SECONDS)
    expect(ttlSeconds('max-age=0')).toBe(MIN_JWKS_TTL_SECONDS)
    expect(ttlSeconds('max-age=abc')).toBe(600)
    expect(ttlSeconds(null)).toBe(600)
  })

  it('a withdrawn key stops working within the cap, however long the max-age', async () => {
    const { key, jwks, rs } = await setup('max-age=31536000')
    await check(rs, key)
    jwks.keys = []
    advance(MAX_JWKS_TTL_SECONDS)
    expect((await check(rs, key)).ok).toBe(false)
    expect(jwks.calls).toHaveLength(2)
  })
})

describe('an issuer that fails', () => {
  it.each([
    ['a 500', () => new Response('oops', { status: 500 })],
    ['a redirect', () => new Response(null, { status: 302, headers: { Location: 'https://x' } })],
    ['invalid JSON', () => new Response('{', { status: 200 })],
    ['no keys array', () => Response.json({ keys: {} })],
    ['an oversized set', () => new Response(' '.repeat(MAX_JWKS_BYTES + 1), { status: 200 })],
    ['a network error', () => new TypeError('fetch failed')],
  ])('answering %s gets 503, not a throw, and nothing about the token', async (_n, failure) => {
    const { key, jwks, rs } = await setup()
    jwks.failure = failure()
    const result = await check(rs, key)
    if (result.ok) throw new Error('accepted')
    expect(result.response.status).toBe(503)
    expect(result.response.headers.get('WWW-Authenticate')).toBeNull()
    expect(await result.response.json()).toEqual({ error: 'temporarily_unavailable' })
    expect(result.reason).toBe('jwks_unavailable')
  })

  it('backs off for a few seconds after a failure, then recovers', async () => {
    const { key, jwks, rs } = await setup()
    jwks.failure = new Response('down', { status: 503 })
    expect((await check(rs, key)).ok).toBe(false)
    jwks.failure = undefined
    advance(1)
    const during = await check(rs, key)
    expect(!during.ok && during.response.status).toBe(503)
    expect(jwks.calls).toHaveLength(1)
    advance(5)
    expect((await check(rs, key)).ok).toBe(true)
    expect(jwks.calls).toHaveLength(2)
  })
})

describe('the keys in the set', () => {
  it('ignores a key marked for encryption, and refuses a kid published twice', async () => {
    const enc = await generateSigningKey()
    enc.publicJwk.use = 'enc'
    const twice = await generateSigningKey()
    const twin = await generateSigningKey('ES256', twice.kid)
    const jwks = jwksDouble([enc, twice, twin])
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
    expect((await check(rs, enc)).ok).toBe(false)
    expect((await check(rs, twice)).ok).toBe(false)
    expect((await check(rs, twin)).ok).toBe(false)
  })

  it("honours a key's own alg and key_ops", async () => {
    const wrongAlg = await generateSigningKey()
    wrongAlg.publicJwk.alg = 'ES384'
    const noVerify = await generateSigningKey()
    noVerify.publicJwk.key_ops = ['encrypt']
    const jwks = jwksDouble([wrongAlg, noVerify])
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
    expect((await check(rs, wrongAlg)).ok).toBe(false)
    expect((await check(rs, noVerify)).ok).toBe(false)
  })

  it('uses only the public members of a JWK that carries private ones', async () => {
    const key = await generateSigningKey()
    const jwks = jwksDouble([key])
    key.publicJwk.d = 'AAAA' // nonsense: importing it would fail, ignoring it works
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
    expect((await check(rs, key)).ok).toBe(true)
  })

  it('fetches only the configured JWKS URI, whatever the token names', async () => {
    const key = await generateSigningKey()
    const jwks = jwksDouble([key])
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE, fetch: jwks.fetch })
    const token = await mintAccessToken(key, accessClaims(ISSUER, RESOURCE), {
      jku: 'https://evil.example.com/jwks.json',
      x5u: 'https://evil.example.com/cert',
      jwk: { kty: 'EC' },
    })
    await rs.authenticate(resourceRequest(`Bearer ${token}`))
    expect(jwks.calls).toEqual([JWKS_URI])
  })
})
