// Passkeys through the worker, on real D1 and KV, with a software authenticator that signs for
// real: registration, username-less sign-in, management, and every refusal the relying party
// owns (replayed or cross-ceremony challenges, origin, RP ID, user verification, clones, user
// handles), and the attacks on keys: small-order Ed25519 keys registered or written into D1,
// forged assertions against them, and the credential id's limit.
import { env } from 'cloudflare:workers'
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { decodeJwt } from 'jose'
import { totpStep } from '../../src/auth/totp'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromBase64Url, toBase64Url } from '../../src/auth/encoding'
import { type Algorithm, softAuthenticator } from '../doubles/authenticator'
import {
  FORGED_SIGNATURE,
  L,
  NON_CANONICAL_SMALL_ORDER_ENCODINGS,
  SMALL_ORDER_ENCODINGS,
  okpCoseKey,
  scalarBytes,
} from '../auth/webauthn/ed25519-points'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  refresh,
  refreshCookieOf,
  sendJson,
  signedIn,
} from '../helpers'

type CreationOptions = {
  challenge: string
  rp: { id: string; name: string }
  user: { id: string; name: string }
  excludeCredentials: { id: string }[]
  authenticatorSelection: Record<string, unknown>
  attestation: string
}
type RequestOptions = { challenge: string; rpId: string; userVerification: string }

const asUser = (token: string, method: string, path: string, body?: unknown) =>
  body === undefined
    ? call(path, { method, ...bearer(token) })
    : sendJson(method, path, body, bearer(token).headers)

async function registrationOptions(token: string): Promise<CreationOptions> {
  const res = await asUser(token, 'POST', '/users/me/passkeys/options', { password: PASSWORD })
  expect(res.status).toBe(200)
  return res.json()
}

async function signInOptions(): Promise<RequestOptions> {
  const res = await sendJson('POST', '/login/passkey/options', '')
  expect(res.status).toBe(200)
  return res.json()
}

/** A signed-in user with one registered passkey, and the authenticator holding it. */
async function withPasskey(synced = false, alg: Algorithm = 'ES256') {
  const account = await signedIn('pk')
  const authenticator = await softAuthenticator({ origin: ORIGIN, synced, alg })
  const credential = await authenticator.create(
    await registrationOptions(account.tokens.accessToken),
  )
  const res = await asUser(account.tokens.accessToken, 'POST', '/users/me/passkeys', {
    credential,
    name: 'Laptop',
  })
  expect(res.status).toBe(201)
  return { ...account, authenticator, passkey: (await res.json()) as { id: string; name: string } }
}

