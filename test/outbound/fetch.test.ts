// The one outbound fetch, against a real HTTP server on a loopback port (test/global/): every
// refusal, and that nothing past a cap or a redirect is ever read or followed.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  checkOutboundUrl,
  fetchJson,
  fetchOutbound,
  isLoopbackHost,
  OutboundError,
  type OutboundReason,
} from '../../src/outbound/fetch'
import { hits, json, script, serverOrigin, uniquePath } from '../global/scripted'

afterEach(() => vi.restoreAllMocks())

/** The OutboundError `promise` rejects with; fails the test when it resolves or throws another. */
async function refusal(promise: Promise<unknown>, reason: OutboundReason): Promise<OutboundError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(OutboundError)
  expect((err as OutboundError).reason).toBe(reason)
  return err as OutboundError
}

const refusedUrl = (url: string, allowLoopback = false) => {
  const err = (() => {
    try {
      checkOutboundUrl(url, allowLoopback)
    } catch (e) {
      return e
    }
    return null
  })()
  expect(err, url).toBeInstanceOf(OutboundError)
  expect((err as OutboundError).reason).toBe('url_refused')
}

describe('checkOutboundUrl', () => {
  it('accepts https to a named host on the default port', () => {
    expect(checkOutboundUrl('https://idp.example.com/.well-known/x').href).toBe(
      'https://idp.example.com/.well-known/x',
    )
    expect(checkOutboundUrl('https://idp.example.com:443/a').port).toBe('')
  })

  it('refuses http, other schemes, userinfo, fragments, ports, IP addresses and bare names', () => {
    for (const url of [
      'http://idp.example.com/',
      'ftp://idp.example.com/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://ok.example.com@evil.example/',
      'https://user:pass@idp.example.com/',
      'https://idp.example.com/#frag',
      'https://idp.example.com:8443/',
      'https://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://intranet/',
      'https://idp.example.com./',
      'not a url',
    ]) {
      refusedUrl(url)
    }
  })

  it('refuses every spelling of loopback unless the caller allows it', () => {
    // URL normalises 2130706433, 0x7f.1 and 127.1 to 127.0.0.1 before the check sees them.
    for (const url of [
      'http://127.0.0.1:8080/',
      'https://localhost/',
      'http://[::1]/',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://127.1/',
      'http://127.255.0.9/',
    ]) {
      refusedUrl(url)
      expect(checkOutboundUrl(url, true).protocol).toMatch(/^https?:$/)
    }
    // Allowing loopback allows nothing else.
    refusedUrl('http://idp.example.com/', true)
    refusedUrl('https://10.0.0.1/', true)
    refusedUrl('http://user@127.0.0.1/', true)
    expect(isLoopbackHost('localhost.evil.example')).toBe(false)
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false)
  })
})

