// A sign-up at another provider stores the callback request's language as the account's (its
// email's language from then on); a later sign-in in another language does not change it.
import { env as worker } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  STATE_COOKIE,
  begin,
  callback,
  providerEnv,
  sessionOf,
  setCookie,
} from '../federation/flow'
import { signInAtProvider } from '../federation/openid-provider'
import { REFRESH_COOKIE } from '../helpers'
import { LANGUAGE_COOKIE } from '../../src/i18n/languages'

const env = providerEnv({ local: {} })
const person = () => ({
  sub: `lang-${crypto.randomUUID()}`,
  email: `lang-${crypto.randomUUID().slice(0, 8)}@example.org`,
  email_verified: true,
  name: 'Ada Lovelace',
  preferred_username: `ada${crypto.randomUUID().slice(0, 6)}`,
})

async function signInWithLanguage(account: ReturnType<typeof person>, lang: string) {
  const { authorizeUrl, state } = await begin(env)
  const back = await signInAtProvider(authorizeUrl, account)
  const res = await callback(env, back, { [STATE_COOKIE('local')]: state, [LANGUAGE_COOKIE]: lang })
  expect(res.status).toBe(303)
  return (await sessionOf(env, setCookie(res, REFRESH_COOKIE)!)).claims.sub
}

const languageOf = async (id: string) =>
  (
    await worker.DB.prepare('SELECT language FROM users WHERE id = ?')
      .bind(id)
      .first<{ language: string | null }>()
  )?.language

describe('a sign-up at another provider', () => {
  it('stores the callback request’s language, and a later sign-in in another keeps it', async () => {
    const ada = person()
    const id = await signInWithLanguage(ada, 'es')
    expect(await languageOf(id)).toBe('es')
    expect(await signInWithLanguage(ada, 'fr')).toBe(id)
    expect(await languageOf(id)).toBe('es')
  })

  it('ignores a cookie naming no language of ours', async () => {
    const id = await signInWithLanguage(person(), 'de')
    expect(await languageOf(id)).toBe('en')
  })
})
