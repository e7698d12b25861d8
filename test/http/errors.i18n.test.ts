/// <reference types="vite/client" />
// Problem details in the language Accept-Language asks for: the words an end user may be shown,
// never the codes, and never the challenge header (ASCII, parsed by clients).
import { beforeAll, describe, expect, it } from 'vitest'
import { messagesFor } from '../../src/i18n/catalogs'
import { PASSWORD, call, jsonInit, registerUser, uniqueUsername, installCatalogs } from '../helpers'

// Views and mails rendered here directly: their languages' words come from the assets.
beforeAll(installCatalogs)

type Problem = { code: string; detail: string; errors?: { field: string; message: string }[] }

const login = (headers: Record<string, string>) =>
  call(
    '/login',
    jsonInit('POST', { username: uniqueUsername(), password: 'wrong password!' }, headers),
  )

describe('problem details, translated', () => {
  it('in French: the detail, Content-Language and Vary; the code and the challenge unchanged', async () => {
    const res = await login({ 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.8' })
    expect(res.status).toBe(401)
    const body = (await res.json()) as Problem
    expect(body.code).toBe('invalid_credentials')
    expect(body.detail).toBe('Le nom d’utilisateur ou le mot de passe est incorrect')
    expect(res.headers.get('content-language')).toBe('fr')
    expect(res.headers.get('vary')).toMatch(/Accept-Language/)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="edge-auth"')
  })

  it('in Spanish: a taken username', async () => {
    const { username } = await registerUser()
    const res = await call(
      '/register',
      jsonInit('POST', { username, password: PASSWORD }, { 'Accept-Language': 'es' }),
    )
    expect(res.status).toBe(409)
    const body = (await res.json()) as Problem
    expect(body.code).toBe('username_taken')
    expect(body.detail).toBe('Ese nombre de usuario ya está registrado')
    expect(res.headers.get('content-language')).toBe('es')
  })

  it('in English when asked for nothing, another language, or a refused one: today’s words', async () => {
    const asked: Record<string, string>[] = [
      {},
      { 'Accept-Language': 'de' },
      { 'Accept-Language': 'fr;q=0, *' },
    ]
    for (const headers of asked) {
      const res = await login(headers)
      const body = (await res.json()) as Problem
      expect(body.detail).toBe('The username or password is incorrect')
      expect(res.headers.get('content-language')).toBe('en')
      expect(res.headers.get('vary')).toMatch(/Accept-Language/)
    }
  })

  it('translates the validation messages of the fields, not their names', async () => {
    const res = await call(
      '/register',
      jsonInit('POST', { username: 'a', password: 'short' }, { 'Accept-Language': 'fr' }),
    )
    const body = (await res.json()) as Problem
    expect(body.code).toBe('validation_failed')
    expect(body.detail).toBe('Le corps de la requête est invalide')
    expect(body.errors).toEqual(
      expect.arrayContaining([
        {
          field: 'username',
          message: 'doit faire de 3 à 32 caractères : lettres, chiffres, _ . -',
        },
        { field: 'password', message: 'doit faire de 8 à 128 caractères' },
      ]),
    )
  })

  it('leaves a detail the catalog does not hold as thrown, with no Content-Language', async () => {
    const res = await call('/no-such-route', { headers: { 'Accept-Language': 'fr' } })
    const body = (await res.json()) as Problem
    expect(body.detail).toBe('There is no such route')
    expect(res.headers.get('content-language')).toBeNull()
  })

  it('keeps OAuth error descriptions in English, as OAuth clients expect', async () => {
    const res = await call('/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'fr' },
      body: 'grant_type=password',
    })
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error_description).not.toMatch(/[éèà’]/)
  })

  it('shrugs off a hostile Accept-Language: huge, malformed, or naming no catalog', async () => {
    for (const header of [
      'x'.repeat(20000),
      'fr;q=abc',
      '__proto__',
      'constructor, toString',
      ',,;;',
    ]) {
      const res = await login({ 'Accept-Language': header })
      expect(res.status).toBe(401)
      expect(((await res.json()) as Problem).detail).toBe('The username or password is incorrect')
    }
  })
})

describe('the problems catalog', () => {
  // The services' sources: each English detail must still be thrown somewhere, word for word, or
  // its translation would silently never be used.
  const SOURCES = Object.entries(
    import.meta.glob<string>('../../src/**/*.ts', {
      query: '?raw',
      import: 'default',
      eager: true,
    }),
  )
    .filter(([path]) => !path.includes('/i18n/'))
    .map(([, text]) => text)
    .join('\n')

  it('holds only details the code throws today, and every language translates each', () => {
    const en = messagesFor('en').problems.details
    for (const [key, text] of Object.entries(en)) {
      const thrown =
        SOURCES.includes(`'${text}'`) ||
        // validation_failed's detail is built from the part: body, query or param.
        /^The request (body|query|param) is invalid$/.test(text)
      expect(thrown, key).toBe(true)
      for (const lang of ['fr', 'es'] as const) {
        const other = messagesFor(lang).problems.details[key as keyof typeof en]
        expect(other, `${lang}.${key}`).not.toBe(text)
      }
    }
  })

  it('holds only field messages the schemas use', () => {
    const fields = messagesFor('en').problems.fields
    for (const [key, text] of Object.entries(fields)) {
      if (typeof text !== 'string') continue
      expect(SOURCES.includes(`'${text}'`) || SOURCES.includes(text), key).toBe(true)
    }
  })
})
