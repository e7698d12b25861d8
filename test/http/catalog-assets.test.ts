// Reading a language's catalog from the static assets. In its own runtime (vitest.config.ts): it
// starts with French not installed, which the other files' pages would have installed.
import { env } from 'cloudflare:workers'
import wranglerToml from '../../wrangler.toml?raw'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/env'
import { ApiError } from '../../src/errors'
import { loadLanguage } from '../../src/http/catalog-assets'
import { onError } from '../../src/http/errors'
import { isInstalled, messagesFor } from '../../src/i18n/catalogs'
import { en } from '../../src/i18n/en'
import { PASSWORD, call, callWithEnv, captureLogs, uniqueUsername } from '../helpers'
import { formInit } from '../pages/forms'

const answering = (res: () => Response) => ({ fetch: async () => res() }) as unknown as Fetcher

/** An app whose one route throws a problem the catalogs translate, with `assets` as ASSETS. */
const problemApp = (assets: Fetcher) => {
  const app = new Hono<AppEnv>().onError(onError)
  app.get('/x', () => {
    throw new ApiError('invalid_credentials', 'The username or password is incorrect')
  })
  return (lang: string) =>
    app.request('/x', { headers: { 'Accept-Language': lang } }, { ...env, ASSETS: assets })
}

describe('a catalog the assets cannot give', () => {
  // First in this file: Spanish is not installed yet.
  it('still stores the language a sign-up asked for, not the English it was worded in', async () => {
    captureLogs()
    const username = uniqueUsername('es')
    const broken = answering(() => new Response('missing', { status: 404 }))
    const res = await callWithEnv(
      { ASSETS: broken },
      '/signup',
      formInit({ username, password: PASSWORD }, { 'Accept-Language': 'es' }),
    )
    expect(res.status).toBe(303)
    expect(isInstalled('es')).toBe(false)
    const row = await env.DB.prepare('SELECT language FROM users WHERE username = ?')
      .bind(username)
      .first<{ language: string | null }>()
    expect(row?.language).toBe('es')
  })

  it('leaves the words English, logs why, and is read again by the next request', async () => {
    const lines = captureLogs()
    const request = problemApp(answering(() => new Response('missing', { status: 404 })))
    const first = await request('fr')
    expect(first.status).toBe(401)
    expect(((await first.json()) as { detail: string }).detail).toBe(
      'The username or password is incorrect',
    )
    expect(first.headers.get('Content-Language')).toBe('en')
    expect(isInstalled('fr')).toBe(false)
    expect(messagesFor('fr')).toBe(en)
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(logged).toContainEqual(
      expect.objectContaining({ event: 'catalog_unavailable', lang: 'fr', error: 'status 404' }),
    )
    // The English words were not remembered as French: once the file is there, French it is.
    const second = await problemApp(env.ASSETS)('fr')
    expect(second.headers.get('Content-Language')).toBe('fr')
    expect(((await second.json()) as { detail: string }).detail).toBe(
      'Le nom d’utilisateur ou le mot de passe est incorrect',
    )
  })

  it('refuses a file that is not a whole catalog, installing nothing', async () => {
    const lines = captureLogs()
    await loadLanguage(
      answering(() => Response.json({ common: { languages: 'Idiomas' } })),
      'es',
    )
    expect(isInstalled('es')).toBe(false)
    expect(lines.join('\n')).toContain('"event":"catalog_unavailable"')
    await loadLanguage(env.ASSETS, 'es')
    expect(isInstalled('es')).toBe(true)
    expect(messagesFor('es').signin.signInTitle).toBe('Iniciar sesión')
  })
})

describe('the catalogs among the static assets', () => {
  it('are claimed by the worker (wrangler.toml), which has no route for them', async () => {
    const section = wranglerToml.match(/^\[assets\]\n([\s\S]*?)(?=^\[)/m)?.[1] ?? ''
    expect(section).toMatch(/^run_worker_first = \[.*"\/_catalogs\/\*"/m)
    for (const lang of ['fr', 'es', 'en']) {
      const res = await call(`/_catalogs/${lang}.json`)
      expect(res.status).toBe(404)
      expect(res.headers.get('Content-Type')).toContain('application/problem+json')
    }
  })
})
