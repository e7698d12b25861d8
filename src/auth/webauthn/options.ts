// The options navigator.credentials.create() and .get() take, as JSON (what
// PublicKeyCredential.parseCreationOptionsFromJSON() and @simplewebauthn/browser read). Field for
// field what @simplewebauthn/server 14 generated for the same inputs; the policy is fixed here:
// discoverable credentials, user verification required, no attestation.
import { toBase64Url } from '../encoding'
import { COSE_ALGORITHMS } from './cose-keys'

type CredentialDescriptor = { id: string; transports: string[]; type: 'public-key' }

export type CreationOptionsJSON = {
  challenge: string
  rp: { name: string; id: string }
  user: { id: string; name: string; displayName: string }
  pubKeyCredParams: { alg: number; type: 'public-key' }[]
  timeout: number
  attestation: 'none'
  excludeCredentials: CredentialDescriptor[]
  authenticatorSelection: {
    residentKey: 'required'
    userVerification: 'required'
    requireResidentKey: true
  }
  extensions: { credProps: true }
  hints: string[]
}

export type RequestOptionsJSON = {
  rpId: string
  challenge: string
  timeout: number
  userVerification: 'required'
}

export function creationOptions(input: {
  rp: { name: string; id: string }
  user: { id: Uint8Array; name: string }
  challenge: Uint8Array
  timeoutMs: number
  /** The user's credentials already: the browser refuses the same authenticator twice. */
  exclude: { id: string; transports: string[] }[]
}): CreationOptionsJSON {
  return {
    challenge: toBase64Url(input.challenge),
    rp: { name: input.rp.name, id: input.rp.id },
    user: { id: toBase64Url(input.user.id), name: input.user.name, displayName: '' },
    // Every algorithm the verifier can check, in the library's order of preference.
    pubKeyCredParams: Object.values(COSE_ALGORITHMS).map((alg) => ({ alg, type: 'public-key' })),
    timeout: input.timeoutMs,
    // Browsers then send format "none"; the verifier trusts no attestation roots anyway.
    attestation: 'none',
    excludeCredentials: input.exclude.map(({ id, transports }) => ({
      id,
      transports,
      type: 'public-key',
    })),
    authenticatorSelection: {
      residentKey: 'required',
      userVerification: 'required',
      requireResidentKey: true,
    },
    extensions: { credProps: true },
    hints: [],
  }
}

export function requestOptions(input: {
  rpId: string
  challenge: Uint8Array
  timeoutMs: number
}): RequestOptionsJSON {
  return {
    rpId: input.rpId,
    challenge: toBase64Url(input.challenge),
    timeout: input.timeoutMs,
    userVerification: 'required',
  }
}