describe('fetchJson against a real server', () => {
  it('returns the parsed JSON of a 2xx answer, with JSON-based types too', async () => {
    const url = await script(json(uniquePath('ok'), { hello: 'world' }))
    const res = await fetchJson(url, { allowLoopback: true })
    expect(res).toMatchObject({ status: 200, json: { hello: 'world' } })
    const jwks = await script({
      path: uniquePath('jwks'),
      headers: { 'content-type': 'application/jwk-set+json; charset=utf-8' },
      body: '{"keys":[]}',
    })
    expect((await fetchJson(jwks, { allowLoopback: true })).json).toEqual({ keys: [] })
  })

  it('never reaches a loopback server unless the caller allows loopback', async () => {
    const path = uniquePath('no-loopback')
    const url = await script(json(path, {}))
    await refusal(fetchJson(url), 'url_refused')
    expect(await hits(path)).toBe(0)
  })

  it('refuses a redirect, without following it, same origin or not', async () => {
    const target = uniquePath('target')
    await script(json(target, { followed: true }))
    for (const location of [target, 'https://evil.example/', `${serverOrigin()}${target}`]) {
      for (const status of [301, 302, 303, 307, 308]) {
        const url = await script({ path: uniquePath('redirect'), status, headers: { location } })
        const err = await refusal(fetchJson(url, { allowLoopback: true }), 'redirect_refused')
        expect(err.status).toBe(502)
      }
    }
    expect(await hits(target)).toBe(0)
  })

  it('refuses a body over the cap, declared or streamed, and stops reading it', async () => {
    const declared = await script({
      path: uniquePath('big'),
      headers: { 'content-type': 'application/json' },
      bodyBytes: 2048,
    })
    await refusal(fetchJson(declared, { allowLoopback: true, maxBytes: 1024 }), 'too_large')
    const streamed = await script({
      path: uniquePath('big-chunked'),
      headers: { 'content-type': 'application/json' },
      bodyBytes: 5 * 1024 * 1024,
      chunked: true,
    })
    const err = await refusal(fetchJson(streamed, { allowLoopback: true }), 'too_large')
    expect(err.status).toBe(502)
    // Exactly the cap is fine.
    const exact = await script({
      path: uniquePath('exact'),
      headers: { 'content-type': 'text/plain' },
      bodyBytes: 1024,
      chunked: true,
    })
    const res = await fetchOutbound(exact, { allowLoopback: true, maxBytes: 1024 })
    expect(res.body.byteLength).toBe(1024)
  })

  it('gives up on a host that never answers, or never finishes its body', async () => {
    for (const hang of ['headers', 'body'] as const) {
      const url = await script({
        path: uniquePath(`slow-${hang}`),
        headers: { 'content-type': 'application/json' },
        hang,
      })
      const started = Date.now()
      const err = await refusal(fetchJson(url, { allowLoopback: true, timeoutMs: 150 }), 'timeout')
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(err.status).toBe(503)
    }
  })

  it('refuses an answer that is not JSON: another type, or a body that does not parse', async () => {
    const html = await script({
      path: uniquePath('html'),
      headers: { 'content-type': 'text/html' },
      body: '{"looks":"like json"}',
    })
    await refusal(fetchJson(html, { allowLoopback: true }), 'not_json')
    const none = await script({ path: uniquePath('untyped'), body: '{}' })
    await refusal(fetchJson(none, { allowLoopback: true }), 'not_json')
    const broken = await script({
      path: uniquePath('broken'),
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    })
    await refusal(fetchJson(broken, { allowLoopback: true }), 'not_json')
  })

  it('refuses an error status unless the caller accepts it; 5xx means try later', async () => {
    const denied = await script(json(uniquePath('400'), { error: 'invalid_grant' }, 400))
    const err = await refusal(fetchJson(denied, { allowLoopback: true }), 'http_status')
    expect(err).toMatchObject({ upstreamStatus: 400, status: 502 })
    const accepted = await fetchJson(denied, { allowLoopback: true, acceptStatus: [400] })
    expect(accepted).toMatchObject({ status: 400, json: { error: 'invalid_grant' } })
    const down = await script(json(uniquePath('503'), {}, 503))
    const downErr = await refusal(fetchJson(down, { allowLoopback: true }), 'http_status')
    expect(downErr.status).toBe(503)
  })

  it('posts a form to a token endpoint, never following where it points', async () => {
    const path = uniquePath('token')
    const url = await script(json(path, { access_token: 'at' }))
    const res = await fetchJson(url, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code' }),
      allowLoopback: true,
    })
    expect(res.json).toEqual({ access_token: 'at' })
    expect(await hits(path)).toBe(1)
  })
})

describe('fetchOutbound with a fetch double', () => {
  it('asks for manual redirects under a time signal, and sends no body on a GET', async () => {
    const fetcher = vi.fn<typeof fetch>(async () => new Response('{}', { status: 200 }))
    await fetchOutbound('https://idp.example.com/x', { fetcher })
    const init = fetcher.mock.calls[0]![1]!
    expect(init.redirect).toBe('manual')
    expect(init.signal).toBeInstanceOf(AbortSignal)
    expect(init.body).toBeUndefined()
  })

  it('maps a connection failure to network (503), naming the target without its query', async () => {
    // A double rather than a closed port: no port is closed on every machine, and workerd logs
    // a refused connection as an uncaught error even when the caller handles it.
    const fetcher = vi.fn<typeof fetch>(async () => {
      throw new TypeError('Network connection lost.')
    })
    const err = await refusal(
      fetchOutbound('https://idp.example.com/x?code=secret-code', { fetcher }),
      'network',
    )
    expect(err.status).toBe(503)
    expect(err.target).toBe('https://idp.example.com/x')
    expect(err.message).not.toContain('secret-code')
  })
})
