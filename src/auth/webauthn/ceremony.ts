// What both ceremonies check alike (WebAuthn §7.1, §7.2): the credential's envelope, the client
// data (type, challenge, origin), the authenticator data's RP ID hash and flags, and the bytes an
// authenticator signs.
import { fromBase64Url, timingSafeEqual, utf8 } from '../encoding'
import type { AuthenticatorData } from './authenticator-data'
import { CREDENTIAL_ID_MAX_BYTES } from './credential-id'
import { WebAuthnError, refuseUnless } from './errors'

/** The caller's check of a challenge: true for one it issued for this ceremony, and spends it. */
export type ChallengeCheck = (challenge: string) => Promise<boolean>

export type Expected = {
  challenge: ChallengeCheck
  /** The origins a ceremony may run on. */
  origins: readonly string[]
  rpId: string
  requireUserVerification: boolean
}

export type DeviceType = 'singleDevice' | 'multiDevice'

/** The bytes of one of the response's base64url members (canonical, unpadded). */
export function fieldBytes(value: unknown): Uint8Array<ArrayBuffer> {
  const bytes = typeof value === 'string' ? fromBase64Url(value) : null
  refuseUnless(bytes, 'malformed')
  return bytes
}

/**
 * The credential id's bytes: `id` and `rawId` agree, the credential is a public key, and the id
 * is 1 to 1023 bytes (the same limit the schemas and the store hold to).
 */
export function credentialIdOf(credential: { id: unknown; rawId: unknown; type: unknown }) {
  refuseUnless(credential.type === 'public-key' && credential.id === credential.rawId, 'malformed')
  const id = fieldBytes(credential.id)
  refuseUnless(id.length > 0 && id.length <= CREDENTIAL_ID_MAX_BYTES, 'malformed')
  return id
}

/**
 * The client data's bytes, once its type is `type`, its challenge passes the caller's check and
 * it ran on an expected origin, in a top-level page. The check is called once, and before
 * anything is verified with a key, as @simplewebauthn/server did: it spends the challenge, so a
 * replay is refused as one before another check can call it something else.
 */
export async function checkClientData(
  encoded: unknown,
  type: 'webauthn.create' | 'webauthn.get',
  expected: Expected,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = fieldBytes(encoded)
  let data: unknown
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))
  } catch {
    throw new WebAuthnError('malformed')
  }
  const client = (data ?? {}) as Record<string, unknown>
  refuseUnless(
    client.type === type &&
      typeof client.challenge === 'string' &&
      typeof client.origin === 'string',
    'malformed',
  )
  refuseUnless(await expected.challenge(client.challenge), 'challenge')
  // The pages that run ceremonies are never framed: a cross-origin frame's is refused outright
  // (@simplewebauthn/server let crossOrigin through when no topOrigin came with it).
  const topLevel = (client.crossOrigin ?? false) === false && client.topOrigin === undefined
  refuseUnless(topLevel && expected.origins.includes(client.origin), 'origin')
  return bytes
}

/** The authenticator data is for our RP ID, the user was present, and verified if required. */
export async function checkAuthenticatorData(data: AuthenticatorData, expected: Expected) {
  // Not secret: timingSafeEqual is simply the byte comparison at hand.
  refuseUnless(timingSafeEqual(data.rpIdHash, await sha256(utf8(expected.rpId))), 'rp_id')
  refuseUnless(data.up, 'user_presence')
  refuseUnless(data.uv || !expected.requireUserVerification, 'user_verification')
}

/** §6.1.3: backup eligible means a synced passkey; backed up says whether it is, now. */
export const backupStateOf = (data: AuthenticatorData) => ({
  deviceType: (data.be ? 'multiDevice' : 'singleDevice') as DeviceType,
  backedUp: data.bs,
})

/** What an authenticator signs: its data, then the SHA-256 of the client data (§6.5.5). */
export async function signedData(authData: Uint8Array, clientData: Uint8Array) {
  const hash = await sha256(clientData)
  const signed = new Uint8Array(authData.length + hash.length)
  signed.set(authData)
  signed.set(hash, authData.length)
  return signed
}

const sha256 = async (data: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', data))
