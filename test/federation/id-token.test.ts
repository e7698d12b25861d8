// ID-token verification with real keys: tokens are signed here with crypto.subtle (RS256, ES256,
// EdDSA), then bent one way at a time; each refusal is checked for its stable reason, and that
// the token never appears in the error.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ProviderError, providerKey } from '../../src/federation/discovery'
import {
  ID_TOKEN_CLOCK_LEEWAY_SECONDS,
  IdTokenError,
  type IdTokenExpectation,
  type IdTokenFailure,
  type KeyLookup,
  verifyIdToken,
} from '../../src/federation/id-token'
import { type OidcProvider, readProviders } from '../../src/federation/providers'
import { freezeTime } from '../helpers'
import { scriptProvider, serverOrigin } from '../global/scripted'
import { b64, b64json, type Signer, signer, signJwt, signRaw } from './keys'

afterEach(() => {
  vi.useRealTimers()
})

const ISSUER = 'https://idp.example.com'
const CLIENT = 'client-1'
const NONCE = 'n-0S6_WzA2Mj'
const T0 = Date.UTC(2026, 11, 6, 12, 0, 0)
const T0_SECONDS = T0 / 1000

const signers = {
  RS256: await signer('RS256'),
  ES256: await signer('ES256'),
  EdDSA: await signer('EdDSA'),
}

const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: CLIENT,
  sub: '10769150350006150715113082367',
  iat: T0_SECONDS - 10,
  exp: T0_SECONDS + 600,
  nonce: NONCE,
  email: 'jane@example.com',
  email_verified: true,
  name: 'Jane Doe',
  ...overrides,
})

/** A compact JWS of `payload`, signed by `by` (ES256 unless named); `header` overrides its header. */
const sign = (
  payload: Record<string, unknown>,
  by: Signer = signers.ES256,
  header: Record<string, unknown> = {},
) => signJwt(payload, by, header)

/** A lookup over a fixed key set by kid, counting its calls. */
function lookup(...published: Signer[]): KeyLookup & { calls: number } {
  const fn = Object.assign(
    async (header: { kid?: string; alg: string }) => {
      fn.calls++
      return published.find((s) => s.kid === header.kid)?.jwk ?? null
    },
    { calls: 0 },
  )
  return fn
}

/** The order of P-256's group. */
const P256_N = Uint8Array.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'.match(/../g)!,
  (x) => parseInt(x, 16),
)

const allKeys = () => lookup(signers.RS256, signers.ES256, signers.EdDSA)

const expected = (overrides: Partial<IdTokenExpectation> = {}): IdTokenExpectation => ({
  issuer: ISSUER,
  audiences: [CLIENT],
  nonce: NONCE,
  ...overrides,
})

async function refused(
  token: string,
  reason: IdTokenFailure,
  expect_: IdTokenExpectation = expected(),
  keys: KeyLookup = allKeys(),
) {
  const err = await verifyIdToken(token, expect_, keys).then(
    () => {
      throw new Error(`expected ${reason}`)
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(IdTokenError)
  expect(err).toMatchObject({ reason, status: 401 })
  // The token, or any part of it, never travels in the error.
  const text = `${(err as Error).message} ${(err as Error).stack ?? ''}`
  for (const part of token.split('.')) if (part.length > 8) expect(text).not.toContain(part)
}

describe('verifyIdToken: good tokens', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'verifies a %s token and returns typed claims',
    async (alg) => {
      freezeTime(T0)
      const keys = allKeys()
      const result = await verifyIdToken(await sign(claims(), signers[alg]), expected(), keys)
      expect(result).toEqual({
        iss: ISSUER,
        sub: '10769150350006150715113082367',
        email: 'jane@example.com',
        email_verified: true,
        name: 'Jane Doe',
        tid: null,
        hd: null,
      })
      expect(keys.calls).toBe(1)
    },
  )

  it('passes the header kid and alg to the lookup', async () => {
    freezeTime(T0)
    const seen: unknown[] = []
    await verifyIdToken(await sign(claims()), expected(), async (header) => {
      seen.push(header)
      return signers.ES256.jwk
    })
    expect(seen).toEqual([{ kid: 'ES256-key', alg: 'ES256' }])
  })

  it('accepts one of several configured audiences (native apps) and an array audience with our azp', async () => {
    freezeTime(T0)
    const exp = expected({ audiences: [CLIENT, 'ios-app'] })
    await verifyIdToken(await sign(claims({ aud: 'ios-app' })), exp, allKeys())
    await verifyIdToken(await sign(claims({ aud: [CLIENT] })), exp, allKeys())
    await verifyIdToken(await sign(claims({ aud: [CLIENT, 'other'], azp: CLIENT })), exp, allKeys())
  })

  it('skips the nonce check only when none was sent', async () => {
    freezeTime(T0)
    const token = await sign(claims({ nonce: undefined }))
    await expect(verifyIdToken(token, expected({ nonce: null }), allKeys())).resolves.toMatchObject(
      {
        sub: '10769150350006150715113082367',
      },
    )
  })

  it('accepts iat and nbf within the leeway, and an alternate issuer spelling', async () => {
    freezeTime(T0)
    const ahead = T0_SECONDS + ID_TOKEN_CLOCK_LEEWAY_SECONDS
    await verifyIdToken(await sign(claims({ iat: ahead, nbf: ahead })), expected(), allKeys())
    await verifyIdToken(
      await sign(claims({ iss: 'accounts.google.com' })),
      expected({ alternateIssuers: ['accounts.google.com'] }),
      allKeys(),
    )
  })
})

