// The login backoff through the real worker and KV: runs per (username, network), and the
// per-username ceiling that only many networks together reach.
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { totpStep } from '../../src/auth/totp'
import { usernameMaxFailures } from '../../src/services/login-backoff'
import { kvKeys } from '../../src/store/keys'
import { mailbox, withVerifiedEmail } from '../doubles/mailbox'
import {
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  captureLogs,
  expectProblem,
  freezeTime,
  jsonInit,
  registerUser,
  sendJson,
  signedIn,
  uniqueUsername,
} from '../helpers'

/** Requests without an address of their own all come from one network (`unknown`). */
const login = (username: string, password: string) =>
  sendJson('POST', '/login', { username, password })

let host = 0
/**
 * A sign-in from the /24 `network` (`198.51.100`), the network the backoff counts, each from
 * another address in it, so the per-address LOGIN_LIMITER (10 a minute) stays out of the way.
 */
const loginFrom = (network: string, username: string, password: string) =>
  call(
    '/login',
    jsonInit(
      'POST',
      { username, password },
      { 'CF-Connecting-IP': `${network}.${(host++ % 254) + 1}` },
    ),
  )

const WRONG = 'wrong password!'
const STRANGER = '198.51.100'
const OWNER = '203.0.113'

async function failTimes(username: string, times: number, ip?: string) {
  for (let i = 0; i < times; i++) {
    const res = ip ? await loginFrom(ip, username, WRONG) : await login(username, WRONG)
    await expectProblem(res, 401, 'invalid_credentials')
  }
}

/** The 429 body without its request id, and the Retry-After header. */
async function throttled(res: Response) {
  expect(await res.clone().text()).not.toMatch(/accessToken|refreshToken|eyJ|mfaToken/)
  expect(res.headers.get('set-cookie')).toBeNull()
  const { requestId: _id, ...body } = await expectProblem(res, 429, 'rate_limited')
  return { body: JSON.stringify(body), retryAfter: res.headers.get('retry-after') }
}

const events = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>)

