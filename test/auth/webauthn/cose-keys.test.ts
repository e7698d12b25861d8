// COSE keys: the three offered algorithms import and verify; every other key, and every key whose
// type or curve does not go with its alg, is refused as 'public_key'.
import { isoCBOR } from '@simplewebauthn/server/helpers'
import { describe, expect, it } from 'vitest'
import { fromBase64Url, utf8 } from '../../../src/auth/encoding'
import { importCoseKey, verifySignature } from '../../../src/auth/webauthn/cose-keys'
import { WebAuthnError } from '../../../src/auth/webauthn/errors'
import { concat, keyPair } from '../../doubles/authenticator'
import { ALGS } from './differential'
import { SMALL_ORDER_ENCODINGS, okpCoseKey } from './ed25519-points'

const DATA = utf8('authenticator data ‖ client data hash')

type Entries = [number, unknown][]
const encode = (entries: Entries) => isoCBOR.encode(new Map(entries) as never)
const entriesOf = (cose: Uint8Array) =>
  [...(isoCBOR.decodeFirst(cose as Uint8Array<ArrayBuffer>) as Map<number, unknown>)] as Entries
/** `cose` with label `label` set to `value` (or removed, for undefined). */
const withLabel = (cose: Uint8Array, label: number, value: unknown) =>
  encode(
    value === undefined
      ? entriesOf(cose).filter(([k]) => k !== label)
      : entriesOf(cose).map(([k, v]) => [k, k === label ? value : v]),
  )

async function refusal(cose: Uint8Array) {
  return importCoseKey(cose).then(
    () => 'imported',
    (err: unknown) => (err instanceof WebAuthnError ? err.reason : err),
  )
}

const IDENTITY = SMALL_ORDER_ENCODINGS[0]!

/** An Ed25519 COSE_Key with the -2 (x) label twice: CBOR no encoder writes, spelled by hand. */
const okpWithTwoX = (first: Uint8Array, second: Uint8Array) =>
  concat(
    new Uint8Array([0xa5, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06]),
    new Uint8Array([0x21, 0x58, 0x20]),
    first,
    new Uint8Array([0x21, 0x58, 0x20]),
    second,
  )

const es256 = await keyPair('ES256')
const eddsa = await keyPair('EdDSA')
const rs256 = await keyPair('RS256')

describe('importCoseKey', () => {
  it.each(ALGS)('imports an %s key, and verifies its signatures only', async (alg) => {
    const { cose, sign } = await keyPair(alg)
    const key = await importCoseKey(cose)
    expect(key.alg).toBe({ ES256: -7, EdDSA: -8, RS256: -257 }[alg])
    const signature = await sign(DATA)
    expect(await verifySignature(key, signature as Uint8Array<ArrayBuffer>, DATA)).toBe(true)
    const other = concat(DATA, new Uint8Array([0])) as Uint8Array<ArrayBuffer>
    expect(await verifySignature(key, signature as Uint8Array<ArrayBuffer>, other)).toBe(false)
    const bent = signature.slice()
    bent[bent.length - 10]! ^= 1
    expect(await verifySignature(key, bent, DATA)).toBe(false)
    // Cut short or empty: refused, not thrown.
    expect(await verifySignature(key, signature.slice(0, -1), DATA)).toBe(false)
    expect(await verifySignature(key, new Uint8Array(0), DATA)).toBe(false)
  })

  it('refuses psychic ES256 signatures: 64 zero bytes, and r = s = 0 in DER', async () => {
    const key = await importCoseKey(es256.cose)
    expect(await verifySignature(key, new Uint8Array(64), DATA)).toBe(false)
    const zeros = fromBase64Url('MAYCAQACAQA')! // 30 06 02 01 00 02 01 00
    expect(await verifySignature(key, zeros, DATA)).toBe(false)
  })

  it.each([
    ['not CBOR', new Uint8Array([0xff])],
    ['a byte after the map', concat(es256.cose, new Uint8Array([0]))],
    ['the map cut short', es256.cose.slice(0, -1)],
    ['an array', isoCBOR.encode([2, -7])],
    ['an empty map', encode([])],
    ['no alg', withLabel(es256.cose, 3, undefined)],
    ['an alg as a string', withLabel(es256.cose, 3, 'ES256')],
    ['ES384 (not offered)', withLabel(withLabel(es256.cose, 3, -35), -1, 2)],
    ['PS256 (not offered)', withLabel(rs256.cose, 3, -37)],
    ['an EC2 key labelled RS256', withLabel(es256.cose, 3, -257)],
    ['an EC2 key labelled EdDSA', withLabel(es256.cose, 3, -8)],
    ['an OKP key labelled ES256', withLabel(eddsa.cose, 3, -7)],
    ['an RSA key labelled ES256', withLabel(rs256.cose, 3, -7)],
    ['EC2 on P-384', withLabel(es256.cose, -1, 2)],
    ['EC2 with kty as a string', withLabel(es256.cose, 1, 'EC2')],
    ['EC2 with a 31-byte x', withLabel(es256.cose, -2, new Uint8Array(31).fill(1))],
    ['EC2 without y', withLabel(es256.cose, -3, undefined)],
    ['EC2 compressed (y a sign bit)', withLabel(es256.cose, -3, true)],
    ['EC2 off the curve', withLabel(es256.cose, -3, new Uint8Array(32).fill(7))],
    ['OKP on X25519', withLabel(eddsa.cose, -1, 4)],
    ['OKP with a 33-byte x', withLabel(eddsa.cose, -2, new Uint8Array(33).fill(1))],
    // Strict Ed25519 (ed25519.test.ts has every small-order and non-canonical key).
    ['OKP whose x is the identity', withLabel(eddsa.cose, -2, IDENTITY)],
    ['OKP whose x is the identity, labelled ES256', withLabel(okpCoseKey(IDENTITY), 3, -7)],
    ['OKP whose x is the identity, on X25519', withLabel(okpCoseKey(IDENTITY), -1, 4)],
    // A decoder that kept the last of two x would import the genuine one: this one refuses both.
    ['OKP with x twice, the identity first', okpWithTwoX(IDENTITY, eddsa.cose.slice(-32))],
    ['OKP with x twice, the genuine one first', okpWithTwoX(eddsa.cose.slice(-32), IDENTITY)],
    ['RSA of 1024 bits', withLabel(rs256.cose, -1, new Uint8Array(128).fill(0xc5))],
    ['RSA with a leading zero in n', withLabel(rs256.cose, -1, new Uint8Array(257).fill(0xc5, 1))],
    ['RSA with an empty e', withLabel(rs256.cose, -2, new Uint8Array(0))],
    // Keys anyone could sign for, as with a small-order Ed25519 key: workerd refuses these.
    [
      'RSA with e = 1 (a signature is its own padded message)',
      withLabel(rs256.cose, -2, new Uint8Array([1])),
    ],
    ['RSA with e = 1 after a zero byte', withLabel(rs256.cose, -2, new Uint8Array([0, 1]))],
    ['RSA with an even e', withLabel(rs256.cose, -2, new Uint8Array([2]))],
  ])('refuses %s', async (_, cose) => {
    expect(await refusal(cose)).toBe('public_key')
  })
})
