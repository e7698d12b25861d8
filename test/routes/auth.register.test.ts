import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { PASSWORD, expectProblem, sendJson, uniqueUsername } from '../helpers'

const countUsers = async () =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM users').first<{ n: number }>())!.n

describe('POST /register', () => {
  it('creates a user and returns only its public record', async () => {
    const username = uniqueUsername('New')
    const res = await sendJson('POST', '/register', { username, password: PASSWORD })
    expect(res.status).toBe(201)
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'username'])
    expect(body).toMatchObject({ username })
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(new Date(body.createdAt as string).toISOString()).toBe(body.createdAt)
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE id = ?')
      .bind(body.id)
      .first<{ password_hash: string }>()
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/)
    expect(row!.password_hash).not.toContain(PASSWORD)
  })

  it('answers 409 username_taken for a duplicate, whatever its case or width', async () => {
    const username = uniqueUsername('dup')
    expect((await sendJson('POST', '/register', { username, password: PASSWORD })).status).toBe(201)
    const before = await countUsers()
    const fullWidth = [...username]
      .map((ch) => (/[a-z0-9]/i.test(ch) ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch))
      .join('')
    for (const variant of [username, username.toUpperCase(), fullWidth]) {
      const res = await sendJson('POST', '/register', {
        username: variant,
        password: 'another password',
      })
      await expectProblem(res, 409, 'username_taken')
    }
    expect(await countUsers()).toBe(before)
  })

  it('stores a look-alike username in its normalised form', async () => {
    const res = await sendJson('POST', '/register', {
      username: 'ｗｉｄｅ' + uniqueUsername('').slice(1, 20),
      password: PASSWORD,
    })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { username: string }).username).toMatch(/^wide/)
  })

  it.each([
    ['no username', { password: PASSWORD }, 'username'],
    ['no password', { username: 'someone' }, 'password'],
    ['a 2-character username', { username: 'ab', password: PASSWORD }, 'username'],
    ['a 33-character username', { username: 'a'.repeat(33), password: PASSWORD }, 'username'],
    ['a username with a space', { username: 'bad name', password: PASSWORD }, 'username'],
    ['a username with a slash', { username: 'bad/name', password: PASSWORD }, 'username'],
    ['a number as username', { username: 12345, password: PASSWORD }, 'username'],
    ['a 7-character password', { username: 'someone', password: 'seven77' }, 'password'],
    ['a 129-character password', { username: 'someone', password: 'p'.repeat(129) }, 'password'],
    ['a 10 KiB password', { username: 'someone', password: 'p'.repeat(10_240) }, 'password'],
    ['a number as password', { username: 'someone', password: 123456789 }, 'password'],
    ['an unknown key', { username: 'someone', password: PASSWORD, admin: true }, '(body)'],
    [
      'a __proto__ key',
      JSON.parse(`{"username":"someone","password":"${PASSWORD}","__proto__":{"admin":true}}`),
      '(body)',
    ],
    ['an array', [PASSWORD], '(body)'],
    ['null', null, '(body)'],
    ['an empty object', {}, 'username'],
  ])('answers 400 validation_failed for %s, echoing no value', async (_name, body, field) => {
    const before = await countUsers()
    const res = await sendJson('POST', '/register', body)
    const problem = await expectProblem(res, 400, 'validation_failed')
    const errors = problem.errors as { field: string; message: string }[]
    expect(errors.map((e) => e.field)).toContain(field)
    const text = JSON.stringify(problem)
    expect(text).not.toContain(PASSWORD)
    expect(text).not.toContain('seven77')
    expect(await countUsers()).toBe(before)
  })

  it('refuses a password with a lone surrogate, which would hash like any other', async () => {
    // Both would encode as eight U+FFFD and so be one password.
    for (const password of ['\ud800'.repeat(8), '\udfff'.repeat(8), `ok password ${'\ud83d'}`]) {
      const res = await sendJson('POST', '/register', { username: uniqueUsername(), password })
      const body = await expectProblem(res, 400, 'validation_failed')
      expect(body.errors).toEqual([{ field: 'password', message: 'must be valid Unicode text' }])
    }
    // A whole emoji (a surrogate pair) is fine.
    const emoji = await sendJson('POST', '/register', {
      username: uniqueUsername(),
      password: 'correct horse 🐴 staple',
    })
    expect(emoji.status).toBe(201)
  })

  it('accepts the boundary lengths', async () => {
    const password = 'p'.repeat(128)
    const username = uniqueUsername('b').padEnd(32, 'x')
    expect((await sendJson('POST', '/register', { username, password })).status).toBe(201)
    expect(
      (await sendJson('POST', '/register', { username: uniqueUsername('c'), password: '8 chars!' }))
        .status,
    ).toBe(201)
  })
})
