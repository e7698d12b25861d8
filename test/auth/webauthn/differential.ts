// Both verifiers side by side, for the differential tests: ours, and @simplewebauthn/server 14's
// (the library it replaced, kept as a devDependency to be the reference), with the same
// expectations; each answers 'accepted' or why not (the library: 'refused'). Also the bends both
// ceremonies share, and how several are mixed into one response.
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server'
import fc from 'fast-check'
import { expect } from 'vitest'
import { fromBase64Url, toBase64Url } from '../../../src/auth/encoding'
import {
  type AuthenticationResponseJSON,
  verifyAuthentication,
} from '../../../src/auth/webauthn/authentication'
import type { Expected } from '../../../src/auth/webauthn/ceremony'
import { WebAuthnError, type WebAuthnRefusal } from '../../../src/auth/webauthn/errors'
import {
  type RegistrationResponseJSON,
  verifyRegistration,
} from '../../../src/auth/webauthn/registration'
import {
  type Algorithm,
  type Bends,
  concat,
  softAuthenticator,
  withFlags,
} from '../../doubles/authenticator'

export const ALGS: Algorithm[] = ['ES256', 'EdDSA', 'RS256']

/** One software authenticator of each algorithm, holding a credential for USER_HANDLE. */
export const authenticatorsByAlg = async () =>
  Object.fromEntries(
    await Promise.all(
      ALGS.map(async (alg) => [
        alg,
        await softAuthenticator({ origin: ORIGIN, alg, userHandle: USER_HANDLE }),
      ]),
    ),
  ) as Record<Algorithm, Awaited<ReturnType<typeof softAuthenticator>>>

export const RP_ID = 'auth.example'
export const ORIGIN = 'https://auth.example'
export const CHALLENGE = 'c2VhbGVkLWNlcmVtb255LXRva2Vu'

/** The credential owner's user handle ("user-1"), as registration options send it. */
export const USER_HANDLE = 'dXNlci0x'

export const CREATION = { challenge: CHALLENGE, rp: { id: RP_ID }, user: { id: USER_HANDLE } }
export const REQUEST = { challenge: CHALLENGE, rpId: RP_ID }

const challengeIsOurs = async (challenge: string) => challenge === CHALLENGE

export const EXPECTED: Expected = {
  challenge: challengeIsOurs,
  origins: [ORIGIN, 'https://app.auth.example'],
  rpId: RP_ID,
  requireUserVerification: true,
}

const LIBRARY_EXPECTED = {
  expectedChallenge: challengeIsOurs,
  expectedOrigin: EXPECTED.origins as string[],
  expectedRPID: RP_ID,
  requireUserVerification: true,
}

async function verdict(work: () => Promise<unknown>) {
  try {
    await work()
    return 'accepted'
  } catch (err) {
    if (err instanceof WebAuthnError) return err.reason
    throw err
  }
}

export const ourRegistration = (response: RegistrationResponseJSON, expected = EXPECTED) =>
  verdict(() => verifyRegistration(response, expected))

export async function libraryRegistration(response: RegistrationResponseJSON) {
  try {
    const result = await verifyRegistrationResponse({
      response: response as never,
      ...LIBRARY_EXPECTED,
    })
    return result.verified ? 'accepted' : 'refused'
  } catch {
    return 'refused'
  }
}

export const ourAuthentication = (
  response: AuthenticationResponseJSON,
  publicKey: Uint8Array,
  expected = EXPECTED,
  userHandle = fromBase64Url(USER_HANDLE)!,
) => verdict(() => verifyAuthentication(response, { ...expected, publicKey, userHandle }))

export async function libraryAuthentication(
  response: AuthenticationResponseJSON,
  publicKey: Uint8Array,
) {
  try {
    const result = await verifyAuthenticationResponse({
      response: response as never,
      ...LIBRARY_EXPECTED,
      credential: { id: response.id, publicKey: publicKey as Uint8Array<ArrayBuffer>, counter: 0 },
    })
    return result.verified ? 'accepted' : 'refused'
  } catch {
    return 'refused'
  }
}

