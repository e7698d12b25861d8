// Authenticator data (WebAuthn §6.1): what the authenticator signs about itself. Read exactly:
// every length is checked against the bytes that are there, and nothing may follow the last part.
import { decodeCborItem, isCborMap } from './cbor'
import { CREDENTIAL_ID_MAX_BYTES } from './credential-id'
import { refuseUnless } from './errors'

export type AuthenticatorData = {
  rpIdHash: Uint8Array
  /** User present, user verified, backup eligible, backed up. */
  up: boolean
  uv: boolean
  be: boolean
  bs: boolean
  signCount: number
  /** Present on registration (the AT flag): the new credential. */
  attested?: { aaguid: Uint8Array; credentialId: Uint8Array; publicKey: Uint8Array }
}

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_BE = 0x08
const FLAG_BS = 0x10
const FLAG_AT = 0x40
const FLAG_ED = 0x80

/** rpIdHash (32), flags (1), signCount (4). */
const FIXED_BYTES = 37
const AAGUID_BYTES = 16

export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  refuseUnless(bytes.length >= FIXED_BYTES, 'malformed')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const flags = bytes[32]!
  const data: AuthenticatorData = {
    rpIdHash: bytes.slice(0, 32),
    up: !!(flags & FLAG_UP),
    uv: !!(flags & FLAG_UV),
    be: !!(flags & FLAG_BE),
    bs: !!(flags & FLAG_BS),
    signCount: view.getUint32(33),
  }
  let at = FIXED_BYTES
  if (flags & FLAG_AT) {
    refuseUnless(bytes.length >= at + AAGUID_BYTES + 2, 'malformed')
    const aaguid = bytes.slice(at, (at += AAGUID_BYTES))
    const idLength = view.getUint16(at)
    at += 2
    refuseUnless(idLength > 0 && idLength <= CREDENTIAL_ID_MAX_BYTES, 'malformed')
    refuseUnless(at + idLength <= bytes.length, 'malformed')
    const credentialId = bytes.slice(at, (at += idLength))
    // The key's length is its CBOR encoding's, exactly as sent (nothing re-encoded).
    const { end } = decodeCborItem(bytes, at)
    data.attested = { aaguid, credentialId, publicKey: bytes.slice(at, end) }
    at = end
  }
  if (flags & FLAG_ED) {
    const { value, end } = decodeCborItem(bytes, at)
    refuseUnless(isCborMap(value), 'malformed')
    at = end
  }
  refuseUnless(at === bytes.length, 'malformed')
  // §6.1.3: a credential that is not backup eligible cannot be backed up.
  refuseUnless(data.be || !data.bs, 'malformed')
  return data
}
