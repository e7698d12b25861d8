// An outsider's attempts on sign-in at other providers, kept as tests: login CSRF and state
// mix-ups, replays and races of callbacks, connects and disconnects, takeover by linking, open
// redirects and reflection, the native ID-token endpoint, and the session's amr/idp. The first
// block holds the two holes the red team found, each fixed, each kept as the test that found it.
// Races here are real concurrent requests through one worker (D1's constraints decide them), not
// a paused store double: what they show is that the rule lives in one statement, whatever the order.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import { ORIGIN, REFRESH_COOKIE, bearer } from '../helpers'
import {
  STATE_COOKIE,
  begin,
  browse,
  callback,
  callbackPath,
  cookies,
  federatedSignIn,
  providerEnv,
  sessionOf,
  setCookie,
  accountPost as postForm,
} from '../federation/flow'
import {
  authorizeRequest,
  openidProvider,
  redeem,
  signInAtProvider,
} from '../federation/openid-provider'

const main = openidProvider('main')
const box = mailbox()
const env = providerEnv(
  { local: {}, other: {}, mobile: { settings: { clientIds: [main.otherClientId] } } },
  box.env,
)

const person = (label = 'p', extra: Record<string, unknown> = {}) => ({
  sub: `${label}-${crypto.randomUUID()}`,
  email: `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`,
  email_verified: true,
  preferred_username: `${label}${crypto.randomUUID().slice(0, 6)}`,
  ...extra,
})

/** The session a callback's refresh cookie signs in to, or null when it set none. */
const subjectOf = async (res: Response) => {
  const refresh = setCookie(res, REFRESH_COOKIE)
  return refresh ? (await sessionOf(env, refresh)).claims.sub : null
}

/** Everything up to the callback: the URL the provider sends the browser back to, and its cookie. */
async function upToCallback(who: ReturnType<typeof person>, id = 'local', returnTo = '/account') {
  const { authorizeUrl, state } = await begin(env, id, returnTo)
  return { back: await signInAtProvider(authorizeUrl, who), state }
}

/** The account page's form post, with this file's bindings. */
const accountPost = (path: string, refresh: string, fields: Record<string, string> = {}) =>
  postForm(env, path, refresh, fields)

describe('found by the red team, and fixed', () => {
  // settle() once passed the provider's `email` claim to users.findForRecovery, which looks a
  // login up by *username* when it has no '@': a provider vouching for an `email` of "victim"
  // joined the identity to the account named victim. Now only a real address is linkable, and
  // the owner is looked up by address alone (users.verifiedOwner).
  it("a provider's verified `email` that is a victim's username does not join the victim's account", async () => {
    const victim = await withVerifiedEmail(box, 'victim')
    const attacker = person('mallory', { email: victim.username, email_verified: true })
    const { res, refresh } = await federatedSignIn(env, attacker)
    expect(res.status).toBe(303)
    expect((await sessionOf(env, refresh!)).claims.sub).not.toBe(victim.user.id)
  })

  // Every route that adds a way in once asked a password-less account for the password it never
  // had. Now a sign-in within the last 10 minutes confirms instead (test/flows/passwordless.test.ts).
  it('a password-less account can start adding a passkey after a recent sign-in', async () => {
    const { refresh } = await federatedSignIn(env, person('pwless'))
    const { accessToken } = await sessionOf(env, refresh!)
    const res = await browse(env, '/users/me/passkeys/options', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...bearer(accessToken).headers },
      body: JSON.stringify({}),
    })
    expect(res.status).toBe(200)
  })
})

describe('login CSRF and state mix-ups', () => {
  it("signs no one in when a browser with its own sign-in under way opens the attacker's callback", async () => {
    const { back } = await upToCallback(person('attacker'))
    const victim = await begin(env)
    const res = await callback(env, back, { [STATE_COOKIE('local')]: victim.state })
    expect(res.status).toBe(400)
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
  })

  it("will not open one provider's state at another's callback, and spends nothing trying", async () => {
    const { back, state } = await upToCallback(person())
    const other = new URL(back)
    other.pathname = '/signin/other/callback'
    const res = await callback(env, other, { [STATE_COOKIE('other')]: state })
    expect(res.status).toBe(400)
    expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
    // The real callback still finishes: the refused one did not use the state up.
    const real = await callback(env, back, { [STATE_COOKIE('local')]: state })
    expect(real.status).toBe(303)
    expect(setCookie(real, REFRESH_COOKIE)).toBeTruthy()
  })

  it('knows no callback under another spelling of the provider or the path', async () => {
    const { back, state } = await upToCallback(person())
    for (const path of [
      '/signin/LOCAL/callback',
      '/signin/Local/callback',
      '/signin/local%2F../callback',
      '/signin/local/callback/',
      '/signin/local//callback',
    ]) {
      const res = await browse(env, path + back.search, {
        headers: { Cookie: cookies({ [STATE_COOKIE('local')]: state }) },
      })
      expect(res.status, path).toBe(404)
      expect(setCookie(res, REFRESH_COOKIE), path).toBeNull()
    }
  })
})

