// Authenticator data read exactly: the parts of a genuine one, and a refusal (never a crash) for
// anything cut short, padded out or inconsistent.
import { isoCBOR } from '@simplewebauthn/server/helpers'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64Url } from '../../../src/auth/encoding'
import { parseAuthenticatorData } from '../../../src/auth/webauthn/authenticator-data'
import { WebAuthnError } from '../../../src/auth/webauthn/errors'
import { concat, softAuthenticator, withFlags } from '../../doubles/authenticator'

const authenticator = await softAuthenticator({ origin: 'https://auth.example', synced: true })
const OPTIONS = { challenge: 'AAAA', rp: { id: 'auth.example' }, user: { id: 'dXNlcg' } }

/** The authenticator data of a registration, bent by `bend` first. */
async function registrationData(bend?: (bytes: Uint8Array) => Uint8Array) {
  const response = await authenticator.create(OPTIONS, { authData: bend })
  const object = isoCBOR.decodeFirst(fromBase64Url(response.response.attestationObject)!)
  return (object as Map<string, Uint8Array>).get('authData')!
}

const reasonOf = (bytes: Uint8Array) => {
  try {
    parseAuthenticatorData(bytes)
    return 'parsed'
  } catch (err) {
    if (err instanceof WebAuthnError) return err.reason
    throw err
  }
}

describe('parseAuthenticatorData', () => {
  it('reads the RP ID hash, flags, counter and the attested credential', async () => {
    const data = parseAuthenticatorData(await registrationData())
    expect(data).toMatchObject({ up: true, uv: true, be: true, bs: true })
    expect(data.signCount).toBeGreaterThan(0)
    expect(data.attested?.credentialId).toEqual(fromBase64Url(authenticator.id))
    expect(data.attested?.publicKey).toEqual(authenticator.publicKey)
    expect(data.attested?.aaguid).toEqual(new Uint8Array(16))
  })

  it('reads a view into a larger buffer as the bytes it shows', async () => {
    // Every offset is the view's own (tiny-cbor, the library's decoder, read from the buffer's 0).
    const bytes = await registrationData()
    const padded = concat(new Uint8Array(7).fill(0xa5), bytes, new Uint8Array(3))
    const view = padded.subarray(7, 7 + bytes.length)
    expect(parseAuthenticatorData(view).attested?.publicKey).toEqual(authenticator.publicKey)
  })

  it('reads extensions after the key, and refuses extensions that are not a map', async () => {
    const ED = 0x80
    const extensions = isoCBOR.encode(new Map([['credProtect', 2]]) as never)
    const data = await registrationData((b) => withFlags(ED)(concat(b, extensions)))
    expect(reasonOf(data)).toBe('parsed')
    const list = await registrationData((b) => withFlags(ED)(concat(b, isoCBOR.encode([1]))))
    expect(reasonOf(list)).toBe('malformed')
  })

  it.each([
    ['shorter than 37 bytes', (b: Uint8Array) => b.slice(0, 36)],
    ['a byte after the key', (b: Uint8Array) => concat(b, new Uint8Array([0]))],
    // The library reads the key's last byte string short here, and counts it whole.
    ['the key cut short by a byte', (b: Uint8Array) => b.slice(0, -1)],
    ['attested data cut before its id length', (b: Uint8Array) => b.slice(0, 37 + 17)],
    ['a credential id running past the end', (b: Uint8Array) => b.slice(0, 37 + 18 + 8)],
    ['the attested-data flag without the data', (b: Uint8Array) => b.slice(0, 37)],
    ['attested data without its flag', withFlags(0, 0x40)],
    ['the extension flag without extensions', withFlags(0x80)],
    ['backed up but not backup eligible', withFlags(0x10, 0x08)],
    [
      'a credential id of length 0',
      (b: Uint8Array) => concat(b.slice(0, 53), new Uint8Array([0, 0]), b.slice(55 + 16)),
    ],
    [
      'a credential id over 1023 bytes',
      (b: Uint8Array) =>
        concat(b.slice(0, 53), new Uint8Array([4, 0]), new Uint8Array(1024), b.slice(55 + 16)),
    ],
  ])('refuses %s', async (_, bend) => {
    expect(reasonOf(bend(await registrationData()))).toBe('malformed')
  })

  it('refuses any bytes it cannot read as malformed, and never throws anything else', async () => {
    const genuine = await registrationData()
    const flipped = fc
      .tuple(fc.nat(genuine.length - 1), fc.integer({ min: 1, max: 255 }))
      .map(([at, xor]) => {
        const copy = genuine.slice()
        copy[at]! ^= xor
        return copy
      })
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), flipped), (bytes) => {
        expect(['parsed', 'malformed']).toContain(reasonOf(bytes))
      }),
      { numRuns: 2000 },
    )
  })
})
