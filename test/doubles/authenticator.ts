// A software WebAuthn authenticator for the workerd tests: real ES256 keys and signatures, and
// CBOR from @simplewebauthn/server's own encoder, so the worker verifies genuine responses. The
// tests bend one thing at a time (origin, RP ID, flags, counter, challenge) to check each
// refusal. Chromium's virtual authenticator runs the same ceremonies in client/test/.
import { isoCBOR } from '@simplewebauthn/server/helpers'
import { toBase64Url, utf8 } from '../../src/auth/encoding'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_BE = 0x08
const FLAG_BS = 0x10
const FLAG_AT = 0x40

const sha256 = async (data: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

const uint32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])

/** WebAuthn's ES256 signatures are ASN.1 DER; Web Crypto's are r‖s. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let i = 0
    while (i < bytes.length - 1 && bytes[i] === 0) i++
    let body = bytes.slice(i)
    if (body[0]! & 0x80) body = concat(new Uint8Array([0]), body)
    return concat(new Uint8Array([0x02, body.length]), body)
  }
  const seq = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)))
  return concat(new Uint8Array([0x30, seq.length]), seq)
}

const fromB64url = (s: string) =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))

type Options = {
  /** Where the "browser" says the ceremony ran. */
  origin: string
  /** The RP ID the authenticator hashes (the browser's check is skipped here on purpose). */
  rpId?: string
  userVerified?: boolean
  /** Backup eligible and backed up: a synced passkey. */
  synced?: boolean
}

export type SoftPasskey = Awaited<ReturnType<typeof softAuthenticator>>

export async function softAuthenticator(options: Options) {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const raw = new Uint8Array((await crypto.subtle.exportKey('raw', keys.publicKey)) as ArrayBuffer)
  const cose = isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, raw.slice(1, 33)],
      [-3, raw.slice(33, 65)],
    ]),
  )
  const credentialId = crypto.getRandomValues(new Uint8Array(16))
  const id = toBase64Url(credentialId)
  let counter = 0
  let userHandle: string | undefined

  const flags = (o: Options, extra = 0) =>
    FLAG_UP | (o.userVerified === false ? 0 : FLAG_UV) | (o.synced ? FLAG_BE | FLAG_BS : 0) | extra

  const clientData = (type: string, challenge: string, o: Options) =>
    utf8(JSON.stringify({ type, challenge, origin: o.origin, crossOrigin: false }))

  return {
    id,
    /** The counter the next signature carries; a test may wind it back (a clone). */
    setCounter: (n: number) => void (counter = n),

    /** navigator.credentials.create() for `optionsJSON`, as RegistrationResponseJSON. */
    async create(
      optionsJSON: { challenge: string; rp: { id?: string }; user: { id: string } },
      overrides: Partial<Options> = {},
    ) {
      const o = { ...options, ...overrides }
      userHandle = optionsJSON.user.id
      const rpId = o.rpId ?? optionsJSON.rp.id!
      counter += 1
      const authData = concat(
        await sha256(utf8(rpId)),
        new Uint8Array([flags(o, FLAG_AT)]),
        uint32(counter),
        new Uint8Array(16), // AAGUID: none
        new Uint8Array([0, credentialId.length]),
        credentialId,
        cose,
      )
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]) as never,
      )
      return {
        id,
        rawId: id,
        type: 'public-key' as const,
        response: {
          clientDataJSON: toBase64Url(clientData('webauthn.create', optionsJSON.challenge, o)),
          attestationObject: toBase64Url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      }
    },

    /** navigator.credentials.get() for `optionsJSON`, as AuthenticationResponseJSON. */
    async get(
      optionsJSON: { challenge: string; rpId?: string },
      overrides: Partial<Options> & { userHandle?: string | null } = {},
    ) {
      const o = { ...options, ...overrides }
      const rpId = o.rpId ?? optionsJSON.rpId!
      counter += 1
      const authData = concat(await sha256(utf8(rpId)), new Uint8Array([flags(o)]), uint32(counter))
      const client = clientData('webauthn.get', optionsJSON.challenge, o)
      const signed = concat(authData, await sha256(client))
      const signature = new Uint8Array(
        await crypto.subtle.sign(
          { name: 'ECDSA', hash: 'SHA-256' },
          keys.privateKey,
          signed as Uint8Array<ArrayBuffer>,
        ),
      )
      const handle = overrides.userHandle === undefined ? userHandle : overrides.userHandle
      return {
        id,
        rawId: id,
        type: 'public-key' as const,
        response: {
          clientDataJSON: toBase64Url(client),
          authenticatorData: toBase64Url(authData),
          signature: toBase64Url(derSignature(signature)),
          ...(handle ? { userHandle: handle } : {}),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      }
    },

    /** The challenge a response answers, as the server sealed it. */
    challengeOf: (response: { response: { clientDataJSON: string } }) =>
      (
        JSON.parse(new TextDecoder().decode(fromB64url(response.response.clientDataJSON))) as {
          challenge: string
        }
      ).challenge,
  }
}
