// The floor: a minimal Hono worker doing each measured job with nothing else, so this service's
// CPU per request can be read as a ratio to the least that job can cost on the same workerd.
//   GET  /health  routing and a JSON answer
//   GET  /users   one hono/jwt ES256 verification, a small JSON answer
//   POST /token   a rotation's irreducible work: three HMACs (successor, its id, the token's
//                 id), four KV reads side by side, one KV write, one ES256 signature
//   POST /login   one PBKDF2-SHA256 at the service's iteration count
// With FLOOR_HEADERS=on (the export below) it also answers with this service's eleven security
// headers and a request id, so the report can tell what those cost on the wire from what our
// middleware and routing cost.
import { Hono } from 'hono'
import { sign, verify } from 'hono/jwt'
import { SECURITY_HEADERS } from '../../src/http/security-headers.ts'

const te = new TextEncoder()
const b64url = (buf) =>
  btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

let keys = null
async function keysOf(env) {
  keys ??= (async () => {
    const jwk = JSON.parse(env.JWT_PRIVATE_KEYS).keys[0]
    const { d: _d, ...publicJwk } = jwk
    const hmac = await crypto.subtle.importKey(
      'raw',
      te.encode(env.REFRESH_TOKEN_SECRET),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    return { privateJwk: jwk, publicJwk, hmac }
  })()
  return keys
}

const app = new Hono()

app.get('/health', (c) => c.json({ status: 'ok' }))

app.get('/users', async (c) => {
  const { publicJwk } = await keysOf(c.env)
  const token = (c.req.header('authorization') ?? '').replace(/^Bearer /, '')
  try {
    const claims = await verify(token, publicJwk, 'ES256')
    return c.json([{ id: claims.sub, username: claims.username }])
  } catch {
    return c.json({ error: 'invalid_token' }, 401)
  }
})

app.post('/token', async (c) => {
  const { privateJwk, hmac } = await keysOf(c.env)
  const { token } = await c.req.json()
  const mac = async (text) => b64url(await crypto.subtle.sign('HMAC', hmac, te.encode(text)))
  const successor = await mac(`next:${token}`)
  const [id, nextId] = await Promise.all([mac(`id:${token}`), mac(`id:${successor}`)])
  const kv = c.env.KV
  await Promise.all([
    kv.get(`refresh:${id}`),
    kv.get(`refresh:${nextId}`),
    kv.get('session:floor'),
    kv.get('revoked-before:floor'),
  ])
  await kv.put(`refresh:${nextId}`, '{}', { expirationTtl: 3600 })
  const now = Math.floor(Date.now() / 1000)
  const accessToken = await sign({ sub: 'floor', iat: now, exp: now + 20 }, privateJwk, 'ES256')
  return c.json({ accessToken, refreshToken: successor })
})

app.post('/login', async (c) => {
  const { password } = await c.req.json()
  const key = await crypto.subtle.importKey('raw', te.encode(password), 'PBKDF2', false, [
    'deriveBits',
  ])
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const iterations = Number(c.env.PBKDF2_ITERATIONS)
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)
  return c.json({ ok: true })
})

async function withHeaders(request, env, ctx) {
  const res = await app.fetch(request, env, ctx)
  for (const [name, value] of SECURITY_HEADERS) res.headers.set(name, value)
  res.headers.set('X-Request-Id', crypto.randomUUID())
  return res
}

// The plain floor is Hono's fetch as it is (no frame of ours around it).
export default {
  fetch: (request, env, ctx) =>
    env.FLOOR_HEADERS === 'on' ? withHeaders(request, env, ctx) : app.fetch(request, env, ctx),
}