describe('verifyIdToken: the header and the signature', () => {
  it('refuses alg none without asking for a key', async () => {
    freezeTime(T0)
    const keys = allKeys()
    const token = `${b64json({ alg: 'none' })}.${b64json(claims())}.`
    await refused(token, 'unsupported_alg', expected(), keys)
    // Even with something in the signature slot.
    await refused(
      `${b64json({ alg: 'none' })}.${b64json(claims())}.AAAA`,
      'unsupported_alg',
      expected(),
      keys,
    )
    await refused(
      `${b64json({ alg: 'None' })}.${b64json(claims())}.AAAA`,
      'unsupported_alg',
      expected(),
      keys,
    )
    expect(keys.calls).toBe(0)
  })

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    freezeTime(T0)
    const keys = allKeys()
    for (const secretText of [JSON.stringify(signers.RS256.jwk), signers.RS256.jwk.n!]) {
      const secret = await crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(secretText),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      const input = `${b64json({ alg: 'HS256', kid: signers.RS256.kid })}.${b64json(claims())}`
      const token = `${input}.${b64(await signRaw(secret, 'HMAC', input))}`
      await refused(token, 'unsupported_alg', expected(), keys)
    }
    expect(keys.calls).toBe(0)
  })

  it('refuses a crit header it does not understand', async () => {
    freezeTime(T0)
    await refused(
      await sign(claims(), signers.ES256, { crit: ['b64'], b64: false }),
      'unsupported_alg',
    )
  })

  it('refuses an alg that does not fit the key type', async () => {
    freezeTime(T0)
    // The header says RS256 but the kid names the EC key: signed by the RSA key, looked up as EC.
    const token = await sign(claims(), signers.RS256, { kid: signers.ES256.kid })
    await refused(token, 'key_mismatch')
    // EdDSA header, ES256 key.
    await refused(await sign(claims(), signers.EdDSA, { kid: signers.ES256.kid }), 'key_mismatch')
    // A key whose own alg says otherwise.
    const mislabelled = { ...signers.ES256.jwk, alg: 'ES384' }
    await refused(await sign(claims()), 'key_mismatch', expected(), async () => mislabelled)
  })

  it('refuses an RSA key shorter than 2048 bits', async () => {
    freezeTime(T0)
    const small = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const jwk = (await crypto.subtle.exportKey('jwk', small.publicKey)) as JsonWebKey
    const weak: Signer = { alg: 'RS256', kid: 'weak', privateKey: small.privateKey, jwk }
    await refused(await sign(claims(), weak), 'key_mismatch', expected(), lookup(weak))
  })

  it('refuses an unknown kid, from a null lookup or providerKey-style ProviderError', async () => {
    freezeTime(T0)
    await refused(await sign(claims(), signers.ES256, { kid: 'rotated-away' }), 'unknown_key')
    await refused(await sign(claims()), 'unknown_key', expected(), async () => {
      throw new ProviderError('acme', 'unknown_key')
    })
  })

  it('passes a provider outage through unchanged: not the token’s fault', async () => {
    freezeTime(T0)
    const outage = new ProviderError('acme', 'invalid_jwks')
    await expect(
      verifyIdToken(await sign(claims()), expected(), async () => {
        throw outage
      }),
    ).rejects.toBe(outage)
  })

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'refuses a %s token with a bent signature or payload',
    async (alg) => {
      freezeTime(T0)
      const token = await sign(claims(), signers[alg])
      const [h, p, s] = token.split('.') as [string, string, string]
      const sig = Uint8Array.from(atob(s.replaceAll('-', '+').replaceAll('_', '/')), (c) =>
        c.charCodeAt(0),
      )
      sig[10]! ^= 0x01
      await refused(`${h}.${p}.${b64(sig)}`, 'bad_signature')
      // Another payload under the original signature.
      await refused(`${h}.${b64json(claims({ sub: 'victim' }))}.${s}`, 'bad_signature')
      // Truncated signature.
      await refused(`${h}.${p}.${b64(sig.subarray(0, sig.length - 1))}`, 'bad_signature')
    },
  )

  it('refuses the ES256 all-zero signature (CVE-2022-21449, psychic signatures)', async () => {
    freezeTime(T0)
    const input = `${b64json({ alg: 'ES256', kid: signers.ES256.kid })}.${b64json(claims())}`
    await refused(`${input}.${b64(new Uint8Array(64))}`, 'bad_signature')
    // r = s = n, the group order, is zero in disguise.
    const both = new Uint8Array(64)
    both.set(P256_N, 0)
    both.set(P256_N, 32)
    await refused(`${input}.${b64(both)}`, 'bad_signature')
    // A DER-encoded signature is not the JWS form.
    await refused(`${input}.${b64(new Uint8Array(72))}`, 'bad_signature')
  })

  it('refuses zero, out-of-range and wrong-length signatures even if crypto.subtle would accept them', async () => {
    freezeTime(T0)
    // A library as broken as Java 15-18's was: every signature verifies. Our own checks must hold.
    const spy = vi.spyOn(crypto.subtle, 'verify').mockResolvedValue(true)
    try {
      const es = `${b64json({ alg: 'ES256', kid: signers.ES256.kid })}.${b64json(claims())}`
      await refused(`${es}.${b64(new Uint8Array(64))}`, 'bad_signature')
      const zeroS = new Uint8Array(64)
      zeroS[0] = 1
      await refused(`${es}.${b64(zeroS)}`, 'bad_signature')
      await refused(`${es}.${b64(new Uint8Array(64).fill(0xff))}`, 'bad_signature')
      // r = n (the group order, zero in disguise), s = 1.
      const rIsN = new Uint8Array(64).fill(1)
      rIsN.set(P256_N, 0)
      await refused(`${es}.${b64(rIsN)}`, 'bad_signature')
      const rs = `${b64json({ alg: 'RS256', kid: signers.RS256.kid })}.${b64json(claims())}`
      await refused(`${rs}.${b64(new Uint8Array(255).fill(1))}`, 'bad_signature')
      const ed = `${b64json({ alg: 'EdDSA', kid: signers.EdDSA.kid })}.${b64json(claims())}`
      await refused(`${ed}.${b64(new Uint8Array(63).fill(1))}`, 'bad_signature')
      expect(spy).not.toHaveBeenCalled()
      // The checks are not refusing everything: a well-formed one reaches the (stubbed) library.
      const ok = new Uint8Array(64).fill(1)
      await verifyIdToken(`${es}.${b64(ok)}`, expected(), allKeys())
      expect(spy).toHaveBeenCalledTimes(1)
    } finally {
      spy.mockRestore()
    }
  })

  it('refuses non-canonical base64url that decodes to the same bytes', async () => {
    freezeTime(T0)
    const token = await sign(claims())
    const [h, p, s] = token.split('.') as [string, string, string]
    // 64 signature bytes are 86 characters: the last carries 4 spare bits. Setting one decodes
    // to the same signature in a lenient decoder, so only canonicity stands in the way.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const bent = s.slice(0, -1) + alphabet[alphabet.indexOf(s.at(-1)!) | 1]
    expect(atob(bent.replaceAll('-', '+').replaceAll('_', '/'))).toBe(
      atob(s.replaceAll('-', '+').replaceAll('_', '/')),
    )
    await refused(`${h}.${p}.${bent}`, 'malformed')
    await refused(`${h}.${p}.${s}==`, 'malformed')
    await refused(`${h}=.${p}.${s}`, 'malformed')
    await refused(`${h}.${p}.${s.slice(0, -1)}+`, 'malformed')
    await refused(`${h}.${p}.${s}.`, 'malformed')
    await refused(`${h}.${p}`, 'malformed')
    await refused(`${h} .${p}.${s}`, 'malformed')
    await refused(`${b64(new TextEncoder().encode('[1]'))}.${p}.${s}`, 'malformed')
    await refused(`${b64(new Uint8Array([0xff, 0xfe]))}.${p}.${s}`, 'malformed')
    const bom = new TextEncoder().encode(
      `\uFEFF${JSON.stringify({ alg: 'ES256', kid: 'ES256-key' })}`,
    )
    await refused(`${b64(bom)}.${p}.${s}`, 'malformed')
    await refused('a'.repeat(20000), 'malformed')
  })
})

