// A red team's pass over the authorization server from outside (stale, replayed, racing and
// malformed requests against a running `wrangler dev`), kept as in-process tests. The first block
// holds what it found (each fixed since, each test failing before its fix); the rest are attempts
// that held, kept so they keep holding. Every answer of the worker here is under 500.
import { describe, expect, it } from 'vitest'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  captureLogs,
  cookieSession,
  freezeTime,
  jsonInit,
  refresh,
} from '../helpers'
import { cookieOf } from '../pages/forms'
import {
  REDIRECT_URI,
  authorizePath,
  browse,
  codeFor,
  consentRequestOf,
  cookieHeader,
  decide,
  discover,
  pkce,
  redeem,
  refreshGrant,
  registerApp,
  registerRaw,
  tokenJson,
  tokenRequest,
  expectNoServerErrors,
} from '../oauth-server/flow'

expectNoServerErrors()
const json = tokenJson

async function setup(metadata: Parameters<typeof registerApp>[1] = {}) {
  const as = await discover()
  const client = await registerApp(as, metadata)
  const session = await cookieSession()
  return { as, client, session }
}

/** A second cookie session of the same user (another sign-in in the same browser, later). */
async function signInAgain(username: string) {
  const res = await browse('/login', {
    ...jsonInit('POST', { username, password: PASSWORD, mode: 'cookie' }),
    headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
  })
  expect(res.status).toBe(200)
  return cookieOf(res)!
}

const authorizeGet = (
  clientId: string,
  params: Record<string, string | undefined>,
  cookie?: string,
) =>
  browse(
    authorizePath(clientId, params),
    cookie ? { headers: { cookie: cookieHeader(cookie) } } : {},
  )

/** The consent form's sealed request for a fresh authorization of `clientId`. */
async function consentForm(cookie: string, clientId: string, params: Record<string, string> = {}) {
  const { challenge } = await pkce()
  return consentRequestOf(
    await authorizeGet(clientId, { code_challenge: challenge, ...params }, cookie),
  )
}

/** `name=value` of each Set-Cookie, and which of them are deletions. */
function setCookies(res: Response) {
  return res.headers.getSetCookie().map((header) => {
    const pair = header.split(';')[0]!
    const eq = pair.indexOf('=')
    return {
      name: pair.slice(0, eq),
      value: pair.slice(eq + 1),
      pair,
      deleted: /max-age=0\b/i.test(header) || /expires=thu, 01 jan 1970/i.test(header),
    }
  })
}

const accessOf = async (cookie: string) =>
  ((await (await refresh(cookie)).json()) as { accessToken: string }).accessToken

// ---------------------------------------------------------------------------------------------
// What the red team found, fixed.