describe('replays and races', () => {
  it('signs in once when one callback (cookie and code) arrives three times at once', async () => {
    const { back, state } = await upToCallback(person())
    const answers = await Promise.all(
      [1, 2, 3].map(() => callback(env, back, { [STATE_COOKIE('local')]: state })),
    )
    expect(answers.map((res) => res.status).sort()).toEqual([303, 400, 400])
    expect(answers.filter((res) => setCookie(res, REFRESH_COOKIE))).toHaveLength(1)
  })

  it('makes one account when the first two sign-ins of a new subject finish at once', async () => {
    const who = person()
    const [a, b] = await Promise.all([upToCallback(who), upToCallback(who)])
    const [ra, rb] = await Promise.all([
      callback(env, a.back, { [STATE_COOKIE('local')]: a.state }),
      callback(env, b.back, { [STATE_COOKIE('local')]: b.state }),
    ])
    expect([ra.status, rb.status]).toEqual([303, 303])
    expect(await subjectOf(ra)).toBe(await subjectOf(rb))
  })

  it('links an identity two accounts connect at once to one of them only', async () => {
    const [a, b] = await Promise.all([
      federatedSignIn(env, person('a')),
      federatedSignIn(env, person('b')),
    ])
    const [sa, sb] = await Promise.all([
      accountPost('/account/identities/other/connect', a.refresh!),
      accountPost('/account/identities/other/connect', b.refresh!),
    ])
    const shared = person('x')
    const [ka, kb] = await Promise.all([
      signInAtProvider(sa.headers.get('location')!, shared),
      signInAtProvider(sb.headers.get('location')!, shared),
    ])
    const [ra, rb] = await Promise.all([
      callback(env, ka, {
        [STATE_COOKIE('other')]: setCookie(sa, STATE_COOKIE('other'))!,
        [REFRESH_COOKIE]: a.refresh!,
      }),
      callback(env, kb, {
        [STATE_COOKIE('other')]: setCookie(sb, STATE_COOKIE('other'))!,
        [REFRESH_COOKIE]: b.refresh!,
      }),
    ])
    expect([ra.status, rb.status].sort()).toEqual([303, 409])
    // The identity signs in to the account that won, and only that one.
    const winner = ra.status === 303 ? a : b
    const later = await federatedSignIn(env, shared, { id: 'other' })
    expect(await subjectOf(later.res)).toBe((await sessionOf(env, winner.refresh!)).claims.sub)
  })

  it('leaves a way in when both identities of a password-less account are removed at once', async () => {
    const who = person()
    const first = await federatedSignIn(env, who)
    // The same verified address at a second provider joins the same account.
    await federatedSignIn(env, who, { id: 'other' })
    const { accessToken } = await sessionOf(env, first.refresh!)
    const remove = (provider: string) =>
      browse(env, `/users/me/identities/${provider}`, {
        method: 'DELETE',
        headers: bearer(accessToken).headers,
      })
    const [x, y] = await Promise.all([remove('local'), remove('other')])
    expect([x.status, y.status].sort()).toEqual([204, 409])
    const left = await browse(env, '/users/me/identities', bearer(accessToken))
    expect(await left.json()).toHaveLength(1)
  })
})

describe('linking by address', () => {
  it('never joins by an unverified address, whatever its case', async () => {
    const owner = await withVerifiedEmail(box, 'owner')
    const { refresh } = await federatedSignIn(
      env,
      person('m', { email: owner.email.toUpperCase(), email_verified: false }),
    )
    expect((await sessionOf(env, refresh!)).claims.sub).not.toBe(owner.user.id)
  })

  it('never joins by a look-alike address (full-width letters, a trailing dot, +tag)', async () => {
    const owner = await withVerifiedEmail(box, 'owner')
    const [local, domain] = owner.email.split('@') as [string, string]
    const fullWidth = [...local]
      .map((ch) => (/[a-z]/.test(ch) ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch))
      .join('')
    for (const email of [`${fullWidth}@${domain}`, `${owner.email}.`, `${local}+x@${domain}`]) {
      const { refresh } = await federatedSignIn(env, person('m', { email }))
      expect((await sessionOf(env, refresh!)).claims.sub, email).not.toBe(owner.user.id)
    }
  })
})

