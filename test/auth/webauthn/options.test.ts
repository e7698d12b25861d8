// The ceremony options against @simplewebauthn/server 14's for the same inputs, byte for byte as
// JSON (key order included): what a browser is handed did not change when the library went.
import { generateAuthenticationOptions, generateRegistrationOptions } from '@simplewebauthn/server'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toBase64Url } from '../../../src/auth/encoding'
import { creationOptions, requestOptions } from '../../../src/auth/webauthn/options'

const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']

const rpId = fc.domain()
const bytes = fc.uint8Array({ minLength: 1, maxLength: 64 })
const credential = fc.record({
  id: fc.uint8Array({ minLength: 16, maxLength: 64 }).map(toBase64Url),
  transports: fc.subarray(TRANSPORTS),
})

describe('creation options', () => {
  it("are the library's, for any RP, user, challenge, timeout and exclusions", async () => {
    await fc.assert(
      fc.asyncProperty(
        rpId,
        fc.string({ minLength: 1, maxLength: 32 }),
        bytes,
        bytes,
        fc.integer({ min: 1, max: 600_000 }),
        fc.array(credential, { maxLength: 4 }),
        async (id, name, userId, challenge, timeout, exclude) => {
          const ours = creationOptions({
            rp: { name: id, id },
            user: { id: userId, name },
            challenge,
            timeoutMs: timeout,
            exclude,
          })
          const reference = await generateRegistrationOptions({
            rpName: id,
            rpID: id,
            userName: name,
            userID: userId as Uint8Array<ArrayBuffer>,
            challenge: challenge as Uint8Array<ArrayBuffer>,
            timeout,
            attestationType: 'none',
            excludeCredentials: exclude,
            authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
          })
          expect(JSON.stringify(ours)).toBe(JSON.stringify(reference))
        },
      ),
      { numRuns: 50 },
    )
  })

  it('offer EdDSA, ES256 and RS256, and ask for a discoverable, user-verified credential', () => {
    const options = creationOptions({
      rp: { name: 'auth.example', id: 'auth.example' },
      user: { id: new Uint8Array([1]), name: 'alice' },
      challenge: new Uint8Array([2]),
      timeoutMs: 300_000,
      exclude: [],
    })
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257])
    expect(options.authenticatorSelection).toEqual({
      residentKey: 'required',
      userVerification: 'required',
      requireResidentKey: true,
    })
    expect(options.attestation).toBe('none')
    expect(options).not.toHaveProperty('attestationFormats')
  })
})

describe('request options', () => {
  it("are the library's, for any RP, challenge and timeout", async () => {
    await fc.assert(
      fc.asyncProperty(
        rpId,
        bytes,
        fc.integer({ min: 1, max: 600_000 }),
        async (id, c, timeout) => {
          const ours = requestOptions({ rpId: id, challenge: c, timeoutMs: timeout })
          const reference = await generateAuthenticationOptions({
            rpID: id,
            challenge: c as Uint8Array<ArrayBuffer>,
            timeout,
            userVerification: 'required',
          })
          expect(JSON.stringify(ours)).toBe(JSON.stringify(reference))
        },
      ),
      { numRuns: 50 },
    )
  })
})
