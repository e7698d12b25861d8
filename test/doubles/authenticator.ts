// A software WebAuthn authenticator for the workerd tests: real ES256, EdDSA or RS256 keys and
// signatures, and CBOR from @simplewebauthn/server's own encoder, so the worker verifies genuine
// responses. The tests bend one thing at a time (origin, RP ID, flags, counter, challenge, type,
// the authenticator data, the key's alg label, the key itself, the attestation) to check each
// refusal. Chromium's virtual authenticator runs the same ceremonies in client/test/.
import { isoCBOR } from '@simplewebauthn/server/helpers'
import { fromBase64Url, toBase64Url, utf8 } from '../../src/auth/encoding'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_BE = 0x08
const FLAG_BS = 0x10
const FLAG_AT = 0x40

const sha256 = async (data: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))

export const concat = (...parts: Uint8Array[]) => {
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
export function derSignature(raw: Uint8Array): Uint8Array {
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

export type Algorithm = 'ES256' | 'EdDSA' | 'RS256'

/** An authData bend: sets the flag bits `set`, then clears `clear`. */
export const withFlags =
  (set: number, clear = 0) =>
  (bytes: Uint8Array) => {
    const copy = bytes.slice()
    copy[32] = (copy[32]! | set) & ~clear
    return copy
  }

type CoseEntries = [number, number | Uint8Array][]

/** Each algorithm's key generation and signing, and its public key as COSE_Key members. */
const KEY_TYPES: Record<
  Algorithm,
  {
    generate: Parameters<typeof crypto.subtle.generateKey>[0]
    signAs: Parameters<typeof crypto.subtle.sign>[0]
    members: (publicKey: CryptoKey) => Promise<CoseEntries>
  }
> = {
  // EC2 on P-256: the raw point is 04 ‖ x ‖ y.
  ES256: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    signAs: { name: 'ECDSA', hash: 'SHA-256' },
    members: async (key) => {
      const raw = await rawPublicKey(key)
      return [
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, raw.slice(1, 33)],
        [-3, raw.slice(33, 65)],
      ]
    },
  },
  EdDSA: {
    generate: { name: 'Ed25519' },
    signAs: { name: 'Ed25519' },
    members: async (key) => [
      [1, 1],
      [3, -8],
      [-1, 6],
      [-2, await rawPublicKey(key)],
    ],
  },
  RS256: {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    signAs: { name: 'RSASSA-PKCS1-v1_5' },
    members: async (key) => {
      const { n, e } = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey
      return [
        [1, 3],
        [3, -257],
        [-1, fromBase64Url(n!)!],
        [-2, fromBase64Url(e!)!],
      ]
    },
  },
}

const rawPublicKey = async (key: CryptoKey) =>
  new Uint8Array((await crypto.subtle.exportKey('raw', key)) as ArrayBuffer)

