// A synced passkey for the bench, in Node: P-256 keys and signatures from node:crypto, which are
// synchronous, so autocannon's setupRequest can answer each challenge as its request is built.
// Like the synced passkeys of phones and password managers, it keeps its sign counter at 0, so
// eight connections signing at once cannot trip the clone check. CBOR from SimpleWebAuthn's own
// encoder. (The tests' authenticator, test/doubles/authenticator.ts, is the same with Web Crypto.)
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

const b64url = (bytes) => Buffer.from(bytes).toString('base64url')
const sha256 = (data) => createHash('sha256').update(data).digest()
// Flags: user present, user verified, backup eligible, backed up (a synced passkey).
const FLAGS = 0x01 | 0x04 | 0x08 | 0x10
const ATTESTED = 0x40

export function syncedPasskey(origin) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { x, y } = publicKey.export({ format: 'jwk' })
  const cose = isoCBOR.encode(
    new Map([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(x, 'base64url')],
      [-3, Buffer.from(y, 'base64url')],
    ]),
  )
  const credentialId = randomBytes(16)
  const id = b64url(credentialId)
  let userHandle
  const clientData = (type, challenge) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))

  return {
    /** The RegistrationResponseJSON for creation options from the worker. */
    create(options) {
      userHandle = options.user.id
      const authData = Buffer.concat([
        sha256(options.rp.id),
        Buffer.from([FLAGS | ATTESTED, 0, 0, 0, 0]),
        Buffer.alloc(16),
        Buffer.from([0, credentialId.length]),
        credentialId,
        cose,
      ])
      const attestation = isoCBOR.encode(
        new Map([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      )
      return {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', options.challenge)),
          attestationObject: b64url(attestation),
          transports: ['internal', 'hybrid'],
        },
        clientExtensionResults: {},
      }
    },

    /** The AuthenticationResponseJSON for request options from the worker: synchronous. */
    get(options) {
      const authData = Buffer.concat([sha256(options.rpId), Buffer.from([FLAGS, 0, 0, 0, 0])])
      const client = clientData('webauthn.get', options.challenge)
      const signature = sign('sha256', Buffer.concat([authData, sha256(client)]), {
        key: privateKey,
        dsaEncoding: 'der',
      })
      return {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: b64url(client),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          userHandle,
        },
        clientExtensionResults: {},
      }
    },
  }
}