describe('found, and fixed', () => {
  // Severity: high. Someone holding a stolen session (or the user's own app) keeps a fresh code
  // in hand; the owner signs out everywhere (or resets the password), and the held code, issued
  // before that, still starts a grant session after it: a 30-day refresh chain that survives the
  // very action meant to end all access. The sign-out's revocation mark covers sessions created
  // before it; the code's session is created after it, at the exchange.
  it('a code issued before "sign out everywhere" starts no grant session after it', async () => {
    const { client, session } = await setup()
    const clock = freezeTime()
    try {
      const { code, verifier } = await codeFor(session.cookie, client.client_id)
      clock.advance(1000)
      const out = await browse('/logout?scope=global', {
        method: 'POST',
        headers: { origin: ORIGIN, cookie: cookieHeader(session.cookie) },
      })
      expect(out.status).toBe(204)
      clock.advance(2000) // well within the code's 60 s
      const res = await redeem(client.client_id, code, verifier)
      const body = await json(res)
      clock.advance(2000)
      // Whatever the exchange says, nothing from it may work after the sign-out.
      if (body.refresh_token) {
        expect((await refreshGrant(client.client_id, body.refresh_token)).status).toBe(400)
      }
      expect(res.status).toBe(400)
      expect(body.error).toBe('invalid_grant')
    } finally {
      clock.restore()
    }
  })

  // Severity: low. SECURITY.md says a code redeemed while its grant is removed yields "nothing
  // usable"; for a client without the refresh_token grant the exchange returns before it checks
  // the grant, so an access token (accessTokenTtl, 5 min by default) is minted after the removal.
  it('a client without refresh tokens gets no access token for a code whose grant was removed', async () => {
    const { client, session } = await setup({ grant_types: ['authorization_code'] })
    const { code, verifier } = await codeFor(session.cookie, client.client_id)
    const access = await accessOf(session.cookie)
    const [grant] = (await (await browse('/users/me/grants', bearer(access))).json()) as {
      id: string
    }[]
    const removed = await browse(`/users/me/grants/${grant!.id}`, {
      method: 'DELETE',
      ...bearer(access),
    })
    expect(removed.status).toBe(204)
    const body = await json(await redeem(client.client_id, code, verifier))
    expect(body.access_token).toBeUndefined()
  })

  // Severity: low (functional). The pending request rides in one cookie; a request the service
  // accepts (a registered redirect up to 2,000 characters, a state up to 1,024) seals to ~6 KB,
  // past the 4,096 bytes a browser keeps for a cookie. Chromium drops it silently, and after
  // signing in the user lands on "This sign-in took too long or was started in another browser".
  it('never sets a pending cookie larger than a browser keeps (4,096 bytes)', async () => {
    const long = `https://app.example/${'a'.repeat(1970)}`
    const { client } = await setup({ redirect_uris: [long] })
    const { challenge } = await pkce()
    const res = await authorizeGet(client.client_id, {
      redirect_uri: long,
      code_challenge: challenge,
      state: 's'.repeat(1024),
    })
    // Either refused up front (a page here), or a cookie that fits.
    if (res.status === 400) return
    expect(res.status).toBe(303)
    for (const cookie of setCookies(res)) expect(cookie.pair.length).toBeLessThanOrEqual(4096)
  })

  // Severity: low-medium (denial of service to one browser). Every detour through /signin adds a
  // new `__Host-authorize-<id>` cookie for 15 minutes and never removes the others. A hostile page
  // that opens one popup and points it at /authorize?…&state=<1 KB> 60 times (prompt=login works
  // on a signed-in user too) leaves ~225 KB of cookies (measured in Chromium against wrangler dev
  // in 10 s), sent on every request to this service: past the request-header limits of the edge
  // and most proxies, so sign-in and the API fail for that browser until the cookies expire; at
  // 180 cookies Chromium starts evicting others, the refresh cookie among them.
  it('keeps what one browser holds bounded however many detours it starts', async () => {
    const { client } = await setup()
    const jar = new Map<string, string>()
    for (let i = 0; i < 20; i++) {
      const { challenge } = await pkce()
      const res = await browse(
        authorizePath(client.client_id, { code_challenge: challenge, state: 's'.repeat(1024) }),
        { headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } },
      )
      expect(res.status).toBe(303)
      for (const c of setCookies(res)) {
        if (c.deleted) jar.delete(c.name)
        else jar.set(c.name, c.value)
      }
    }
    const bytes = [...jar].reduce((n, [k, v]) => n + k.length + v.length + 2, 0)
    expect(bytes).toBeLessThan(8 * 1024)
  })

  // Severity: low. The consent form's sealed request is good for 15 minutes, any number of times:
  // after Deny (the app was told access_denied) the same form still allows and yields a code, and
  // each post yields another code.
  it('a consent form decides once: Allow after Deny yields no code', async () => {
    const { client, session } = await setup()
    const request = await consentForm(session.cookie, client.client_id)
    const denied = await decide(session.cookie, request, 'deny')
    expect(new URL(denied.headers.get('location')!).searchParams.get('error')).toBe('access_denied')
    const again = await decide(session.cookie, request, 'allow')
    expect(again.headers.get('location') ?? '').not.toContain('code=')
    expect(again.status).toBe(400)
  })

  // Severity: low. The form is sealed with the session it was shown to (`shownTo.sessionId`), but
  // only the user id is compared: after signing out, a form from before works in the next session.
  it('a consent form shown to one session is refused in a later session of the same user', async () => {
    const { client, session } = await setup()
    const request = await consentForm(session.cookie, client.client_id)
    const out = await browse('/logout', {
      method: 'POST',
      headers: { origin: ORIGIN, cookie: cookieHeader(session.cookie) },
    })
    expect(out.status).toBe(204)
    const later = await signInAgain(session.username)
    const res = await decide(later, request, 'allow')
    expect(res.headers.get('location') ?? '').not.toContain('code=')
    expect(res.status).toBe(400)
  })

  // Severity: low. client_name refuses C0 controls only: a right-to-left override (U+202E) is
  // accepted and printed unisolated, so the name reorders the rest of the consent sentence
  // ("… wants to use Notes as alice") in the browser.
  it('a client_name cannot reorder the consent sentence (bidi controls refused or isolated)', async () => {
    const name = 'Notes\u202Eppa'
    const res = await registerRaw({
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      client_name: name,
    })
    if (res.status === 400) return
    expect(res.status).toBe(201)
    const { client_id } = (await res.json()) as { client_id: string }
    const session = await cookieSession()
    const { challenge } = await pkce()
    const page = await (
      await authorizeGet(client_id, { code_challenge: challenge }, session.cookie)
    ).text()
    expect(page).toMatch(/<bdi[^>]*>Notes\u202eppa<\/bdi>/)
  })
})