/** A new key pair for `alg`: its COSE_Key (with `coseAlg` as its alg label) and a signer. */
export async function keyPair(alg: Algorithm, coseAlg?: number) {
  const type = KEY_TYPES[alg]
  const keys = (await crypto.subtle.generateKey(type.generate, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const members = await type.members(keys.publicKey)
  return {
    cose: isoCBOR.encode(new Map(members.map(([k, v]) => [k, k === 3 ? (coseAlg ?? v) : v]))),
    /** WebAuthn's ES256 signatures are DER; Web Crypto's are r‖s. */
    sign: async (data: Uint8Array) => {
      const signature = await sign(type.signAs, keys.privateKey, data)
      return alg === 'ES256' ? derSignature(signature) : signature
    },
  }
}

const sign = async (
  algorithm: Parameters<typeof crypto.subtle.sign>[0],
  key: CryptoKey,
  data: Uint8Array,
) => new Uint8Array(await crypto.subtle.sign(algorithm, key, data as Uint8Array<ArrayBuffer>))

export type Bends = Partial<Options>

type Options = {
  /** Where the "browser" says the ceremony ran. */
  origin: string
  /** The RP ID the authenticator hashes (the browser's check is skipped here on purpose). */
  rpId?: string
  userVerified?: boolean
  userPresent?: boolean
  /** Backup eligible and backed up: a synced passkey. */
  synced?: boolean
  /** The client data's type, for a response that lies about its ceremony. */
  type?: string
  crossOrigin?: boolean
  /** Rewrites the authenticator data before it is signed and sent. */
  authData?: (bytes: Uint8Array) => Uint8Array
  /** create(): none (the default), packed self attestation, or packed with a certificate. */
  attestation?: 'none' | 'packed' | 'packed-x5c'
  /** create(): the alg label of the packed statement, if not the key's. */
  attestationAlg?: number
  /** create(): a COSE_Key sent instead of its own (one it holds no private key for). */
  coseKey?: Uint8Array
}

export type SoftPasskey = Awaited<ReturnType<typeof softAuthenticator>>

export async function softAuthenticator(
  options: Options & {
    alg?: Algorithm
    /** A lie in the COSE_Key's alg label. */ coseAlg?: number
    /** The credential id's length in bytes (16 unless a test probes the limit). */
    credentialIdBytes?: number
    /** The user handle held as if create() had run (create() sets it from the options). */
    userHandle?: string
  },
) {
  const alg = options.alg ?? 'ES256'
  const { cose, sign } = await keyPair(alg, options.coseAlg)
  const credentialId = crypto.getRandomValues(new Uint8Array(options.credentialIdBytes ?? 16))
  const id = toBase64Url(credentialId)
  let counter = 0
  let userHandle = options.userHandle

  const flags = (o: Options, extra = 0) =>
    (o.userPresent === false ? 0 : FLAG_UP) |
    (o.userVerified === false ? 0 : FLAG_UV) |
    (o.synced ? FLAG_BE | FLAG_BS : 0) |
    extra

  const clientData = (type: string, challenge: string, o: Options) =>
    utf8(
      JSON.stringify({
        type: o.type ?? type,
        challenge,
        origin: o.origin,
        crossOrigin: o.crossOrigin ?? false,
      }),
    )

  /** The attestation statement for `fmt`, signed over `signed` where it has a signature. */
  const statement = async (o: Options, signed: Uint8Array) => {
    if ((o.attestation ?? 'none') === 'none') return new Map()
    const entries: [string, unknown][] = [
      ['alg', o.attestationAlg ?? { ES256: -7, EdDSA: -8, RS256: -257 }[alg]],
      ['sig', await sign(signed)],
    ]
    // Not a real certificate: no attestation root is trusted, so none would do.
    if (o.attestation === 'packed-x5c')
      entries.push(['x5c', [new Uint8Array([0x30, 0x03, 1, 2, 3])]])
    return new Map(entries)
  }

  return {
    id,
    alg,
    /** The credential's COSE_Key, as the authenticator sends it. */
    publicKey: cose,
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
      const authData = (o.authData ?? ((b) => b))(
        concat(
          await sha256(utf8(rpId)),
          new Uint8Array([flags(o, FLAG_AT)]),
          uint32(counter),
          new Uint8Array(16), // AAGUID: none
          new Uint8Array([credentialId.length >> 8, credentialId.length & 0xff]),
          credentialId,
          o.coseKey ?? cose,
        ),
      )
      const client = clientData('webauthn.create', optionsJSON.challenge, o)
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', (o.attestation ?? 'none') === 'none' ? 'none' : 'packed'],
          ['attStmt', await statement(o, concat(authData, await sha256(client)))],
          ['authData', authData],
        ]) as never,
      )
      return {
        id,
        rawId: id,
        type: 'public-key' as const,
        response: {
          clientDataJSON: toBase64Url(client),
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
      const authData = (o.authData ?? ((b) => b))(
        concat(await sha256(utf8(rpId)), new Uint8Array([flags(o)]), uint32(counter)),
      )
      const client = clientData('webauthn.get', optionsJSON.challenge, o)
      const signature = await sign(concat(authData, await sha256(client)))
      const handle = overrides.userHandle === undefined ? userHandle : overrides.userHandle
      return {
        id,
        rawId: id,
        type: 'public-key' as const,
        response: {
          clientDataJSON: toBase64Url(client),
          authenticatorData: toBase64Url(authData),
          signature: toBase64Url(signature),
          ...(handle ? { userHandle: handle } : {}),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      }
    },

    /** The challenge a response answers, as the server sealed it. */
    challengeOf: (response: { response: { clientDataJSON: string } }) =>
      (
        JSON.parse(new TextDecoder().decode(fromBase64Url(response.response.clientDataJSON)!)) as {
          challenge: string
        }
      ).challenge,
  }
}
