// Authentication responses, ours against @simplewebauthn/server's verdict: genuine ones from
// ES256, EdDSA and RS256 authenticators, and ones bent one thing at a time, then several at once.
// Both must agree, except where ours is deliberately stricter: each such case says what the
// library lets through.
import { verifyRegistrationResponse } from '@simplewebauthn/server'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64Url, toBase64Url } from '../../../src/auth/encoding'
import {
  type AuthenticationResponseJSON,
  verifyAuthentication,
} from '../../../src/auth/webauthn/authentication'
import {
  type Algorithm,
  type Bends,
  softAuthenticator,
  withFlags,
} from '../../doubles/authenticator'
import {
  ALGS,
  CHALLENGE,
  CREATION,
  type Case,
  authenticatorsByAlg,
  EXPECTED,
  ORIGIN,
  REQUEST,
  RP_ID,
  USER_HANDLE,
  combined,
  expectAgreement,
  flipByte,
  libraryAuthentication,
  mixOf,
  ourAuthentication,
  sharedCases,
} from './differential'

const authenticators = await authenticatorsByAlg()
const stranger = await softAuthenticator({ origin: ORIGIN })

type Response = AuthenticationResponseJSON

type AuthCase = Case<Response> & {
  /** Verify with another credential's key. */
  otherKey?: true
}

const CASES: AuthCase[] = [
  ...sharedCases<Response>(
    'webauthn.create',
    'checks a cross-origin response only when it names its topOrigin',
  ),
  {
    name: 'the attested-data flag without the data',
    bend: { authData: withFlags(0x40) },
    reason: 'malformed',
    group: 'layout',
  },
  {
    name: 'a signature with a byte flipped',
    post: (r) => ({
      ...r,
      response: { ...r.response, signature: flipByte(r.response.signature, -5) },
    }),
    reason: 'signature',
  },
  {
    name: 'a signature cut short',
    post: (r) => ({
      ...r,
      response: {
        ...r.response,
        signature: toBase64Url(fromBase64Url(r.response.signature)!.slice(0, -1)),
      },
    }),
    reason: 'signature',
  },
  { name: "another credential's key", otherKey: true, reason: 'signature' },
  // §7.2 step 6: sign-in names no user beforehand, so the response must say whose it is.
  {
    name: 'no user handle',
    post: (r) => ({ ...r, response: { ...r.response, userHandle: undefined } }),
    reason: 'user_handle',
    stricter: 'leaves the user handle to the caller',
    group: 'handle',
  },
  {
    name: "another user's handle",
    post: (r) => ({ ...r, response: { ...r.response, userHandle: 'dXNlci0y' } }),
    reason: 'user_handle',
    stricter: 'leaves the user handle to the caller',
    group: 'handle',
  },
  {
    name: 'an empty user handle',
    post: (r) => ({ ...r, response: { ...r.response, userHandle: '' } }),
    reason: 'user_handle',
    stricter: 'leaves the user handle to the caller',
    group: 'handle',
  },
  {
    name: "a handle the owner's is a prefix of (user-10)",
    post: (r) => ({ ...r, response: { ...r.response, userHandle: 'dXNlci0xMA' } }),
    reason: 'user_handle',
    stricter: 'leaves the user handle to the caller',
    group: 'handle',
  },
]

async function respond(alg: Algorithm, c: Partial<AuthCase>, extra: Bends = {}) {
  const options = { ...REQUEST, challenge: c.challenge ?? REQUEST.challenge }
  const response = await authenticators[alg].get(options, { ...extra, ...c.bend })
  const key = c.otherKey ? stranger.publicKey : authenticators[alg].publicKey
  return { response: (c.post ?? ((r) => r))(response), key }
}