// ---------------------------------------------------------------------------------------------
// Attempts that held.

describe('held: codes under parallel exchanges', () => {
  it('eight exchanges of one code at once: at most one token, and its session is then ended', async () => {
    const { client, session } = await setup()
    const { code, verifier } = await codeFor(session.cookie, client.client_id)
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => redeem(client.client_id, code, verifier)),
    )
    const bodies = await Promise.all(answers.map(json))
    // One exchange spends the code; the others are replays. A replay that lands before the
    // winner checks D1 also fails the winner (RFC 9700 §4.2.4), so at most one token comes out.
    const won = bodies.filter((b) => b.access_token)
    expect(won.length).toBeLessThanOrEqual(1)
    expect(bodies.filter((b) => b.error === 'invalid_grant').length).toBeGreaterThanOrEqual(7)
    // Whatever the winner got, the replays ended it.
    for (const body of won) {
      expect((await refreshGrant(client.client_id, body.refresh_token!)).status).toBe(400)
    }
  })

  it('never writes the code or a token into a log line or an error body', async () => {
    const { client, session } = await setup()
    const { code, verifier } = await codeFor(session.cookie, client.client_id)
    const logs = captureLogs()
    const first = await json(await redeem(client.client_id, code, verifier))
    const replay = await redeem(client.client_id, code, verifier)
    const text = await replay.text()
    expect(replay.headers.get('cache-control')).toContain('no-store')
    for (const secret of [code, verifier, first.refresh_token!, first.access_token!]) {
      expect(text).not.toContain(secret)
      expect(logs.join('\n')).not.toContain(secret)
    }
  })
})

describe('held: registration with odd bodies', () => {
  it('checks the value JSON.parse keeps when a key is sent twice (the last)', async () => {
    const body = `{"redirect_uris":["${REDIRECT_URI}"],"token_endpoint_auth_method":"none","redirect_uris":["javascript:alert(1)"]}`
    const res = await registerRaw(body)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_redirect_uri')
  })

  it.each([
    ['an array', '[]'],
    ['null', 'null'],
    ['a string', '"x"'],
    ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['redirect_uris as a string', JSON.stringify({ redirect_uris: REDIRECT_URI })],
    ['a null redirect URI', JSON.stringify({ redirect_uris: [null] })],
    [
      'eleven redirect URIs',
      JSON.stringify({
        redirect_uris: Array.from({ length: 11 }, (_, i) => `${REDIRECT_URI}${i}`),
      }),
    ],
    [
      'token_endpoint_auth_method "constructor"',
      JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'constructor' }),
    ],
    [
      'a C0 control in client_name',
      JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'a\u0007b' }),
    ],
  ])('refuses %s with a 4xx and registers nothing', async (_, body) => {
    const res = await registerRaw(body)
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(await res.text()).not.toContain('client_id')
  })

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', ''])(
    'refuses the content type %j',
    async (type) => {
      const res = await registerRaw({ redirect_uris: [REDIRECT_URI] }, { 'content-type': type })
      expect(res.status).toBe(400)
    },
  )
})