const passkeySignIn = (credential: unknown, extra: object = {}, headers?: Record<string, string>) =>
  sendJson('POST', '/login/passkey', { credential, ...extra }, headers)

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('registering a passkey', () => {
  it('asks for the password first, then offers a discoverable, user-verified ceremony', async () => {
    const { tokens, user, username } = await signedIn('pk')
    await expectProblem(
      await asUser(tokens.accessToken, 'POST', '/users/me/passkeys/options', {
        password: 'wrong password!',
      }),
      401,
      'invalid_credentials',
    )
    const options = await registrationOptions(tokens.accessToken)
    expect(options.rp).toEqual({ id: 'auth.example', name: 'auth.example' })
    expect(options.user.name).toBe(username)
    expect(options.user.id).toBe(btoa(user.id).replace(/=+$/, ''))
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      userVerification: 'required',
    })
    expect(options.attestation).toBe('none')
    expect(options.challenge.length).toBeGreaterThan(40)
  })

  it('stores the credential and lists it; the next options exclude it', async () => {
    const { tokens, passkey, authenticator } = await withPasskey()
    expect(passkey).toMatchObject({
      id: authenticator.id,
      name: 'Laptop',
      deviceType: 'singleDevice',
      backedUp: false,
      transports: ['internal'],
      lastUsedAt: null,
    })
    const list = await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')
    expect(await list.json()).toEqual([passkey])
    const again = await registrationOptions(tokens.accessToken)
    expect(again.excludeCredentials.map((c) => c.id)).toEqual([authenticator.id])
  })

  it('adds no passkey after its session ended, from options fetched before (a reset, a sign-out everywhere)', async () => {
    const { tokens, username } = await signedIn('pk')
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const credential = await authenticator.create(await registrationOptions(tokens.accessToken))
    const out = await sendJson('DELETE', '/logout?scope=global', { token: tokens.refreshToken })
    expect(out.status).toBe(204)
    await expectProblem(
      await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential }),
      401,
      'invalid_token',
    )
    const again = await sendJson('POST', '/login', { username, password: PASSWORD })
    const { accessToken } = (await again.json()) as { accessToken: string }
    expect(await (await asUser(accessToken, 'GET', '/users/me/passkeys')).json()).toEqual([])
  })

  it('refuses the same authenticator twice, and a response replayed', async () => {
    const { tokens, authenticator } = await withPasskey()
    const credential = await authenticator.create(await registrationOptions(tokens.accessToken))
    const first = await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
    await expectProblem(first, 409, 'passkey_exists')
    // The challenge was spent by that attempt: sending it again is a replay.
    const replay = await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
    await expectProblem(replay, 400, 'passkey_registration_failed')
  })

  it("refuses another user's challenge, a sign-in challenge, and an expired one", async () => {
    const clock = freezeTime()
    const alice = await signedIn('pk')
    const bob = await signedIn('pk')
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const register = (token: string, credential: unknown) =>
      asUser(token, 'POST', '/users/me/passkeys', { credential })
    // Alice's challenge answered, and sent as Bob.
    const forAlice = await authenticator.create(await registrationOptions(alice.tokens.accessToken))
    await expectProblem(
      await register(bob.tokens.accessToken, forAlice),
      400,
      'passkey_registration_failed',
    )
    // A sign-in challenge answered as a registration.
    const signIn = await signInOptions()
    const crossed = await authenticator.create({
      challenge: signIn.challenge,
      rp: { id: 'auth.example' },
      user: { id: 'x' },
    })
    await expectProblem(
      await register(bob.tokens.accessToken, crossed),
      400,
      'passkey_registration_failed',
    )
    // Five minutes later.
    const late = await authenticator.create(await registrationOptions(bob.tokens.accessToken))
    clock.advance(5 * 60 * 1000)
    const token = (await refreshAccess(bob.tokens.refreshToken)).accessToken
    await expectProblem(await register(token, late), 400, 'passkey_registration_failed')
    expect(await (await asUser(token, 'GET', '/users/me/passkeys')).json()).toEqual([])
    clock.restore()
  })

  it('refuses a wrong origin, a wrong RP ID and a response without user verification', async () => {
    const { tokens } = await signedIn('pk')
    const cases = [
      { origin: 'https://evil.example' },
      { rpId: 'evil.example' },
      { userVerified: false },
    ]
    for (const bend of cases) {
      const authenticator = await softAuthenticator({ origin: ORIGIN })
      const credential = await authenticator.create(
        await registrationOptions(tokens.accessToken),
        bend,
      )
      const res = await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
      await expectProblem(res, 400, 'passkey_registration_failed')
    }
    expect(await (await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')).json()).toEqual([])
  })

  it('accepts a ceremony run on an ALLOWED_ORIGINS origin', async () => {
    const app = 'https://app.auth.example'
    const envOverride = { ALLOWED_ORIGINS: app, RP_ID: 'auth.example' }
    const { tokens } = await signedIn('pk')
    const options = (await (
      await callWithEnv(
        envOverride,
        '/users/me/passkeys/options',
        jsonInit('POST', { password: PASSWORD }, bearer(tokens.accessToken).headers),
      )
    ).json()) as CreationOptions
    const authenticator = await softAuthenticator({ origin: app })
    const credential = await authenticator.create(options)
    const res = await callWithEnv(
      envOverride,
      '/users/me/passkeys',
      jsonInit('POST', { credential }, bearer(tokens.accessToken).headers),
    )
    expect(res.status).toBe(201)
  })

  it('registers Ed25519 and RSA passkeys too, which then sign in', async () => {
    for (const alg of ['EdDSA', 'RS256'] as const) {
      const { tokens } = await signedIn('pk')
      const authenticator = await softAuthenticator({ origin: ORIGIN, alg })
      const credential = await authenticator.create(await registrationOptions(tokens.accessToken))
      const res = await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
      expect(res.status).toBe(201)
      expect((await passkeySignIn(await authenticator.get(await signInOptions()))).status).toBe(200)
    }
  })

  it('accepts packed self attestation, and refuses attestation with a certificate', async () => {
    const lines = captureLogs()
    const { tokens } = await signedIn('pk')
    const register = async (attestation: 'packed' | 'packed-x5c') => {
      const authenticator = await softAuthenticator({ origin: ORIGIN, attestation })
      const credential = await authenticator.create(await registrationOptions(tokens.accessToken))
      return asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
    }
    expect((await register('packed')).status).toBe(201)
    // No attestation root is trusted: refused as unverified, not a server error.
    await expectProblem(await register('packed-x5c'), 400, 'passkey_registration_failed')
    const refused = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === 'passkey_registration_refused')
    expect(refused).toMatchObject([{ reason: 'attestation' }])
    const list = (await (
      await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')
    ).json()) as []
    expect(list).toHaveLength(1)
  })
})