/** A base64url member with one byte flipped at `at` (from the end when negative). */
export function flipByte(text: string, at: number): string {
  const bytes = fromBase64Url(text)!
  bytes[at < 0 ? bytes.length + at : at]! ^= 0x01
  return toBase64Url(bytes)
}

/** One way to bend a response: what ours answers, and whether the library agrees. */
export type Case<R> = {
  name: string
  /** What the authenticator is asked to do differently. */
  bend?: Bends
  /** Another challenge than the one expected. */
  challenge?: string
  /** What is done to the response afterwards. */
  post?: (response: R) => R
  reason: WebAuthnRefusal
  /** What the library does instead, where it accepts what we refuse. */
  stricter?: string
  /** Bends of one group are not mixed: two could cancel out (cut a byte, add a byte). */
  group?: 'layout' | 'id' | 'handle'
}

type Envelope = { id: string; rawId: string; type: string }

export const OTHER_ID = toBase64Url(new Uint8Array(16).fill(7))

/** The bends both ceremonies refuse alike; `otherType` is the other ceremony's. */
export const sharedCases = <R extends Envelope>(otherType: string, crossOrigin: string) =>
  [
    { name: 'another origin', bend: { origin: 'https://evil.example' }, reason: 'origin' },
    { name: 'another RP ID', bend: { rpId: 'evil.example' }, reason: 'rp_id' },
    { name: 'no user presence', bend: { userPresent: false }, reason: 'user_presence' },
    { name: 'no user verification', bend: { userVerified: false }, reason: 'user_verification' },
    { name: `a ${otherType} response`, bend: { type: otherType }, reason: 'malformed' },
    { name: 'a challenge not ours', challenge: 'bm90LW91cnM', reason: 'challenge' },
    {
      name: 'a ceremony in a cross-origin frame',
      bend: { crossOrigin: true },
      reason: 'origin',
      stricter: crossOrigin,
    },
    {
      name: 'backed up but not backup eligible',
      bend: { authData: withFlags(0x10, 0x08) },
      reason: 'malformed',
    },
    {
      name: 'a byte after the authenticator data',
      bend: { authData: (b) => concat(b, new Uint8Array([0])) },
      reason: 'malformed',
      group: 'layout',
    },
    {
      name: 'authenticator data of 36 bytes',
      bend: { authData: (b) => b.slice(0, 36) },
      reason: 'malformed',
      group: 'layout',
    },
    {
      name: 'id and rawId that differ',
      post: (r) => ({ ...r, rawId: OTHER_ID }),
      reason: 'malformed',
      group: 'id',
    },
    {
      name: 'a type other than public-key',
      post: (r) => ({ ...r, type: 'x' }),
      reason: 'malformed',
    },
  ] satisfies Case<R>[] as Case<R>[]

/** Any mix of `cases`, at most one of each group. */
export const mixOf = <C extends { group?: string }>(cases: C[]) =>
  fc.subarray(cases).filter((picked) => {
    const groups = picked.flatMap((c) => c.group ?? [])
    return new Set(groups).size === groups.length
  })

/** One case doing all that `picked` do: bends merged; authData bends and posts in turn. */
export function combined<R>(picked: Case<R>[]): Partial<Case<R>> {
  const authData = picked.flatMap((c) => c.bend?.authData ?? [])
  return {
    bend: Object.assign({}, ...picked.map((c) => c.bend), {
      authData: (b: Uint8Array) => authData.reduce((bytes, bend) => bend(bytes), b),
    }),
    challenge: picked.find((c) => c.challenge)?.challenge,
    post: (r) => picked.reduce((response, c) => (c.post ?? ((x) => x))(response), r),
  }
}

/** Ours refuses exactly the bent responses; the library agrees, but where ours is stricter. */
export function expectAgreement(picked: { stricter?: string }[], ours: string, library: string) {
  expect(ours === 'accepted').toBe(picked.length === 0)
  if (picked.length === 0) expect(library).toBe('accepted')
  if (picked.some((c) => !c.stricter)) expect(library).toBe('refused')
}