describe('held: /authorize with parameters it does not support', () => {
  it('refuses request and request_uri (OIDC Core §6) with a page, never by redirect; ignores response_mode', async () => {
    const { client, session } = await setup()
    // An unsigned request object naming another redirect: never read.
    const requestObject = `${btoa('{"alg":"none"}')}.${btoa('{"redirect_uri":"https://evil.example/cb"}')}.`
    for (const [name, value, error] of [
      ['request', requestObject, 'request_not_supported'],
      ['request_uri', 'https://evil.example/request', 'request_uri_not_supported'],
    ] as const) {
      const { challenge } = await pkce()
      const res = await browse(
        authorizePath(client.client_id, { code_challenge: challenge, [name]: value }),
        { headers: { cookie: cookieHeader(session.cookie) } },
      )
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      const page = await res.text()
      expect(page).toContain(`error=${error}`)
      expect(page).not.toContain('evil.example')
    }
    const { code, location } = await codeFor(session.cookie, client.client_id, {
      response_mode: 'fragment',
    })
    expect(location.origin + location.pathname).toBe(REDIRECT_URI)
    expect(location.hash).toBe('')
    expect(code).toBeTruthy()
  })

  it.each([
    ['http://127.0.0.1/c'],
    ['https://127.0.0.1/c'],
    ['https://[::1]/c'],
    ['https://2130706433/c'],
    ['https://169.254.169.254/latest'],
    ['https://app.example:8443/c'],
    ['https://u:p@app.example/c'],
    ['https://app.example/a/../c'],
    ['https://app.example/c#f'],
  ])('refuses the metadata-document client id %s with a page, never a redirect', async (id) => {
    const { challenge } = await pkce()
    const res = await browse(authorizePath(id, { code_challenge: challenge }))
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })
})

describe('held: consent', () => {
  it('refuses a form posted after the session it was shown to signed out', async () => {
    const { client, session } = await setup()
    const request = await consentForm(session.cookie, client.client_id)
    await browse('/logout', {
      method: 'POST',
      headers: { origin: ORIGIN, cookie: cookieHeader(session.cookie) },
    })
    const res = await decide(session.cookie, request, 'allow')
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })

  it('refuses a form whose sealed request is garbage, oversized or another kind', async () => {
    const { session } = await setup()
    for (const request of ['x', '!!!!', 'a'.repeat(9000)]) {
      const res = await decide(session.cookie, request, 'allow')
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
    }
  })
})

describe('held: client authentication oddities at the token endpoint', () => {
  it.each([
    ['two spaces after Basic', (v: string) => `Basic  ${v}`],
    ['a Bearer scheme', () => 'Bearer abc'],
    ['no colon', () => `Basic ${btoa('justanid')}`],
    ['a bad percent escape', (v: string) => `Basic ${btoa(`${atob(v).split(':')[0]}:%zz`)}`],
    ['bytes that are not UTF-8', (v: string) => `Basic ${btoa(`${atob(v).split(':')[0]}:\xff`)}`],
  ])('refuses %s: 401 invalid_client, and the code is not spent', async (_, header) => {
    const { client, session } = await setup({ token_endpoint_auth_method: 'client_secret_basic' })
    const { code, verifier } = await codeFor(session.cookie, client.client_id)
    const good = btoa(`${client.client_id}:${client.client_secret!}`)
    const res = await redeem(
      client.client_id,
      code,
      verifier,
      { client_id: undefined },
      {
        authorization: header(good),
      },
    )
    expect(res.status).toBe(401)
    expect((await json(res)).error).toBe('invalid_client')
    const ok = await redeem(
      client.client_id,
      code,
      verifier,
      { client_id: undefined },
      {
        authorization: `Basic ${good}`,
      },
    )
    expect(ok.status).toBe(200)
  })

  it.each([
    ['garbage', 'abc'],
    ['three dots', '...'],
    ['a payload of null', `e30.${btoa('null')}.x`],
    ['iss and sub as arrays', `e30.${btoa('{"iss":["a"],"sub":["a"]}')}.x`],
    ['iss and sub __proto__', `e30.${btoa('{"iss":"__proto__","sub":"__proto__"}')}.x`],
  ])('refuses a client_assertion that is %s with 401, never a 500', async (_, assertion) => {
    const res = await tokenRequest({
      grant_type: 'authorization_code',
      code: 'x',
      code_verifier: 'a'.repeat(43),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    })
    expect(res.status).toBe(401)
    expect((await json(res)).error).toBe('invalid_client')
  })
})