/** A fresh access token from a refresh token (the first one may have expired under a moved clock). */
async function refreshAccess(refreshToken: string) {
  const res = await refresh(refreshToken)
  expect(res.status).toBe(200)
  return (await res.json()) as { accessToken: string; refreshToken: string }
}

describe('signing in with a passkey', () => {
  it('needs no username: the same pair as /login, with amr hwk, kept on refresh', async () => {
    const { authenticator, user, tokens } = await withPasskey()
    const options = await signInOptions()
    expect(options).toMatchObject({ rpId: 'auth.example', userVerification: 'required' })
    expect(options).not.toHaveProperty('allowCredentials.0')
    const res = await passkeySignIn(await authenticator.get(options))
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const pair = (await res.json()) as { accessToken: string; refreshToken: string }
    const claims = decodeJwt(pair.accessToken)
    expect(claims).toMatchObject({ sub: user.id, amr: ['hwk'] })
    expect(decodeJwt((await refreshAccess(pair.refreshToken)).accessToken).amr).toEqual(['hwk'])
    const list = (await (await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')).json()) as {
      lastUsedAt: string | null
    }[]
    expect(list[0]!.lastUsedAt).not.toBeNull()
  })

  it('says swk for a synced passkey, and skips the second factor of a TOTP account', async () => {
    const { authenticator, tokens, username } = await withPasskey(true)
    // Two-factor on: the password alone no longer signs in.
    const { secret } = (await (
      await asUser(tokens.accessToken, 'POST', '/users/me/totp', { password: PASSWORD })
    ).json()) as { secret: string }
    const code = generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now())), 6)
    expect(
      (await asUser(tokens.accessToken, 'POST', '/users/me/totp/verify', { code })).status,
    ).toBe(200)
    await expectProblem(
      await sendJson('POST', '/login', { username, password: PASSWORD }),
      401,
      'mfa_required',
    )
    // The passkey signs in at once: user verification on it is the second factor.
    const res = await passkeySignIn(await authenticator.get(await signInOptions()))
    expect(res.status).toBe(200)
    expect(decodeJwt(((await res.json()) as { accessToken: string }).accessToken).amr).toEqual([
      'swk',
    ])
  })

  it('works in cookie mode, from this origin only', async () => {
    const { authenticator } = await withPasskey()
    const foreign = await passkeySignIn(
      await authenticator.get(await signInOptions()),
      { mode: 'cookie' },
      { Origin: 'https://evil.example' },
    )
    await expectProblem(foreign, 403, 'csrf_rejected')
    const res = await passkeySignIn(
      await authenticator.get(await signInOptions()),
      { mode: 'cookie' },
      { Origin: ORIGIN },
    )
    expect(res.status).toBe(200)
    expect(refreshCookieOf(res)).not.toBeNull()
  })

  it('accepts each challenge once, even from two requests at once', async () => {
    const { authenticator } = await withPasskey()
    const response = await authenticator.get(await signInOptions())
    expect((await passkeySignIn(response)).status).toBe(200)
    await expectProblem(await passkeySignIn(response), 401, 'passkey_sign_in_failed')
    const lines = captureLogs()
    const racing = await authenticator.get(await signInOptions())
    const all = await Promise.all(Array.from({ length: 5 }, () => passkeySignIn(racing)))
    expect(all.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401])
    // The losers are replays, refused at the challenge; none is mistaken for a clone.
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(refused.filter((l) => l.event === 'passkey_possible_clone')).toEqual([])
    expect(refused.filter((l) => l.reason === 'challenge')).toHaveLength(4)
  })

  it('refuses a registration challenge, an expired one, and one it never issued', async () => {
    const clock = freezeTime()
    const { authenticator, tokens } = await withPasskey()
    const registration = await registrationOptions(tokens.accessToken)
    const crossed = await authenticator.get({
      challenge: registration.challenge,
      rpId: 'auth.example',
    })
    await expectProblem(await passkeySignIn(crossed), 401, 'passkey_sign_in_failed')
    const forged = await authenticator.get({
      challenge: 'AAAAAAAAAAAAAAAAAAAAAA',
      rpId: 'auth.example',
    })
    await expectProblem(await passkeySignIn(forged), 401, 'passkey_sign_in_failed')
    const late = await authenticator.get(await signInOptions())
    clock.advance(5 * 60 * 1000)
    await expectProblem(await passkeySignIn(late), 401, 'passkey_sign_in_failed')
    clock.restore()
  })

  it('refuses a wrong origin, a wrong RP ID, no user verification, or a bad signature', async () => {
    const { authenticator } = await withPasskey()
    for (const bend of [
      { origin: 'https://evil.example' },
      { rpId: 'evil.example' },
      { userVerified: false },
    ]) {
      const response = await authenticator.get(await signInOptions(), bend)
      await expectProblem(await passkeySignIn(response), 401, 'passkey_sign_in_failed')
    }
    const response = await authenticator.get(await signInOptions())
    const sig = response.response.signature
    const bad = {
      ...response,
      response: { ...response.response, signature: sig.slice(0, -4) + 'AAAA' },
    }
    await expectProblem(await passkeySignIn(bad), 401, 'passkey_sign_in_failed')
  })

  it('refuses a counter that went back, and logs a possible clone', async () => {
    const lines = captureLogs()
    const { authenticator } = await withPasskey()
    expect((await passkeySignIn(await authenticator.get(await signInOptions()))).status).toBe(200)
    authenticator.setCounter(0) // a copy of the key, signing from an older count
    await expectProblem(
      await passkeySignIn(await authenticator.get(await signInOptions())),
      401,
      'passkey_sign_in_failed',
    )
    const clone = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === 'passkey_possible_clone')
    expect(clone).toMatchObject({ level: 'warn', credentialId: authenticator.id })
  })

  it('raises no clone alarm for a forged response with a low counter: the signature comes first', async () => {
    const lines = captureLogs()
    const { authenticator } = await withPasskey()
    expect((await passkeySignIn(await authenticator.get(await signInOptions()))).status).toBe(200)
    authenticator.setCounter(0)
    const response = await authenticator.get(await signInOptions())
    const forged = { ...response, response: { ...response.response, signature: 'MEQCIAAAAAAA' } }
    await expectProblem(await passkeySignIn(forged), 401, 'passkey_sign_in_failed')
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(events.filter((l) => l.event === 'passkey_possible_clone')).toEqual([])
  })

  it("refuses an unknown credential, and one whose user handle is not its owner's", async () => {
    const stranger = await softAuthenticator({ origin: ORIGIN })
    await stranger.create({ challenge: 'x', rp: { id: 'auth.example' }, user: { id: 'dXNlcg' } })
    await expectProblem(
      await passkeySignIn(await stranger.get(await signInOptions())),
      401,
      'passkey_sign_in_failed',
    )
    const { authenticator } = await withPasskey()
    const other = btoa(crypto.randomUUID()).replace(/=+$/, '')
    const response = await authenticator.get(await signInOptions(), { userHandle: other })
    await expectProblem(await passkeySignIn(response), 401, 'passkey_sign_in_failed')
  })
})

