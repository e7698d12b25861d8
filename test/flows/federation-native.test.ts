// POST /login/{provider}/id-token: a native app that signed in with the platform's own SDK posts
// the ID token it holds. A real provider issues the tokens (the app's side done by hand with
// oauth4webapi); the worker must accept only its own client ids' tokens, once each.
import { describe, expect, it } from 'vitest'
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { totpStep } from '../../src/auth/totp'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { PASSWORD, bearer, sendJson } from '../helpers'
import { browse, federatedSignIn, providerEnv } from '../federation/flow'
import { signer, signJwt } from '../federation/keys'
import { scriptProvider, uniquePath } from '../global/scripted'
import {
  authorizeRequest,
  openidProvider,
  redeem,
  signInAtProvider,
} from '../federation/openid-provider'

const main = openidProvider('main')
const box = mailbox()
const env = providerEnv(
  {
    local: {},
    // The "iOS app" posts tokens issued to its own client id, listed as an extra audience.
    mobile: { settings: { clientIds: [main.otherClientId] } },
  },
  box.env,
)

/** An ID token the provider issued to `client` for `sub`, with the nonce the app chose. */
async function idToken(sub: string, client: 'main' | 'other' = 'main') {
  const request = await authorizeRequest(
    'main',
    client === 'other' ? { client_id: main.otherClientId } : {},
  )
  const back = await signInAtProvider(request.url, {
    sub,
    email: `${sub}@example.org`,
    email_verified: true,
  })
  const { tokens } = await redeem(
    request,
    back,
    client === 'other'
      ? { id: main.otherClientId, secret: main.otherClientSecret }
      : { id: main.clientId, secret: main.clientSecret },
  )
  return { idToken: tokens.id_token!, nonce: request.nonce }
}