describe('login backoff per username and network', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('a stranger failing from one network does not stop the owner signing in from another', async () => {
    freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 5, STRANGER)
    // The stranger's network is locked, every address in it, whatever the password...
    await throttled(await loginFrom(STRANGER, username, PASSWORD))
    await throttled(await loginFrom(STRANGER, username, WRONG))
    // ...and the owner, from their own network, signs in with the right password.
    const owner = await loginFrom(OWNER, username, PASSWORD)
    expect(owner.status).toBe(200)
    expect(await owner.json()).toHaveProperty('accessToken')
    // The owner's success did not lift the stranger's lock.
    await throttled(await loginFrom(STRANGER, username, PASSWORD))
  })

  it('refuses the right password during a lock exactly as a wrong one, without checking it', async () => {
    const clock = freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 5, STRANGER)
    clock.advance(1_000)
    await failTimes(username, 1, STRANGER)
    const lines = captureLogs()
    const right = await throttled(await loginFrom(STRANGER, username, PASSWORD))
    const wrong = await throttled(await loginFrom(STRANGER, username, WRONG))
    expect(right).toEqual(wrong)
    expect(right.retryAfter).toBe('2')
    const logged = events(lines)
    expect(logged.filter((e) => e.event === 'login_throttled')).toHaveLength(2)
    expect(logged.find((e) => e.event === 'login_throttled')).toMatchObject({ lock: 'network' })
    // Neither attempt was judged (or counted): no success, no failure, the lock unchanged.
    expect(logged.map((e) => e.event)).not.toContain('login_succeeded')
    expect(logged.map((e) => e.event)).not.toContain('login_failed')
    expect((await throttled(await loginFrom(STRANGER, username, WRONG))).retryAfter).toBe('2')
  })

  it('locks a network after 5 failures, then lifts, and a success clears that run', async () => {
    const clock = freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 5, OWNER)
    const lines = captureLogs()
    expect((await throttled(await loginFrom(OWNER, username, PASSWORD))).retryAfter).toBe('1')
    expect(events(lines).map((e) => e.event)).toContain('login_throttled')
    clock.advance(1_000)
    expect((await loginFrom(OWNER, username, PASSWORD)).status).toBe(200)
    expect(
      await env.REFRESH_TOKENS.get(kvKeys.networkLoginFailures(username, `${OWNER}.0/24`)),
    ).toBeNull()
    // Success cleared the network's run: four more failures do not lock.
    await failTimes(username, 4, OWNER)
    expect((await loginFrom(OWNER, username, PASSWORD)).status).toBe(200)
  })

  it('leaves the per-username count standing after a success, and writes nothing for a clean one', async () => {
    freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 3, STRANGER)
    expect((await loginFrom(OWNER, username, PASSWORD)).status).toBe(200)
    const count = await env.REFRESH_TOKENS.get<{ count: number }>(
      kvKeys.loginFailures(username),
      'json',
    )
    expect(count?.count).toBe(3)
    const clean = await registerUser()
    expect((await loginFrom(OWNER, clean.username, PASSWORD)).status).toBe(200)
    expect(await env.REFRESH_TOKENS.get(kvKeys.loginFailures(clean.username))).toBeNull()
    expect(
      await env.REFRESH_TOKENS.get(kvKeys.networkLoginFailures(clean.username, `${OWNER}.0/24`)),
    ).toBeNull()
  })

  it('doubles the lock with each further failure', async () => {
    const clock = freezeTime()
    const { username } = await registerUser()
    await failTimes(username, 5, STRANGER)
    const waits: string[] = []
    for (let i = 0; i < 3; i++) {
      const { retryAfter } = await throttled(await loginFrom(STRANGER, username, WRONG))
      waits.push(retryAfter!)
      clock.advance(Number(retryAfter) * 1000)
      await failTimes(username, 1, STRANGER)
    }
    expect(waits).toEqual(['1', '2', '4'])
  })

  it('caps the lock at 15 minutes', async () => {
    freezeTime()
    const { username } = await registerUser()
    await env.REFRESH_TOKENS.put(
      kvKeys.networkLoginFailures(username, `${STRANGER}.0/24`),
      JSON.stringify({ count: 40, lockedUntil: Date.now(), lastFailureAt: Date.now() }),
    )
    await failTimes(username, 1, STRANGER)
    expect((await throttled(await loginFrom(STRANGER, username, PASSWORD))).retryAfter).toBe('900')
    expect((await loginFrom(OWNER, username, PASSWORD)).status).toBe(200)
  })

  it('throttles an unknown username exactly like a real one', async () => {
    freezeTime()
    const { username } = await registerUser()
    const ghost = uniqueUsername('ghost')
    await failTimes(username, 5, STRANGER)
    await failTimes(ghost, 5, STRANGER)
    const real = await throttled(await loginFrom(STRANGER, username, WRONG))
    const unknown = await throttled(await loginFrom(STRANGER, ghost, WRONG))
    expect(unknown).toEqual(real)
  })

  it('counts case variants of a username as one', async () => {
    freezeTime()
    const { username } = await registerUser(uniqueUsername('Case'))
    await failTimes(username.toUpperCase(), 3)
    await failTimes(username.toLowerCase(), 2)
    await throttled(await login(username, PASSWORD))
  })

  it('is off with RATE_LIMITS=off', async () => {
    const { username } = await registerUser()
    vi.spyOn(console, 'log').mockImplementation(() => {})
    const attempt = (password: string) =>
      callWithEnv(
        { RATE_LIMITS: 'off' },
        '/login',
        jsonInit('POST', { username, password }, { 'CF-Connecting-IP': `${STRANGER}.1` }),
      )
    for (let i = 0; i < 8; i++) expect((await attempt(WRONG)).status).toBe(401)
    expect((await attempt(PASSWORD)).status).toBe(200)
    expect(await env.REFRESH_TOKENS.get(kvKeys.loginFailures(username))).toBeNull()
  })
})

describe('the per-username ceiling', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('locks everyone, the owner too, once many networks together pass it; then lifts', async () => {
    const clock = freezeTime()
    const { username } = await registerUser()
    const ghost = uniqueUsername('ghost')
    const ceiling = usernameMaxFailures(5)
    expect(ceiling).toBe(96)
    // The run so far, four short of the ceiling (test/services/login-backoff.test.ts counts a
    // whole crowd; here a PBKDF2 run per failure would make that slow)...
    for (const name of [username, ghost]) {
      await env.REFRESH_TOKENS.put(
        kvKeys.loginFailures(name),
        JSON.stringify({ count: ceiling - 4, since: Date.now(), lockedUntil: 0 }),
      )
    }
    const lines = captureLogs()
    // ...then four failures, one from each of four networks: none is near its own lock.
    for (let n = 0; n < 4; n++) await failTimes(username, 1, `10.20.${n}`)
    const owner = await throttled(await loginFrom(OWNER, username, PASSWORD))
    expect(owner.retryAfter).toBe('1')
    const logged = events(lines)
    expect(logged.filter((e) => e.event === 'login_ceiling_reached')).toEqual([
      expect.objectContaining({ level: 'warn', username }),
    ])
    expect(logged.filter((e) => e.event === 'login_throttled')).toEqual([
      expect.objectContaining({ lock: 'username', username }),
    ])
    // An unknown name at its ceiling answers the same.
    for (let n = 0; n < 4; n++) await failTimes(ghost, 1, `10.21.${n}`)
    expect(await throttled(await loginFrom(OWNER, ghost, WRONG))).toEqual(owner)
    // The lock is the username's: it lifts for everyone at once.
    clock.advance(1_000)
    expect((await loginFrom(OWNER, username, PASSWORD)).status).toBe(200)
  })
})

