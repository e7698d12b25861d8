// Verifies a registration response (WebAuthn §7.1) and returns the new credential.
//
// Attestation: registration asks for none, and this service trusts no attestation roots (it has
// no use for knowing the authenticator's make), so it accepts format "none" (an empty statement)
// and "packed" self attestation (no certificate: the credential key signs, checked below). Every
// other format, and packed with a certificate chain (x5c), is refused, failing closed: browsers
// send "none" when "none" is requested, so a certificate here means a client asked for more.
import { timingSafeEqual } from '../encoding'
import { parseAuthenticatorData } from './authenticator-data'
import { type CborMap, decodeCbor, isBytes, isCborMap } from './cbor'
import * as ceremony from './ceremony'
import { type CredentialKey, importCoseKey, verifySignature } from './cose-keys'
import { refuseUnless } from './errors'

/** PublicKeyCredential.toJSON() of navigator.credentials.create(), the members read here. */
export type RegistrationResponseJSON = {
  id: string
  rawId: string
  type: string
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] }
}

export type NewCredential = {
  /** base64url, as responses name it. */
  id: string
  /** The COSE_Key, byte for byte as the authenticator sent it. */
  publicKey: Uint8Array
  counter: number
  deviceType: ceremony.DeviceType
  backedUp: boolean
}

/** Throws a WebAuthnError naming the check that failed. */
export async function verifyRegistration(
  response: RegistrationResponseJSON,
  expected: ceremony.Expected,
): Promise<NewCredential> {
  const id = ceremony.credentialIdOf(response)
  const clientData = await ceremony.checkClientData(
    response.response?.clientDataJSON,
    'webauthn.create',
    expected,
  )
  const { fmt, attStmt, authData } = decodeAttestationObject(
    ceremony.fieldBytes(response.response.attestationObject),
  )
  const data = parseAuthenticatorData(authData)
  await ceremony.checkAuthenticatorData(data, expected)
  const credential = data.attested
  // The credential the authenticator made is the one the response names.
  refuseUnless(credential && timingSafeEqual(credential.credentialId, id), 'malformed')
  const key = await importCoseKey(credential.publicKey)
  await checkAttestation(fmt, attStmt, key, await ceremony.signedData(authData, clientData))
  return {
    id: response.id,
    publicKey: credential.publicKey,
    counter: data.signCount,
    ...ceremony.backupStateOf(data),
  }
}

/** attestationObject: a CBOR map of fmt, attStmt and authData, with nothing after it. */
function decodeAttestationObject(bytes: Uint8Array) {
  const object = decodeCbor(bytes)
  const [fmt, attStmt, authData] = isCborMap(object)
    ? [object.get('fmt'), object.get('attStmt'), object.get('authData')]
    : []
  refuseUnless(typeof fmt === 'string' && isCborMap(attStmt) && isBytes(authData), 'malformed')
  return { fmt, attStmt, authData }
}

async function checkAttestation(
  fmt: string,
  attStmt: CborMap,
  key: CredentialKey,
  signed: Uint8Array<ArrayBuffer>,
): Promise<void> {
  if (fmt === 'none') {
    refuseUnless(attStmt.size === 0, 'attestation')
    return
  }
  // §8.2 self attestation: exactly {alg, sig}, alg the credential key's, sig by that key.
  const sig = attStmt.get('sig')
  refuseUnless(
    fmt === 'packed' && attStmt.size === 2 && attStmt.get('alg') === key.alg,
    'attestation',
  )
  refuseUnless(isBytes(sig) && (await verifySignature(key, sig, signed)), 'attestation')
}