describe('verifyIdToken: the claims', () => {
  it('refuses a wrong issuer, one differing by a trailing slash, and a missing one', async () => {
    freezeTime(T0)
    await refused(await sign(claims({ iss: 'https://evil.example.com' })), 'wrong_issuer')
    await refused(await sign(claims({ iss: `${ISSUER}/` })), 'wrong_issuer')
    await refused(await sign(claims()), 'wrong_issuer', expected({ issuer: `${ISSUER}/` }))
    await refused(await sign(claims({ iss: ISSUER.toUpperCase() })), 'wrong_issuer')
    await refused(await sign(claims({ iss: undefined })), 'wrong_issuer')
  })

  describe('Microsoft’s {tenantid} issuer template (from providers.ts)', () => {
    const read = readProviders(
      JSON.stringify({ ms: { type: 'microsoft', clientId: CLIENT } }),
      () => 'secret',
    )
    if ('invalid' in read) throw new Error(read.invalid)
    const ms = read.providers.get('ms') as OidcProvider
    const tenantA = '11111111-2222-3333-4444-555555555555'
    const tenantB = '99999999-8888-7777-6666-555555555555'
    const tenantIssuer = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`

    it('is a template provider', () => {
      expect(ms).toMatchObject({ tenantIssuer: true, emailTrusted: false })
      expect(ms.issuer).toContain('{tenantid}')
    })

    it('accepts the template filled with the token’s own tid', async () => {
      freezeTime(T0)
      const token = await sign(claims({ iss: tenantIssuer(tenantA), tid: tenantA }))
      await expect(verifyIdToken(token, { ...ms, nonce: NONCE }, allKeys())).resolves.toMatchObject(
        {
          iss: tenantIssuer(tenantA),
          tid: tenantA,
        },
      )
    })

    it('refuses another tenant’s issuer, the bare template, and a missing or odd tid', async () => {
      freezeTime(T0)
      const exp = { ...ms, nonce: NONCE }
      await refused(
        await sign(claims({ iss: tenantIssuer(tenantB), tid: tenantA })),
        'wrong_issuer',
        exp,
      )
      await refused(await sign(claims({ iss: ms.issuer, tid: tenantA })), 'wrong_issuer', exp)
      await refused(await sign(claims({ iss: tenantIssuer(tenantA) })), 'wrong_issuer', exp)
      await refused(await sign(claims({ iss: ms.issuer, tid: '{tenantid}' })), 'wrong_issuer', exp)
      await refused(
        await sign(claims({ iss: tenantIssuer(`${tenantA}/x`), tid: `${tenantA}/x` })),
        'wrong_issuer',
        exp,
      )
    })
  })

  it('refuses another client’s audience, multi-aud without azp, or with a foreign azp', async () => {
    freezeTime(T0)
    await refused(await sign(claims({ aud: 'other-client' })), 'wrong_audience')
    await refused(await sign(claims({ aud: [] })), 'wrong_audience')
    await refused(await sign(claims({ aud: undefined })), 'wrong_audience')
    await refused(await sign(claims({ aud: [CLIENT, 42] })), 'wrong_audience')
    await refused(await sign(claims({ aud: [CLIENT, 'other-client'] })), 'wrong_audience')
    await refused(
      await sign(claims({ aud: [CLIENT, 'other-client'], azp: 'other-client' })),
      'wrong_audience',
    )
    // azp names us but we are not among the audiences.
    await refused(await sign(claims({ aud: ['a', 'b'], azp: CLIENT })), 'wrong_audience')
  })

  it('refuses an expired token, from the second of exp on, and one without exp', async () => {
    const clock = freezeTime(T0)
    const token = await sign(claims())
    await verifyIdToken(token, expected(), allKeys())
    clock.advance(600 * 1000 - 1)
    await verifyIdToken(token, expected(), allKeys())
    clock.advance(1)
    await refused(token, 'expired')
    await refused(await sign(claims({ exp: undefined })), 'expired')
    await refused(await sign(claims({ exp: String(T0_SECONDS + 600) })), 'expired')
  })

  it('refuses iat (or nbf) in the future beyond the leeway, and a missing iat', async () => {
    freezeTime(T0)
    const beyond = T0_SECONDS + ID_TOKEN_CLOCK_LEEWAY_SECONDS + 1
    await refused(await sign(claims({ iat: beyond, exp: beyond + 600 })), 'not_yet_valid')
    await refused(await sign(claims({ nbf: beyond })), 'not_yet_valid')
    await refused(await sign(claims({ iat: undefined })), 'not_yet_valid')
  })

  it('refuses a wrong or missing nonce when one was sent', async () => {
    freezeTime(T0)
    await refused(await sign(claims({ nonce: 'someone-elses' })), 'wrong_nonce')
    await refused(await sign(claims({ nonce: undefined })), 'wrong_nonce')
    await refused(await sign(claims({ nonce: [NONCE] })), 'wrong_nonce')
  })

  it('refuses a missing, empty, non-string or over-long sub', async () => {
    freezeTime(T0)
    await refused(await sign(claims({ sub: undefined })), 'invalid_subject')
    await refused(await sign(claims({ sub: '' })), 'invalid_subject')
    await refused(await sign(claims({ sub: 12345 })), 'invalid_subject')
    await refused(await sign(claims({ sub: 'x'.repeat(256) })), 'invalid_subject')
    await verifyIdToken(await sign(claims({ sub: 'x'.repeat(255) })), expected(), allKeys())
  })

  it('checks Google’s hd only when a domain is configured', async () => {
    freezeTime(T0)
    const exp = expected({ hostedDomain: 'example.com' })
    await expect(
      verifyIdToken(await sign(claims({ hd: 'example.com' })), exp, allKeys()),
    ).resolves.toMatchObject({ hd: 'example.com' })
    await refused(await sign(claims({ hd: 'evil.com' })), 'wrong_hosted_domain', exp)
    await refused(await sign(claims()), 'wrong_hosted_domain', exp)
    await expect(
      verifyIdToken(await sign(claims({ hd: 'evil.com' })), expected(), allKeys()),
    ).resolves.toMatchObject({ hd: 'evil.com' })
  })

  it('calls an address verified only for true or Apple’s "true"', async () => {
    freezeTime(T0)
    const verified = async (overrides: Record<string, unknown>) =>
      (await verifyIdToken(await sign(claims(overrides)), expected(), allKeys())).email_verified
    expect(await verified({ email_verified: true })).toBe(true)
    expect(await verified({ email_verified: 'true' })).toBe(true)
    expect(await verified({ email_verified: 'false' })).toBe(false)
    expect(await verified({ email_verified: false })).toBe(false)
    expect(await verified({ email_verified: undefined })).toBe(false)
    expect(await verified({ email_verified: 1 })).toBe(false)
    expect(await verified({ email_verified: 'TRUE' })).toBe(false)
    // Verified, but of no address.
    expect(await verified({ email: undefined })).toBe(false)
  })
})

describe('verifyIdToken with providerKey against a loopback provider', () => {
  it('verifies through discovery and the JWKS, and refuses an unknown kid', async () => {
    const base = `/idp-${crypto.randomUUID()}`
    const issuer = `${serverOrigin()}${base}`
    const read = readProviders(
      JSON.stringify({ local: { type: 'oidc', issuer, clientId: CLIENT, name: 'Local' } }),
      () => 'secret',
    )
    if ('invalid' in read) throw new Error(read.invalid)
    const provider = read.providers.get('local') as OidcProvider
    await scriptProvider(base, [signers.RS256.jwk, signers.ES256.jwk])
    const keys: KeyLookup = (header) => providerKey(provider, header)
    const now = Math.floor(Date.now() / 1000)
    const good = claims({ iss: issuer, iat: now, exp: now + 300 })
    const result = await verifyIdToken(
      await sign(good, signers.RS256),
      { ...provider, nonce: NONCE },
      keys,
    )
    expect(result.sub).toBe(good.sub)
    await refused(
      await sign(good, signers.ES256, { kid: 'not-published' }),
      'unknown_key',
      { ...provider, nonce: NONCE },
      keys,
    )
  })
})
