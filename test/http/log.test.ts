import { env } from 'cloudflare:workers'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { TokenPair } from '../../src/schemas'
import { WARNING_EVENTS, logOnly } from '../../src/services/events'
import {
  PASSWORD,
  bearer,
  call,
  callWithEnv,
  captureLogs,
  jsonInit,
  sendJson,
  signedIn,
  uniqueUsername,
} from '../helpers'

describe('logging', () => {
  afterEach(() => vi.restoreAllMocks())

  it('writes no password, hash, token, secret or Authorization header across a full flow', async () => {
    const lines = captureLogs()
    const username = uniqueUsername('logs')
    const secrets: string[] = [PASSWORD, env.ACCESS_TOKEN_SECRET, env.REFRESH_TOKEN_SECRET]

    await sendJson('POST', '/register', { username, password: PASSWORD })
    await sendJson('POST', '/login', { username, password: 'a wrong password' })
    const login = (await (
      await sendJson('POST', '/login', { username, password: PASSWORD })
    ).json()) as TokenPair
    await call('/users', bearer(login.accessToken))
    await call('/users', bearer(`${login.accessToken}x`))
    const next = (await (
      await sendJson('POST', '/token', { token: login.refreshToken })
    ).json()) as TokenPair
    await sendJson('DELETE', '/logout', { token: next.refreshToken })
    await sendJson('POST', '/token', { token: next.refreshToken })
    secrets.push(
      'a wrong password',
      login.accessToken,
      login.refreshToken,
      next.accessToken,
      next.refreshToken,
    )

    const { password_hash } = (await env.DB.prepare(
      'SELECT password_hash FROM users WHERE username = ?',
    )
      .bind(username)
      .first<{ password_hash: string }>())!
    secrets.push(password_hash, password_hash.split('$')[3]!)

    const output = lines.join('\n')
    for (const secret of secrets) expect(output).not.toContain(secret)
    expect(output).not.toMatch(/eyJ|Bearer|authorization|pbkdf2/i)

    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const names = events.map((e) => e.event)
    for (const name of [
      'user_registered',
      'login_failed',
      'login_succeeded',
      'token_refreshed',
      'logout',
    ]) {
      expect(names).toContain(name)
    }
    expect(events.find((e) => e.event === 'login_failed')).toMatchObject({
      reason: 'bad_password',
      username,
    })
  })

  it('writes one request line per request with the agreed fields', async () => {
    const lines = captureLogs()
    await call('/health?debug=secret-query')
    const [line] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(line).toMatchObject({
      level: 'info',
      event: 'request',
      method: 'GET',
      path: '/health',
      status: 200,
    })
    expect(line!.requestId).toBeTypeOf('string')
    expect(line!.durationMs).toBeTypeOf('number')
    expect(new Date(line!.ts as string).toISOString()).toBe(line!.ts)
    expect(lines.join()).not.toContain('secret-query')
  })

  it('scrubs tokens out of request paths, and keeps the rest of the path', async () => {
    const { tokens } = await signedIn()
    const lines = captureLogs()
    const sessionId = crypto.randomUUID()
    await call(`/${tokens.accessToken}`)
    await call(`/sessions/${tokens.refreshToken}`, { method: 'DELETE' })
    // Percent-encoding a token does not hide it: not partly, not behind a malformed escape,
    // not encoded twice.
    await call(`/users/${encodeURIComponent(tokens.refreshToken).replace(/A/g, '%41')}`)
    const escaped = [...tokens.refreshToken].map((ch) => `%${ch.charCodeAt(0).toString(16)}`)
    await call(`/sessions/%FF${escaped.join('')}`, { method: 'DELETE' })
    await call(`/${escaped.map((e) => e.replace('%', '%25')).join('')}`)
    await call(`/%${'25'.repeat(20)}41`) // 'A', percent-encoded 21 times over
    await call(`/sessions/${sessionId}`, { method: 'DELETE', ...bearer(tokens.accessToken) })
    const output = lines.join('\n')
    for (const secret of [tokens.accessToken, tokens.refreshToken]) {
      expect(output).not.toContain(secret)
      expect(output).not.toContain(secret.slice(0, 24))
    }
    const paths = lines.map((l) => (JSON.parse(l) as { path?: string }).path).filter(Boolean)
    expect(paths).toEqual([
      '/[redacted]',
      '/sessions/[redacted]',
      '/users/[redacted]',
      '/sessions/\u00ff[redacted]',
      '/[redacted]',
      '[redacted]', // nested deeper than any client needs: not logged at all
      // A session id is not a secret, and a log that names it is what an operator needs.
      `/sessions/${sessionId}`,
    ])
  })

  it('keeps a plain X-Request-Id, and replaces a token-shaped one rather than log or echo it', async () => {
    const { tokens } = await signedIn()
    const lines = captureLogs()
    const plain = await call('/health', { headers: { 'X-Request-Id': 'trace-42.a' } })
    expect(plain.headers.get('x-request-id')).toBe('trace-42.a')
    for (const sent of [tokens.refreshToken, 'x'.repeat(65), 'with space']) {
      const res = await call('/health', { headers: { 'X-Request-Id': sent } })
      expect(res.headers.get('x-request-id')).not.toBe(sent)
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(lines.join('\n')).not.toContain(tokens.refreshToken)
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: 'trace-42.a' })
  })

  it('does not log a name that matches no account: it is often a password in the wrong field', async () => {
    const lines = captureLogs()
    const typo = `Pw${crypto.randomUUID().slice(0, 12)}`
    await sendJson('POST', '/login', { username: typo, password: PASSWORD })
    const failed = lines.map((l) => JSON.parse(l)).find((e) => e.event === 'login_failed')
    expect(failed).toMatchObject({ reason: 'unknown_user' })
    expect(lines.join('\n')).not.toContain(typo)
  })

  it('names the user on authenticated requests', async () => {
    const username = uniqueUsername()
    const user = (await (
      await sendJson('POST', '/register', { username, password: PASSWORD })
    ).json()) as { id: string }
    const tokens = (await (
      await sendJson('POST', '/login', { username, password: PASSWORD })
    ).json()) as TokenPair
    const lines = captureLogs()
    await call('/users', bearer(tokens.accessToken))
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ event: 'request', userId: user.id })
  })

  describe('LOG_LEVEL', () => {
    const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    // Every request sets the isolate's level from its own settings: put the default back.
    afterEach(() => call('/health'))

    it('warn: no line for a 200 or for an info event, a line for a 4xx and for a warning', async () => {
      const { tokens } = await signedIn()
      const lines = captureLogs()
      const warn = { LOG_LEVEL: 'warn' }
      expect((await callWithEnv(warn, '/users', bearer(tokens.accessToken))).status).toBe(200)
      expect((await callWithEnv(warn, '/health')).status).toBe(200)
      expect(lines).toEqual([])
      // A refresh logs token_refreshed (info); a bad token is a 401 (warn).
      await callWithEnv(warn, '/token', jsonInit('POST', { token: tokens.refreshToken }))
      await callWithEnv(warn, '/users', bearer(`${tokens.accessToken}x`))
      const events = parsed(lines)
      expect(events.map((e) => e.event)).toEqual(['request'])
      expect(events[0]).toMatchObject({ level: 'warn', status: 401, path: '/users' })
    })

    it('error: only 5xx answers and errors', async () => {
      const lines = captureLogs()
      await callWithEnv({ LOG_LEVEL: 'error' }, '/users')
      expect(lines).toEqual([])
      // A missing signing key is the service's fault: a 500 whose lines are errors.
      await callWithEnv({ LOG_LEVEL: 'error', JWT_PRIVATE_KEYS: '' }, '/users', bearer('x.y.z'))
      const events = parsed(lines)
      expect(events.length).toBeGreaterThan(0)
      expect(events.every((e) => e.level === 'error')).toBe(true)
      expect(events.at(-1)).toMatchObject({ event: 'request', status: 500 })
    })

    it('never hides that rate limits are off: that line is written whatever the level', async () => {
      const lines = captureLogs()
      await callWithEnv({ LOG_LEVEL: 'error', RATE_LIMITS: 'off' }, '/health')
      expect(parsed(lines)).toEqual([
        expect.objectContaining({ level: 'warn', status: 200, rateLimits: 'off' }),
      ])
    })

    it('warn keeps the failures and refusals, those no audit row records among them', async () => {
      const { tokens } = await signedIn()
      await callWithEnv({ LOG_LEVEL: 'warn' }, '/users', bearer(tokens.accessToken))
      const lines = captureLogs()
      for (const name of WARNING_EVENTS) logOnly().emit(name, { reason: 'test' })
      logOnly().emit('token_refreshed', {})
      expect(parsed(lines).map((e) => [e.event, e.level])).toEqual(
        [...WARNING_EVENTS].map((name) => [name, 'warn']),
      )
      expect(WARNING_EVENTS).toContain('totp_code_replayed')
      expect(WARNING_EVENTS).toContain('authorization_code_refused')
    })

    it('an invalid value logs everything, and every request line says so', async () => {
      const lines = captureLogs()
      await callWithEnv({ LOG_LEVEL: 'quiet' }, '/health')
      expect(parsed(lines)).toEqual([
        expect.objectContaining({ level: 'info', status: 200, logLevel: 'invalid' }),
      ])
    })

    it('is read by each request: the next one with the default logs info again', async () => {
      await callWithEnv({ LOG_LEVEL: 'error' }, '/health')
      const lines = captureLogs()
      await call('/health')
      expect(parsed(lines)).toEqual([expect.objectContaining({ level: 'info', status: 200 })])
      expect(lines[0]).not.toContain('logLevel')
    })
  })
})