describe('managing passkeys', () => {
  it('renames and removes only your own, and a removed one signs in no more', async () => {
    const alice = await withPasskey()
    const bob = await signedIn('pk')
    const path = `/users/me/passkeys/${alice.passkey.id}`
    await expectProblem(
      await asUser(bob.tokens.accessToken, 'PATCH', path, { name: 'mine now' }),
      404,
      'passkey_not_found',
    )
    await expectProblem(
      await asUser(bob.tokens.accessToken, 'DELETE', path),
      404,
      'passkey_not_found',
    )
    const renamed = await asUser(alice.tokens.accessToken, 'PATCH', path, { name: 'Phone' })
    expect(await renamed.json()).toMatchObject({ id: alice.passkey.id, name: 'Phone' })
    expect((await asUser(alice.tokens.accessToken, 'DELETE', path)).status).toBe(204)
    await expectProblem(
      await asUser(alice.tokens.accessToken, 'DELETE', path),
      404,
      'passkey_not_found',
    )
    await expectProblem(
      await passkeySignIn(await alice.authenticator.get(await signInOptions())),
      401,
      'passkey_sign_in_failed',
    )
  })

  it('goes with its account', async () => {
    const { tokens, authenticator } = await withPasskey()
    const res = await asUser(tokens.accessToken, 'DELETE', '/users/me', { password: PASSWORD })
    expect(res.status).toBe(204)
    const row = await env.DB.prepare('SELECT 1 FROM passkeys WHERE id = ?')
      .bind(authenticator.id)
      .first()
    expect(row).toBeNull()
  })

  it('fails closed without MFA_ENCRYPTION_KEY', async () => {
    const res = await callWithEnv({ MFA_ENCRYPTION_KEY: '' }, '/login/passkey/options', {
      method: 'POST',
    })
    await expectProblem(res, 500, 'server_misconfigured')
  })
})

