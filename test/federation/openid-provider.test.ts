// The loopback OpenID providers (test/global/openid-provider.ts) and the sign-in helpers
// (./openid-provider.ts) behave as a real provider does for a relying party: a full code flow
// with PKCE, checked with oauth4webapi; refusals; form_post; and key rotation on `rotating`.
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import {
  REDIRECT_URI,
  authorizeRequest,
  denyAtProvider,
  discover,
  insecure,
  redeem,
  type OpenIdProviderName,
  rotateKeys,
  signInAtProvider,
  signInAtProviderFormPost,
} from './openid-provider'

const kidsOf = async (which: OpenIdProviderName): Promise<string[]> => {
  const { as } = await discover(which)
  const res = await fetch(as.jwks_uri!)
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)
}

const headerOf = (jwt: string) =>
  JSON.parse(atob(jwt.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
    kid: string
    alg: string
  }

describe('signInAtProvider', () => {
  it('returns to the callback with code, state and iss; the code buys an ID token and UserInfo', async () => {
    const request = await authorizeRequest('main')
    const sub = `user-${crypto.randomUUID()}`
    const callback = await signInAtProvider(request.url, {
      sub,
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada Lovelace',
      preferred_username: 'ada',
    })

    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('code')).toBeTruthy()
    expect(callback.searchParams.get('state')).toBe(request.state)
    // RFC 9207: the issuer is in the authorization response.
    expect(callback.searchParams.get('iss')).toBe(request.info.issuer)

    const { rp, tokens } = await redeem(request, callback)
    const claims = oauth.getValidatedIdTokenClaims(tokens)!
    expect(claims.sub).toBe(sub)
    expect(claims.nonce).toBe(request.nonce)
    expect(claims.aud).toBe(request.info.clientId)
    expect(claims.iss).toBe(request.info.issuer)
    expect(headerOf(tokens.id_token!).alg).toBe('RS256')
    // Scope claims come from UserInfo only, as many real providers do.
    expect(claims).not.toHaveProperty('email')
    expect(claims).not.toHaveProperty('name')

    const info = await oauth.processUserInfoResponse(
      request.as,
      rp,
      sub,
      await oauth.userInfoRequest(request.as, rp, tokens.access_token, insecure),
    )
    expect(info).toMatchObject({
      sub,
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada Lovelace',
      preferred_username: 'ada',
    })
  })

  it('releases only the claims of the scopes asked for, and only those the account has', async () => {
    const request = await authorizeRequest('main', { scope: 'openid email' })
    const sub = `user-${crypto.randomUUID()}`
    const callback = await signInAtProvider(request.url, { sub, name: 'No Email' })
    const { rp, tokens } = await redeem(request, callback)
    const info = await oauth.processUserInfoResponse(
      request.as,
      rp,
      sub,
      await oauth.userInfoRequest(request.as, rp, tokens.access_token, insecure),
    )
    expect(info).toEqual({ sub })
  })

  it('redeems a code once only', async () => {
    const request = await authorizeRequest('main')
    const callback = await signInAtProvider(request.url, { sub: `user-${crypto.randomUUID()}` })
    await redeem(request, callback)
    await expect(redeem(request, callback)).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('does not give the code to a client it was not issued to', async () => {
    const request = await authorizeRequest('main')
    const callback = await signInAtProvider(request.url, { sub: `user-${crypto.randomUUID()}` })
    const { otherClientId: id, otherClientSecret: secret } = request.info
    await expect(redeem(request, callback, { id, secret })).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('issues ID tokens to the other client, with that client as the audience', async () => {
    const { info } = await discover('main')
    const request = await authorizeRequest('main', { client_id: info.otherClientId })
    const sub = `user-${crypto.randomUUID()}`
    const callback = await signInAtProvider(request.url, { sub })
    const { tokens } = await redeem(request, callback, {
      id: info.otherClientId,
      secret: info.otherClientSecret,
    })
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ sub, aud: info.otherClientId })
  })

  it('refuses an authorization request without PKCE, at the callback', async () => {
    const request = await authorizeRequest('main', {
      code_challenge: null,
      code_challenge_method: null,
    })
    const callback = await signInAtProvider(request.url, { sub: 'never-asked' })
    expect(callback.searchParams.get('error')).toBe('invalid_request')
    expect(callback.searchParams.get('code')).toBeNull()
  })

  it('refuses plain PKCE, at the callback', async () => {
    const request = await authorizeRequest('main', { code_challenge_method: 'plain' })
    const callback = await signInAtProvider(request.url, { sub: 'never-asked' })
    expect(callback.searchParams.get('error')).toBe('invalid_request')
  })

  it('never redirects to an unregistered redirect_uri: the helper throws with the error page', async () => {
    const request = await authorizeRequest('main', {
      redirect_uri: 'https://evil.example/signin/local/callback',
    })
    await expect(signInAtProvider(request.url, { sub: 'never-asked' })).rejects.toThrow(
      /400[\s\S]*redirect_uri did not match/,
    )
  })
})

describe('the login step', () => {
  /** Starts a flow without a cookie jar: the interaction's URL and its cookies. */
  async function startFlow() {
    const request = await authorizeRequest('main')
    const res = await fetch(request.url, { redirect: 'manual' })
    expect(res.status).toBe(303)
    const cookie = res.headers
      .getSetCookie()
      .map((line) => line.split(';', 1)[0])
      .join('; ')
    return { interaction: new URL(res.headers.get('location')!, request.url), cookie }
  }
  const login = (interaction: URL, headers: Record<string, string>, sub = 'mallory') =>
    fetch(`${interaction.href}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ sub }).toString(),
    })

  it('is bound to the browser that started it: no cookie, or another flow’s, is refused', async () => {
    const mine = await startFlow()
    const theirs = await startFlow()
    expect((await login(mine.interaction, {})).status).toBe(400)
    const crossed = await login(mine.interaction, { cookie: theirs.cookie })
    expect(crossed.status).toBe(400)
    expect(await crossed.json()).toEqual({ error: 'interaction_mismatch' })
    // The right cookie still works: the refusals spent nothing.
    expect((await login(mine.interaction, { cookie: mine.cookie })).status).toBe(303)
  })

  it('requires a sub', async () => {
    const flow = await startFlow()
    const res = await login(flow.interaction, { cookie: flow.cookie }, '')
    expect(res.status).toBe(400)
  })
})

describe('denyAtProvider', () => {
  it('returns to the callback with error=access_denied, state and iss, and no code', async () => {
    const request = await authorizeRequest('main')
    const callback = await denyAtProvider(request.url)
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.get('state')).toBe(request.state)
    expect(callback.searchParams.get('iss')).toBe(request.info.issuer)
    expect(callback.searchParams.get('code')).toBeNull()
  })
})

describe('signInAtProviderFormPost', () => {
  it('returns the auto-submitting form: the callback as action, code, state and iss as fields', async () => {
    const request = await authorizeRequest('main', { response_mode: 'form_post' })
    const form = await signInAtProviderFormPost(request.url, { sub: `user-${crypto.randomUUID()}` })
    expect(form.action).toBe(REDIRECT_URI)
    expect(Object.keys(form.fields).sort()).toEqual(['code', 'iss', 'state'])
    expect(form.fields.state).toBe(request.state)
    expect(form.fields.iss).toBe(request.info.issuer)
  })

  it('is refused by signInAtProvider, which expects a redirect', async () => {
    const request = await authorizeRequest('main', { response_mode: 'form_post' })
    await expect(signInAtProvider(request.url, { sub: 'x' })).rejects.toThrow(/form/)
  })
})

describe('rotateKeys', () => {
  it('replaces the rotating provider’s keys: new kids, the old ones unpublished, new tokens signed with the new key', async () => {
    const request = await authorizeRequest('rotating')
    const before = await kidsOf('rotating')
    expect(before).toHaveLength(2)

    // A sign-in begun before the rotation still finishes after it.
    const callback = await signInAtProvider(request.url, { sub: `user-${crypto.randomUUID()}` })
    await rotateKeys('rotating')
    const after = await kidsOf('rotating')

    expect(after).toHaveLength(2)
    for (const kid of before) expect(after).not.toContain(kid)
    const { tokens } = await redeem(request, callback)
    expect(after).toContain(headerOf(tokens.id_token!).kid)
  })

  it('is refused by main, whose keys never change', async () => {
    const before = await kidsOf('main')
    await expect(rotateKeys('main')).rejects.toThrow(/404/)
    expect(await kidsOf('main')).toEqual(before)
  })
})