const post = (provider: string, body: unknown, headers: Record<string, string> = {}) =>
  browse(env, `/login/${provider}/id-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

const claimsOf = (accessToken: string) =>
  JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
    sub: string
    amr: string[]
    idp: string
  }

describe('POST /login/{provider}/id-token', () => {
  it('signs in with a token for this client: the pair /login gives, amr fed', async () => {
    const sub = `n-${crypto.randomUUID()}`
    const res = await post('local', await idToken(sub))
    expect(res.status).toBe(200)
    const pair = (await res.json()) as { accessToken: string; refreshToken: string }
    expect(pair.refreshToken).toBeTruthy()
    expect(claimsOf(pair.accessToken)).toMatchObject({ amr: ['fed'], idp: 'local' })
    // The same subject through the browser flow's provider id reaches the same account.
    const again = await post('local', await idToken(sub))
    expect(claimsOf(((await again.json()) as { accessToken: string }).accessToken).sub).toBe(
      claimsOf(pair.accessToken).sub,
    )
  })

  it('accepts each ID token once', async () => {
    const token = await idToken(`n-${crypto.randomUUID()}`)
    expect((await post('local', token)).status).toBe(200)
    const replay = await post('local', token)
    expect(replay.status).toBe(400)
    expect(((await replay.json()) as { code: string }).code).toBe('federated_sign_in_failed')
  })

  it("refuses another client's token, unless the provider lists that client id", async () => {
    const token = await idToken(`n-${crypto.randomUUID()}`, 'other')
    const refused = await post('local', token)
    expect(refused.status).toBe(400)
    expect((await post('mobile', token)).status).toBe(200)
  })

  it('refuses a token whose nonce is not the one the app sent', async () => {
    const { idToken: token } = await idToken(`n-${crypto.randomUUID()}`)
    const res = await post('local', { idToken: token, nonce: 'another-nonce' })
    expect(res.status).toBe(400)
    // A refused token is not spent: with its own nonce it still signs in.
  })

  it('refuses a forged or altered token, and writes nothing for it', async () => {
    const { idToken: token, nonce } = await idToken(`n-${crypto.randomUUID()}`)
    const [header, payload] = token.split('.')
    const res = await post('local', { idToken: `${header}.${payload}.AAAA`, nonce })
    expect(res.status).toBe(400)
    // The real token, never spent by the forgery, still works.
    expect((await post('local', { idToken: token, nonce })).status).toBe(200)
  })

  it('answers 404 for an unknown provider and 400 for a malformed body', async () => {
    expect((await post('nobody', { idToken: 'x.y.z' })).status).toBe(404)
    expect((await post('local', { idToken: 42 })).status).toBe(400)
    expect((await post('local', { idToken: 'a'.repeat(12 * 1024 + 1) })).status).toBe(400)
  })

  it('asks for the second factor when the account has two-factor on', async () => {
    // An account with a verified address and TOTP on; the provider verified the same address.
    const owner = await withVerifiedEmail(box, 'native')
    const as = bearer(owner.tokens.accessToken).headers
    const enrol = await sendJson('POST', '/users/me/totp', { password: PASSWORD }, as)
    const { secret } = (await enrol.json()) as { secret: string }
    const code = generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now())), 6)
    const confirm = await sendJson('POST', '/users/me/totp/verify', { code }, as)
    const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] }

    // The browser flow links the identity by the address (UserInfo has it; this provider's ID
    // tokens do not) and stops at the code page; the app's token then reaches the same account.
    const sub = `n-${crypto.randomUUID()}`
    const linked = await federatedSignIn(env, { sub, email: owner.email, email_verified: true })
    expect(await linked.res.text()).toContain('action="/signin/mfa"')
    const res = await post('local', await idToken(sub))
    const problem = (await res.json()) as { code: string; mfaToken: string }
    expect(res.status).toBe(401)
    expect(problem.code).toBe('mfa_required')
    const done = await sendJson('POST', '/login/mfa', {
      mfaToken: problem.mfaToken,
      code: recoveryCodes[0],
    })
    expect(done.status).toBe(200)
    const { accessToken } = (await done.json()) as { accessToken: string }
    expect(claimsOf(accessToken)).toMatchObject({
      sub: owner.user.id,
      amr: ['fed', 'otp'],
      idp: 'local',
    })
  })
})

describe('an ES256 ID token re-spelled', () => {
  // ECDSA has two valid signatures per message: (r, s) and (r, n - s). A token used once must
  // stay used under its other spelling (the single use is keyed by the signed part).
  const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')
  const toBig = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
  const toBytes = (n: bigint) =>
    Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))
  const fromB64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64url'))

  it('signs in once, not again under the other valid signature', async () => {
    const keys = await signer('ES256', `k-${crypto.randomUUID()}`)
    const base = uniquePath('es256-idp')
    const issuer = await scriptProvider(base, [keys.jwk])
    const scripted = {
      AUTH_PROVIDERS: JSON.stringify({
        es: { type: 'oidc', name: 'ES', issuer, clientId: 'app' },
      }),
      PROVIDER_ES_CLIENT_SECRET: 's',
    } as never
    const now = Math.floor(Date.now() / 1000)
    const token = await signJwt(
      { iss: issuer, aud: 'app', sub: `es-${crypto.randomUUID()}`, iat: now, exp: now + 600 },
      keys,
    )
    const [head, body, signature] = token.split('.') as [string, string, string]
    const raw = fromB64(signature)
    const flipped = new Uint8Array(64)
    flipped.set(raw.slice(0, 32))
    flipped.set(toBytes(N - toBig(raw.slice(32))), 32)
    const respelled = `${head}.${body}.${Buffer.from(flipped).toString('base64url')}`
    const send = (idToken: string) =>
      browse(scripted, '/login/es/id-token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ idToken }),
      })
    expect((await send(token)).status).toBe(200)
    const again = await send(respelled)
    expect(again.status).toBe(400)
    expect(((await again.json()) as { detail: string }).detail).toContain('used already')
  })
})