describe('a password reset', () => {
  afterEach(() => vi.restoreAllMocks())

  it("lifts the owner's own network lock and the username's, whichever networks failed", async () => {
    const box = mailbox()
    const { username } = await withVerifiedEmail(box, 'reset')
    await failTimes(username, 5, OWNER)
    await failTimes(username, 5, STRANGER)
    // And many networks past the ceiling, its lock still ten minutes long.
    await env.REFRESH_TOKENS.put(
      kvKeys.loginFailures(username),
      JSON.stringify({ count: 120, since: Date.now(), lockedUntil: Date.now() + 600_000 }),
    )
    await throttled(await loginFrom(OWNER, username, PASSWORD))
    const forgot = jsonInit('POST', { login: username }, { 'CF-Connecting-IP': `${OWNER}.77` })
    expect((await box.call('/password/forgot', forgot)).status).toBe(202)
    const token = box.token('reset-password')
    const reset = jsonInit('POST', { token, newPassword: 'a brand new passphrase' })
    expect((await box.call('/password/reset', reset)).status).toBe(204)
    // The old password is dead, and no lock stands in the way of the new one, on any network.
    await expectProblem(await loginFrom(OWNER, username, PASSWORD), 401, 'invalid_credentials')
    expect((await loginFrom(OWNER, username, 'a brand new passphrase')).status).toBe(200)
    expect((await loginFrom(STRANGER, username, 'a brand new passphrase')).status).toBe(200)
  })
})

describe('the second step (TOTP)', () => {
  afterEach(() => vi.restoreAllMocks())

  const codeFor = (secret: string, steps = 0) =>
    generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)

  async function withTotp() {
    const { tokens, username } = await signedIn('totp')
    const asUser = (path: string, body: unknown) =>
      sendJson('POST', path, body, bearer(tokens.accessToken).headers)
    const enrol = await asUser('/users/me/totp', { password: PASSWORD })
    const { secret } = (await enrol.json()) as { secret: string }
    expect((await asUser('/users/me/totp/verify', { code: codeFor(secret) })).status).toBe(200)
    return { username, secret }
  }

  const mfaTokenFrom = async (network: string, username: string) => {
    const body = await expectProblem(
      await loginFrom(network, username, PASSWORD),
      401,
      'mfa_required',
    )
    return body.mfaToken as string
  }
  const stepFrom = (network: string, mfaToken: string, code: string) =>
    call(
      '/login/mfa',
      jsonInit(
        'POST',
        { mfaToken, code },
        { 'CF-Connecting-IP': `${network}.${(host++ % 254) + 1}` },
      ),
    )

  it("counts wrong codes in the same network's run, and only that network's", async () => {
    const { username, secret } = await withTotp()
    const right = codeFor(secret, 1)
    const wrong = right === '000000' ? '111111' : '000000'
    // Someone with the password, on the stranger's network: four wrong codes, one wrong password.
    for (let i = 0; i < 4; i++) {
      const mfaToken = await mfaTokenFrom(STRANGER, username)
      await expectProblem(await stepFrom(STRANGER, mfaToken, wrong), 401, 'invalid_mfa_code')
    }
    const held = await mfaTokenFrom(STRANGER, username)
    await failTimes(username, 1, STRANGER)
    // That network is locked at both steps, even with the right code...
    await throttled(await stepFrom(STRANGER, held, right))
    await throttled(await loginFrom(STRANGER, username, PASSWORD))
    // ...and the owner, from another, signs in with password and code.
    const mfaToken = await mfaTokenFrom(OWNER, username)
    const owner = await stepFrom(OWNER, mfaToken, right)
    expect(owner.status).toBe(200)
    expect(await owner.json()).toHaveProperty('accessToken')
  })
})