/** The events logged as `event`, parsed. */
const eventsOf = (lines: string[], event: string) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === event)

/** A sign-in refused as nothing issued: 401, no token in the body, no refresh cookie. */
async function expectNoSignIn(res: Response) {
  expect(res.status).toBe(401)
  expect(refreshCookieOf(res)).toBeNull()
  const body = await expectProblem(res, 401, 'passkey_sign_in_failed')
  expect(JSON.stringify(body)).not.toMatch(/accessToken|refreshToken/)
}

/** A response with its signature replaced. */
const withSignature = <R extends { response: object }>(response: R, signature: Uint8Array) => ({
  ...response,
  response: { ...response.response, signature: toBase64Url(signature) },
})

const setStoredKey = (id: string, publicKey: string) =>
  env.DB.prepare('UPDATE passkeys SET public_key = ? WHERE id = ?').bind(publicKey, id).run()

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

describe('Ed25519 keys of small order (issue 20)', () => {
  const BAD_KEYS = [...SMALL_ORDER_ENCODINGS, ...NON_CANONICAL_SMALL_ORDER_ENCODINGS]

  it('refuses each small-order key, and each non-canonical spelling of one, at registration', async () => {
    const lines = captureLogs()
    const { tokens } = await signedIn('pk')
    for (const x of BAD_KEYS) {
      // The authenticator holds no private key for it; with attestation none, none is needed.
      const authenticator = await softAuthenticator({ origin: ORIGIN, alg: 'EdDSA' })
      const credential = await authenticator.create(await registrationOptions(tokens.accessToken), {
        coseKey: okpCoseKey(x),
      })
      const res = await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
      await expectProblem(res, 400, 'passkey_registration_failed')
    }
    // Refused as a bad key every time (the verifier's stable reason), and nothing stored.
    const refused = eventsOf(lines, 'passkey_registration_refused')
    expect(refused.map((l) => l.reason)).toEqual(BAD_KEYS.map(() => 'public_key'))
    expect(eventsOf(lines, 'passkey_registered')).toEqual([])
    expect(await (await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')).json()).toEqual([])
  })

  it('does not sign in with R = identity, S = 0 against such a key written straight into D1', async () => {
    const { authenticator, passkey, tokens } = await withPasskey(false, 'EdDSA')
    const genuineKey = toBase64Url(authenticator.publicKey)
    const lines = captureLogs()
    for (const x of BAD_KEYS) {
      // A row registered before the fix, or swapped in by other means: bypasses registration.
      await setStoredKey(passkey.id, toBase64Url(okpCoseKey(x)))
      const response = await authenticator.get(await signInOptions())
      await expectNoSignIn(await passkeySignIn(withSignature(response, FORGED_SIGNATURE)))
    }
    const refused = eventsOf(lines, 'passkey_sign_in_refused')
    expect(refused.map((l) => [l.reason, l.credentialId])).toEqual(
      BAD_KEYS.map(() => ['public_key', passkey.id]),
    )
    // Nothing was recorded as a use; and with its own key back, the passkey signs in as ever.
    const list = (await (await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')).json()) as {
      lastUsedAt: string | null
    }[]
    expect(list[0]!.lastUsedAt).toBeNull()
    await setStoredKey(passkey.id, genuineKey)
    const res = await passkeySignIn(await authenticator.get(await signInOptions()))
    expect(res.status).toBe(200)
  })

  it('refuses an Ed25519 signature whose S is not below L, from the genuine key', async () => {
    const lines = captureLogs()
    const { authenticator } = await withPasskey(false, 'EdDSA')
    const response = await authenticator.get(await signInOptions())
    const signature = fromBase64Url(response.response.signature)!
    const s = signature.subarray(32).reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n)
    const bent = signature.slice()
    bent.set(scalarBytes(s + L), 32)
    await expectNoSignIn(await passkeySignIn(withSignature(response, bent)))
    expect(eventsOf(lines, 'passkey_sign_in_refused').map((l) => l.reason)).toEqual(['signature'])
  })

  it('refuses a stored key bent in D1: another alg label, CBOR cut or padded, not base64url', async () => {
    const { authenticator, passkey } = await withPasskey(false, 'EdDSA')
    const cose = authenticator.publicKey
    const relabelled = okpCoseKey(cose.slice(-32)) // the same x...
    relabelled[4] = 0x26 // ...with alg -7 (ES256) in place of -8: 03 27 -> 03 26
    const lines = captureLogs()
    for (const stored of [
      toBase64Url(relabelled),
      toBase64Url(cose.slice(0, -1)),
      toBase64Url(new Uint8Array([...cose, 0])),
      '!not base64url!',
      '',
    ]) {
      await setStoredKey(passkey.id, stored)
      await expectNoSignIn(await passkeySignIn(await authenticator.get(await signInOptions())))
    }
    expect(eventsOf(lines, 'passkey_sign_in_refused').map((l) => l.reason)).toEqual(
      Array(5).fill('public_key'),
    )
  })

  it('still registers a genuine Ed25519 passkey, which signs in', async () => {
    const { authenticator, passkey } = await withPasskey(false, 'EdDSA')
    expect(passkey.id).toBe(authenticator.id)
    expect(hex(authenticator.publicKey)).toMatch(/^a4010103272006215820/) // OKP, EdDSA, Ed25519
    const res = await passkeySignIn(await authenticator.get(await signInOptions()))
    expect(res.status).toBe(200)
    expect(decodeJwt(((await res.json()) as { accessToken: string }).accessToken).amr).toEqual([
      'hwk',
    ])
  })
})

describe('the user handle (WebAuthn §7.2 step 6)', () => {
  it('is required: a username-less sign-in without one issues nothing', async () => {
    const lines = captureLogs()
    const { authenticator, tokens } = await withPasskey()
    const response = await authenticator.get(await signInOptions(), { userHandle: null })
    expect(response.response).not.toHaveProperty('userHandle')
    await expectNoSignIn(await passkeySignIn(response))
    expect(eventsOf(lines, 'passkey_sign_in_refused').map((l) => l.reason)).toEqual(['user_handle'])
    const list = (await (await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')).json()) as {
      lastUsedAt: string | null
    }[]
    expect(list[0]!.lastUsedAt).toBeNull()
    // The same response with its handle back is a replay now: the challenge was spent.
    await expectNoSignIn(
      await passkeySignIn({
        ...response,
        response: { ...response.response, userHandle: await registrationUserHandle(tokens) },
      }),
    )
    expect((await passkeySignIn(await authenticator.get(await signInOptions()))).status).toBe(200)
  })

  it("must be the credential owner's, byte for byte", async () => {
    const alice = await withPasskey()
    const bob = await withPasskey()
    const lines = captureLogs()
    const bobsHandle = await registrationUserHandle(bob.tokens)
    for (const userHandle of [
      bobsHandle,
      bobsHandle + 'AA',
      (await registrationUserHandle(alice.tokens)).slice(0, -2),
    ]) {
      const response = await alice.authenticator.get(await signInOptions(), { userHandle })
      await expectNoSignIn(await passkeySignIn(response))
    }
    expect(eventsOf(lines, 'passkey_sign_in_refused').map((l) => l.reason)).toEqual(
      Array(3).fill('user_handle'),
    )
    // An empty one is not a handle at all.
    const empty = await alice.authenticator.get(await signInOptions())
    await expectProblem(
      await passkeySignIn({ ...empty, response: { ...empty.response, userHandle: '' } }),
      400,
      'validation_failed',
    )
  })
})

/** The user handle registration options give this user's authenticators. */
async function registrationUserHandle(tokens: { accessToken: string }) {
  return (await registrationOptions(tokens.accessToken)).user.id
}

describe('the credential id limit: 1023 bytes (1364 base64url characters) everywhere', () => {
  it('takes 1023 bytes at registration, sign-in, rename and removal', async () => {
    const { tokens } = await signedIn('pk')
    const authenticator = await softAuthenticator({ origin: ORIGIN, credentialIdBytes: 1023 })
    expect(authenticator.id).toHaveLength(1364)
    const credential = await authenticator.create(await registrationOptions(tokens.accessToken))
    const res = await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { id: string }).id).toBe(authenticator.id)
    expect((await passkeySignIn(await authenticator.get(await signInOptions()))).status).toBe(200)
    const path = `/users/me/passkeys/${authenticator.id}`
    expect((await asUser(tokens.accessToken, 'PATCH', path, { name: 'Long' })).status).toBe(200)
    expect((await asUser(tokens.accessToken, 'DELETE', path)).status).toBe(204)
  })

  it('refuses 1024 bytes at registration, sign-in, rename and removal, and stores nothing', async () => {
    const { tokens } = await signedIn('pk')
    const authenticator = await softAuthenticator({ origin: ORIGIN, credentialIdBytes: 1024 })
    expect(authenticator.id).toHaveLength(1366)
    const credential = await authenticator.create(await registrationOptions(tokens.accessToken))
    await expectProblem(
      await asUser(tokens.accessToken, 'POST', '/users/me/passkeys', { credential }),
      400,
      'validation_failed',
    )
    expect(await (await asUser(tokens.accessToken, 'GET', '/users/me/passkeys')).json()).toEqual([])
    await expectProblem(
      await passkeySignIn(await authenticator.get(await signInOptions())),
      400,
      'validation_failed',
    )
    const path = `/users/me/passkeys/${authenticator.id}`
    await expectProblem(
      await asUser(tokens.accessToken, 'PATCH', path, { name: 'Long' }),
      400,
      'validation_failed',
    )
    await expectProblem(await asUser(tokens.accessToken, 'DELETE', path), 400, 'validation_failed')
  })
})