describe('open redirects and reflection', () => {
  it('lands every foreign return_to spelling on a path of this site after the callback', async () => {
    for (const returnTo of [
      '//evil.example',
      'https:evil.example',
      '/\\evil.example',
      'https://ok@evil.example',
      '/.//evil.example',
      'javascript:alert(1)',
      '\t//evil.example',
      `${ORIGIN}@evil.example/`,
      'HTTPS://EVIL.EXAMPLE',
    ]) {
      const { res } = await federatedSignIn(env, person(), { returnTo })
      expect(res.status, returnTo).toBe(303)
      // A path on this site (`https:evil.example` is one, under an https origin), never a host.
      const location = res.headers.get('location')!
      expect(location, returnTo).toMatch(/^\/(?![/\\])/)
      expect(new URL(location, ORIGIN).origin, returnTo).toBe(ORIGIN)
    }
  })

  it('turns a form_post into our own callback only, echoing nothing it was sent', async () => {
    const fields = {
      code: 'x\r\nSet-Cookie: evil=1',
      state: '<script>alert(1)</script>',
      error: '"><img src=x onerror=alert(1)>',
      user: '{"name":{"firstName":"<b>x</b>"}}',
    }
    const post = await browse(env, '/signin/local/callback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
    expect(post.status).toBe(303)
    expect(post.headers.getSetCookie()).toEqual([])
    const next = new URL(post.headers.get('location')!, ORIGIN)
    expect(next.origin + next.pathname).toBe(`${ORIGIN}/signin/local/callback`)
    const page = await browse(env, callbackPath(next))
    expect(page.status).toBe(400)
    const html = await page.text()
    for (const echoed of ['<script>alert', 'onerror=alert', '<b>x</b>', 'evil=1']) {
      expect(html).not.toContain(echoed)
    }
  })
})

describe('POST /login/{provider}/id-token', () => {
  const post = (provider: string, body: unknown, headers: Record<string, string> = {}) =>
    browse(env, `/login/${provider}/id-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })

  async function idToken(client: 'main' | 'other' = 'main') {
    const request = await authorizeRequest(
      'main',
      client === 'other' ? { client_id: main.otherClientId } : {},
    )
    const back = await signInAtProvider(request.url, person('n'))
    const { tokens } = await redeem(
      request,
      back,
      client === 'other'
        ? { id: main.otherClientId, secret: main.otherClientSecret }
        : { id: main.clientId, secret: main.clientSecret },
    )
    return { idToken: tokens.id_token!, nonce: request.nonce }
  }

  it('signs one of two concurrent posts of the same token in', async () => {
    const token = await idToken()
    const answers = await Promise.all([post('local', token), post('local', token)])
    expect(answers.map((res) => res.status).sort()).toEqual([200, 400])
  })

  it('does not spend a token on a refused attempt (wrong nonce, another provider id)', async () => {
    const token = await idToken('other')
    expect((await post('mobile', { ...token, nonce: 'not-it' })).status).toBe(400)
    // Issued to the other client: at `local` (which does not list it) the audience is wrong.
    expect((await post('local', token)).status).toBe(400)
    expect((await post('mobile', token)).status).toBe(200)
  })

  it('refuses a token re-signed with HS256 under the client secret', async () => {
    const { idToken: real } = await idToken()
    const [, payload] = real.split('.') as [string, string]
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
    const input = `${header}.${payload}`
    const forged = `${input}.${createHmac('sha256', main.clientSecret).update(input).digest('base64url')}`
    const res = await post('local', { idToken: forged })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { code: string }).code).toBe('federated_sign_in_failed')
  })

  it('sets no cookie for mode cookie without an allowed Origin', async () => {
    const token = await idToken()
    for (const headers of [{}, { Origin: 'https://evil.example' }] as Record<string, string>[]) {
      const res = await post('local', { ...token, mode: 'cookie' }, headers)
      expect(res.status).toBe(403)
      expect(setCookie(res, REFRESH_COOKIE)).toBeNull()
    }
    // And the refusals did not spend it.
    expect((await post('local', token)).status).toBe(200)
  })
})

describe("the session's amr and idp", () => {
  it('keeps idp and amr fed across refreshes', async () => {
    const { refresh } = await federatedSignIn(env, person())
    let cookie = refresh!
    for (let round = 0; round < 3; round++) {
      // Each resume rotates the refresh token: the next round uses the one it set.
      const res = await browse(env, '/session/resume', {
        method: 'POST',
        headers: { Cookie: cookies({ [REFRESH_COOKIE]: cookie }), Origin: ORIGIN },
      })
      expect(res.status).toBe(200)
      const { accessToken } = (await res.json()) as { accessToken: string }
      const claims = JSON.parse(
        atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')),
      )
      expect(claims).toMatchObject({ amr: ['fed'], idp: 'local' })
      cookie = setCookie(res, REFRESH_COOKIE)!
      expect(cookie).toBeTruthy()
    }
  })

  it("refuses any password at a password-less account's password-guarded routes", async () => {
    const { refresh } = await federatedSignIn(env, person('pwless'))
    const { accessToken } = await sessionOf(env, refresh!)
    const password = 'correct horse battery staple'
    for (const [method, path, body] of [
      ['POST', '/users/me/passkeys/options', { password }],
      ['POST', '/users/me/totp', { password }],
      ['DELETE', '/users/me', { password }],
    ] as const) {
      const res = await browse(env, path, {
        method,
        headers: { 'Content-Type': 'application/json', ...bearer(accessToken).headers },
        body: JSON.stringify(body),
      })
      expect(res.status, path).toBe(401)
    }
    // Still there, still signing in.
    expect((await sessionOf(env, refresh!)).claims.amr).toEqual(['fed'])
  })
})
