// Verifies an authentication response (WebAuthn §7.2) with the credential's stored key. The sign
// counter is returned, not judged: the caller compares it with the stored one, after the
// signature, so a forged response cannot raise a clone alarm. Sign-in is username-less (no
// allowCredentials), so the user is never identified before the ceremony and §7.2 step 6 applies
// in full: the response must carry a user handle, and it must be the credential owner's.
import { fromBase64Url, timingSafeEqual } from '../encoding'
import { parseAuthenticatorData } from './authenticator-data'
import * as ceremony from './ceremony'
import { importCoseKey, verifySignature } from './cose-keys'
import { refuseUnless } from './errors'

/** PublicKeyCredential.toJSON() of navigator.credentials.get(), the members read here. */
export type AuthenticationResponseJSON = {
  id: string
  rawId: string
  type: string
  response: {
    clientDataJSON: string
    authenticatorData: string
    signature: string
    /** The user handle (base64url): required, and must be `expected.userHandle`. */
    userHandle?: string
  }
}

export type Assertion = { counter: number; deviceType: ceremony.DeviceType; backedUp: boolean }

/**
 * Throws a WebAuthnError naming the check that failed. `publicKey` is the stored COSE_Key;
 * `userHandle` is the user handle of the credential's owner on record (its bytes).
 */
export async function verifyAuthentication(
  response: AuthenticationResponseJSON,
  expected: ceremony.Expected & { publicKey: Uint8Array; userHandle: Uint8Array },
): Promise<Assertion> {
  ceremony.credentialIdOf(response)
  const clientData = await ceremony.checkClientData(
    response.response?.clientDataJSON,
    'webauthn.get',
    expected,
  )
  // After the challenge (spent once, so a replay reads as one), before the key is touched.
  const handle = response.response.userHandle
  const handleBytes = typeof handle === 'string' ? fromBase64Url(handle) : null
  refuseUnless(
    handleBytes && handleBytes.length > 0 && timingSafeEqual(handleBytes, expected.userHandle),
    'user_handle',
  )
  const authData = ceremony.fieldBytes(response.response.authenticatorData)
  const data = parseAuthenticatorData(authData)
  await ceremony.checkAuthenticatorData(data, expected)
  const signature = ceremony.fieldBytes(response.response.signature)
  const key = await importCoseKey(expected.publicKey)
  refuseUnless(
    await verifySignature(key, signature, await ceremony.signedData(authData, clientData)),
    'signature',
  )
  return { counter: data.signCount, ...ceremony.backupStateOf(data) }
}
