// Registration responses, ours against @simplewebauthn/server's verdict: genuine ones from ES256,
// EdDSA and RS256 authenticators (attestation none and packed self), and ones bent one thing at a
// time, then several at once. Both must agree, except where ours is deliberately stricter: each
// such case says what the library lets through.
import { verifyRegistrationResponse } from '@simplewebauthn/server'
import { isoCBOR } from '@simplewebauthn/server/helpers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64Url, toBase64Url, utf8 } from '../../../src/auth/encoding'
import {
  type RegistrationResponseJSON,
  verifyRegistration,
} from '../../../src/auth/webauthn/registration'
import { type Algorithm, type Bends, concat, softAuthenticator } from '../../doubles/authenticator'
import {
  ALGS,
  CREATION,
  type Case,
  authenticatorsByAlg,
  EXPECTED,
  ORIGIN,
  OTHER_ID,
  combined,
  expectAgreement,
  flipByte,
  libraryRegistration,
  mixOf,
  ourRegistration,
  sharedCases,
} from './differential'
import {
  FORGED_SIGNATURE,
  NON_CANONICAL_SMALL_ORDER_ENCODINGS,
  SMALL_ORDER_ENCODINGS,
  okpCoseKey,
} from './ed25519-points'

const authenticators = await authenticatorsByAlg()

type Response = RegistrationResponseJSON

/** The attestation object decoded, changed by `change`, and encoded again. */
const reencode =
  (change: (object: Map<string, unknown>) => void) =>
  (r: Response): Response => {
    const object = isoCBOR.decodeFirst(fromBase64Url(r.response.attestationObject)!)
    change(object as Map<string, unknown>)
    const attestationObject = toBase64Url(isoCBOR.encode(object as never))
    return { ...r, response: { ...r.response, attestationObject } }
  }

const CASES: Case<Response>[] = [
  ...sharedCases<Response>('webauthn.get', 'reads no crossOrigin on registration'),
  {
    name: 'authenticator data cut short by a byte',
    bend: { authData: (b) => b.slice(0, -1) },
    reason: 'malformed',
    group: 'layout',
    // The library reads the key's last member a byte short (tiny-cbor) and re-encodes it, so the
    // lengths add up; under fmt none it never imports the key.
    stricter: 'reads the truncated key as a shorter one',
  },
  {
    name: 'a top origin (a framed ceremony)',
    post: (r) => {
      const client = JSON.parse(new TextDecoder().decode(fromBase64Url(r.response.clientDataJSON)!))
      const framed = { ...client, topOrigin: 'https://evil.example' }
      return {
        ...r,
        response: { ...r.response, clientDataJSON: toBase64Url(utf8(JSON.stringify(framed))) },
      }
    },
    reason: 'origin',
    stricter: 'reads no topOrigin on registration',
  },
  {
    name: "an id that is not the new credential's",
    post: (r) => ({ ...r, id: OTHER_ID, rawId: OTHER_ID }),
    group: 'id',
    reason: 'malformed',
    stricter: "never compares the response's id with the authenticator data's",
  },
  {
    name: 'a byte after the attestation object',
    post: (r) => ({
      ...r,
      response: {
        ...r.response,
        attestationObject: toBase64Url(
          concat(fromBase64Url(r.response.attestationObject)!, new Uint8Array([0])),
        ),
      },
    }),
    reason: 'malformed',
    stricter: 'decodes the first CBOR item and ignores what follows',
  },
  {
    name: 'format none with a statement',
    post: reencode((o) => o.set('fmt', 'none').set('attStmt', new Map([['alg', -7]]))),
    reason: 'attestation',
  },
  {
    name: 'format fido-u2f',
    post: reencode((o) => o.set('fmt', 'fido-u2f').set('attStmt', new Map())),
    reason: 'attestation',
  },
  {
    name: 'an unknown format',
    post: reencode((o) => o.set('fmt', 'homebrew').set('attStmt', new Map())),
    reason: 'attestation',
  },
]

async function respond(alg: Algorithm, c: Partial<Case<Response>>, extra: Bends = {}) {
  const options = { ...CREATION, challenge: c.challenge ?? CREATION.challenge }
  const response = await authenticators[alg].create(options, { ...extra, ...c.bend })
  return (c.post ?? ((r) => r))(response)
}