describe('verifyAuthentication', () => {
  it.each(ALGS.flatMap((alg) => [true, false].map((synced) => [alg, synced] as const)))(
    'accepts a genuine %s assertion (synced %s) with its counter and backup state',
    async (alg, synced) => {
      const { response, key } = await respond(alg, {}, { synced })
      expect(await libraryAuthentication(response, key)).toBe('accepted')
      const assertion = await verifyAuthentication(response, {
        ...EXPECTED,
        publicKey: key,
        userHandle: fromBase64Url(USER_HANDLE)!,
      })
      expect(assertion.counter).toBeGreaterThan(0)
      expect(assertion).toMatchObject({
        deviceType: synced ? 'multiDevice' : 'singleDevice',
        backedUp: synced,
      })
    },
  )

  describe.each(ALGS)('bent one thing at a time (%s)', (alg) => {
    it.each(CASES)('refuses $name', async (c) => {
      const { response, key } = await respond(alg, c)
      expect(await ourAuthentication(response, key)).toBe(c.reason)
      expect(await libraryAuthentication(response, key)).toBe(c.stricter ? 'accepted' : 'refused')
    })
  })

  it('agrees with the library on any mix of bends and algorithm', async () => {
    await fc.assert(
      fc.asyncProperty(
        mixOf(CASES),
        fc.constantFrom(...ALGS),
        fc.boolean(),
        async (picked, alg, synced) => {
          const otherKey = picked.some((c) => c.otherKey) || undefined
          const { response, key } = await respond(
            alg,
            { ...combined(picked), otherKey },
            { synced },
          )
          const ours = await ourAuthentication(response, key)
          expectAgreement(picked, ours, await libraryAuthentication(response, key))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('takes a credential id of 1023 bytes, not 1024 (the schema and the store say the same)', async () => {
    for (const [bytes, verdict] of [
      [1023, 'accepted'],
      [1024, 'malformed'],
    ] as const) {
      const authenticator = await softAuthenticator({
        origin: ORIGIN,
        credentialIdBytes: bytes,
        userHandle: USER_HANDLE,
      })
      const response = await authenticator.get(REQUEST)
      expect(await ourAuthentication(response, authenticator.publicKey)).toBe(verdict)
    }
  })

  it('refuses a stored key it cannot import, as public_key', async () => {
    const { response } = await respond('ES256', {})
    expect(await ourAuthentication(response, new Uint8Array([0xa0]))).toBe('public_key')
  })
})

describe('passkeys registered before this verifier', () => {
  it.each(ALGS)(
    'still sign in with the %s key @simplewebauthn/server returned for storage',
    async (alg) => {
      const authenticator = await softAuthenticator({ origin: ORIGIN, alg })
      const registration = await verifyRegistrationResponse({
        response: (await authenticator.create(CREATION)) as never,
        expectedChallenge: CHALLENGE,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
      })
      // What the service stored then, base64url, read back as it is now.
      const stored = toBase64Url(registration.registrationInfo!.credential.publicKey)
      const response = await authenticator.get(REQUEST)
      expect(await ourAuthentication(response, fromBase64Url(stored)!)).toBe('accepted')
    },
  )
})

describe('the challenge check', () => {
  it('is called once, before the signature: a bad challenge is refused as one', async () => {
    const seen: string[] = []
    const check = (verdict: boolean) => async (challenge: string) => (seen.push(challenge), verdict)
    const forged = CASES.find((c) => c.name === 'a signature with a byte flipped')!
    const { response, key } = await respond('ES256', forged)
    expect(await ourAuthentication(response, key, { ...EXPECTED, challenge: check(false) })).toBe(
      'challenge',
    )
    expect(seen).toEqual([REQUEST.challenge])
    expect(await ourAuthentication(response, key, { ...EXPECTED, challenge: check(true) })).toBe(
      'signature',
    )
    expect(seen).toHaveLength(2)
  })

  it('lets its own failure through (a store that is down is not a bad response)', async () => {
    const down = new Error('D1 unavailable')
    const { response, key } = await respond('ES256', {})
    const expected = {
      ...EXPECTED,
      challenge: () => Promise.reject(down),
      publicKey: key,
      userHandle: fromBase64Url(USER_HANDLE)!,
    }
    await expect(verifyAuthentication(response, expected)).rejects.toBe(down)
  })
})

describe('anything else', () => {
  it('is refused as a WebAuthnError, never a crash', async () => {
    const { response: genuine, key } = await respond('EdDSA', {})
    const field = fc.constantFrom(
      'clientDataJSON' as const,
      'authenticatorData' as const,
      'signature' as const,
      'userHandle' as const,
    )
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map(toBase64Url),
      fc.string(),
      fc.nat(),
    )
    await fc.assert(
      fc.asyncProperty(field, garbage, fc.nat(1000), async (name, value, at) => {
        const length = Math.floor((genuine.response[name]!.length * 3) / 4)
        const flipped = flipByte(genuine.response[name]!, at % length)
        for (const bent of [value, flipped]) {
          const response = { ...genuine, response: { ...genuine.response, [name]: bent } }
          const outcome = await ourAuthentication(response as Response, key)
          // A reason, never a crash; and nothing bent is accepted (every byte is signed).
          expect(typeof outcome).toBe('string')
          expect(outcome).not.toBe('accepted')
        }
      }),
      { numRuns: 300 },
    )
  })
})