describe('verifyRegistration', () => {
  it.each(ALGS.flatMap((alg) => [true, false].map((synced) => [alg, synced] as const)))(
    'accepts a genuine %s registration (synced %s), and returns what the library did',
    async (alg, synced) => {
      for (const attestation of ['none', 'packed'] as const) {
        const response = await respond(alg, {}, { synced, attestation })
        const ours = await verifyRegistration(response, EXPECTED)
        const library = await verifyRegistrationResponse({
          response: response as never,
          expectedChallenge: CREATION.challenge,
          expectedOrigin: ORIGIN,
          expectedRPID: CREATION.rp.id,
        })
        expect(library.verified).toBe(true)
        const info = library.registrationInfo!
        expect(ours).toEqual({
          id: info.credential.id,
          publicKey: info.credential.publicKey,
          counter: info.credential.counter,
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
        })
        expect(ours.publicKey).toEqual(authenticators[alg].publicKey)
        expect(ours.deviceType).toBe(synced ? 'multiDevice' : 'singleDevice')
      }
    },
  )

  describe.each(ALGS)('bent one thing at a time (%s)', (alg) => {
    it.each(CASES)('refuses $name', async (c) => {
      const response = await respond(alg, c)
      expect(await ourRegistration(response)).toBe(c.reason)
      expect(await libraryRegistration(response)).toBe(c.stricter ? 'accepted' : 'refused')
    })
  })

  it('agrees with the library on any mix of bends, attestation and algorithm', async () => {
    await fc.assert(
      fc.asyncProperty(
        mixOf(CASES),
        fc.constantFrom(...ALGS),
        fc.constantFrom('none' as const, 'packed' as const),
        fc.boolean(),
        async (picked, alg, attestation, synced) => {
          const response = await respond(alg, combined(picked), { attestation, synced })
          const ours = await ourRegistration(response)
          expectAgreement(picked, ours, await libraryRegistration(response))
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('attestation', () => {
  it.each(ALGS)('accepts packed self attestation (%s) and refuses it signed wrong', async (alg) => {
    const packed = await respond(alg, {}, { attestation: 'packed' })
    expect(await ourRegistration(packed)).toBe('accepted')
    const bent = reencode((o) => {
      const statement = o.get('attStmt') as Map<string, Uint8Array>
      statement.set('sig', fromBase64Url(flipByte(toBase64Url(statement.get('sig')!), -6))!)
    })(packed)
    expect(await ourRegistration(bent)).toBe('attestation')
    expect(await libraryRegistration(bent)).toBe('refused')
  })

  it.each(ALGS)("refuses a packed statement whose alg is not the key's (%s)", async (alg) => {
    // §8.2 asks that they match; the library verifies with the statement's alg as the hash, and
    // all three offered algorithms hash with SHA-256, so it accepts.
    const attestationAlg = alg === 'ES256' ? -257 : -7
    const response = await respond(alg, {}, { attestation: 'packed', attestationAlg })
    expect(await ourRegistration(response)).toBe('attestation')
    expect(await libraryRegistration(response)).toBe('accepted')
  })

  it.each(ALGS)(
    'refuses packed attestation with a certificate (%s): no root is trusted',
    async (alg) => {
      const response = await respond(alg, {}, { attestation: 'packed-x5c' })
      expect(await ourRegistration(response)).toBe('attestation')
      expect(await libraryRegistration(response)).toBe('refused')
    },
  )

  it('refuses a packed statement without its signature', async () => {
    const unsigned = reencode((o) => (o.get('attStmt') as Map<string, unknown>).delete('sig'))(
      await respond('ES256', {}, { attestation: 'packed' }),
    )
    expect(await ourRegistration(unsigned)).toBe('attestation')
    expect(await libraryRegistration(unsigned)).toBe('refused')
  })
})

describe('the credential key', () => {
  it('refuses an algorithm registration did not offer', async () => {
    const es384 = await softAuthenticator({ origin: ORIGIN, coseAlg: -35 })
    const response = await es384.create(CREATION)
    expect(await ourRegistration(response)).toBe('public_key')
    expect(await libraryRegistration(response)).toBe('refused')
  })

  it('refuses an EC2 key labelled RS256', async () => {
    // The library never imports the key under fmt none, and later picks the verifier by key
    // type, hashing by the label: it would register this key and let it sign in.
    const liar = await softAuthenticator({ origin: ORIGIN, coseAlg: -257 })
    const response = await liar.create(CREATION)
    expect(await ourRegistration(response)).toBe('public_key')
    expect(await libraryRegistration(response)).toBe('accepted')
  })
})

describe('Ed25519 keys of small order (issue 20)', () => {
  it.each(
    [...SMALL_ORDER_ENCODINGS, ...NON_CANONICAL_SMALL_ORDER_ENCODINGS].map((x) => [
      Array.from(x, (b) => b.toString(16).padStart(2, '0')).join(''),
      x,
    ]),
  )('refuses %s as public_key, which the library registers', async (_, x) => {
    const authenticator = await softAuthenticator({ origin: ORIGIN, alg: 'EdDSA' })
    const response = await authenticator.create(CREATION, { coseKey: okpCoseKey(x) })
    expect(await ourRegistration(response)).toBe('public_key')
    expect(await libraryRegistration(response)).toBe('accepted')
  })

  it('refuses one even with a packed self attestation forged for it (R = identity, S = 0)', async () => {
    const authenticator = await softAuthenticator({ origin: ORIGIN, alg: 'EdDSA' })
    const identity = SMALL_ORDER_ENCODINGS[0]!
    const response = reencode((o) =>
      o.set(
        'attStmt',
        new Map<string, unknown>([
          ['alg', -8],
          ['sig', FORGED_SIGNATURE],
        ]),
      ),
    )(
      await authenticator.create(CREATION, {
        coseKey: okpCoseKey(identity),
        attestation: 'packed',
      }),
    )
    expect(await ourRegistration(response)).toBe('public_key')
  })
})

describe('the credential id', () => {
  it('may be 1023 bytes, not 1024 (WebAuthn L3), as the schema and the store say', async () => {
    for (const [bytes, verdict] of [
      [1023, 'accepted'],
      [1024, 'malformed'],
    ] as const) {
      const authenticator = await softAuthenticator({ origin: ORIGIN, credentialIdBytes: bytes })
      expect(await ourRegistration(await authenticator.create(CREATION))).toBe(verdict)
    }
  })
})

describe('the challenge check', () => {
  it('is called once, with the challenge, before the attestation is verified', async () => {
    const seen: string[] = []
    const check = async (challenge: string) => (seen.push(challenge), false)
    const response = await respond('ES256', {}, { attestation: 'packed-x5c' })
    expect(await ourRegistration(response, { ...EXPECTED, challenge: check })).toBe('challenge')
    expect(seen).toEqual([CREATION.challenge])
  })

  it('is not called for a response that does not decode', async () => {
    const seen: string[] = []
    const check = async (challenge: string) => (seen.push(challenge), true)
    const response = await respond('ES256', {})
    const broken = { ...response, response: { ...response.response, clientDataJSON: 'e30' } }
    expect(await ourRegistration(broken, { ...EXPECTED, challenge: check })).toBe('malformed')
    expect(seen).toEqual([])
  })

  it('lets its own failure through (a store that is down is not a bad response)', async () => {
    const down = new Error('D1 unavailable')
    const check = async () => Promise.reject(down)
    const response = await respond('ES256', {})
    await expect(verifyRegistration(response, { ...EXPECTED, challenge: check })).rejects.toBe(down)
  })
})

describe('anything else', () => {
  it('is refused as a WebAuthnError, never a crash', async () => {
    const genuine = await respond('ES256', {}, { attestation: 'packed' })
    const field = fc.constantFrom('clientDataJSON' as const, 'attestationObject' as const)
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map(toBase64Url),
      fc.string(),
      fc.nat(), // not even a string
    )
    await fc.assert(
      fc.asyncProperty(field, garbage, fc.nat(1000), async (name, value, at) => {
        const bytes = fromBase64Url(genuine.response[name])!
        const flipped = flipByte(genuine.response[name], at % bytes.length)
        for (const bent of [value, flipped]) {
          const response = { ...genuine, response: { ...genuine.response, [name]: bent } }
          const outcome = await ourRegistration(response as Response)
          // A reason, never a crash; and nothing bent is accepted (every byte is signed).
          expect(typeof outcome).toBe('string')
          expect(outcome).not.toBe('accepted')
        }
      }),
      { numRuns: 300 },
    )
  })
})
