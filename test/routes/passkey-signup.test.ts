// Signing up with a passkey and no password: options naming a new account, then the account and
// its passkey made together and signed in; the account later signs in with the passkey alone,
// confirms changes with a recent sign-in, and keeps its last way in.
import { describe, expect, it } from 'vitest'
import { softAuthenticator } from '../doubles/authenticator'
import {
  ORIGIN,
  PASSWORD,
  bearer,
  call,
  expectProblem,
  registerUser,
  sendJson,
  uniqueUsername,
} from '../helpers'

type CreationOptions = {
  challenge: string
  rp: { id?: string }
  user: { id: string; name: string }
}

const options = async (username: string) => {
  const res = await sendJson('POST', '/register/passkey/options', { username })
  expect(res.status).toBe(200)
  return (await res.json()) as CreationOptions
}
const claimsOf = (accessToken: string) =>
  JSON.parse(atob(accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
    sub: string
    username: string
    amr: string[]
  }

/** A new account made by signing up with a passkey: its tokens and the authenticator. */
async function signUpWithPasskey(synced = true, headers: Record<string, string> = {}) {
  const username = uniqueUsername('pksu')
  const authenticator = await softAuthenticator({ origin: ORIGIN, synced })
  const credential = await authenticator.create(await options(username))
  const res = await sendJson('POST', '/register/passkey', { credential, name: 'Phone' }, headers)
  expect(res.status).toBe(200)
  const tokens = (await res.json()) as { accessToken: string; refreshToken: string }
  return { username, authenticator, tokens, credential }
}

describe('signing up with a passkey', () => {
  it('makes a password-less account with the passkey, signed in, amr swk', async () => {
    const { username, tokens, authenticator } = await signUpWithPasskey()
    expect(claimsOf(tokens.accessToken)).toMatchObject({ username, amr: ['swk'] })
    // Later, the passkey alone signs it in.
    const signInOptions = await (await sendJson('POST', '/login/passkey/options', '')).json()
    const assertion = await authenticator.get(signInOptions as never)
    const again = await sendJson('POST', '/login/passkey', { credential: assertion })
    expect(again.status).toBe(200)
    // No password works for it.
    const login = await sendJson('POST', '/login', { username, password: PASSWORD })
    expect(login.status).toBe(401)
  })

  it('keeps the sign-up request’s language for the account’s email', async () => {
    const { tokens } = await signUpWithPasskey(true, { 'Accept-Language': 'es-ES, en;q=0.5' })
    const res = await call('/users/me/language', bearer(tokens.accessToken))
    expect(await res.json()).toEqual({ language: 'es' })
  })

  it('refuses a taken username before the passkey is made, and at the end if taken meanwhile', async () => {
    const { username } = await registerUser()
    await expectProblem(
      await sendJson('POST', '/register/passkey/options', { username }),
      409,
      'username_taken',
    )
    const late = uniqueUsername('pksu')
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const credential = await authenticator.create(await options(late))
    await registerUser(late)
    await expectProblem(
      await sendJson('POST', '/register/passkey', { credential }),
      409,
      'username_taken',
    )
  })

  it('uses each challenge once: a replayed response makes no second account', async () => {
    const { credential } = await signUpWithPasskey()
    await expectProblem(
      await sendJson('POST', '/register/passkey', { credential }),
      400,
      'passkey_registration_failed',
    )
  })

  it("refuses a challenge of another ceremony (a signed-in user's registration options)", async () => {
    const { tokens } = await signUpWithPasskey()
    const foreign = await sendJson(
      'POST',
      '/users/me/passkeys/options',
      {},
      bearer(tokens.accessToken).headers,
    )
    expect(foreign.status).toBe(200)
    const authenticator = await softAuthenticator({ origin: ORIGIN })
    const credential = await authenticator.create((await foreign.json()) as CreationOptions)
    await expectProblem(
      await sendJson('POST', '/register/passkey', { credential }),
      400,
      'passkey_registration_failed',
    )
  })

  it('refuses a response from another origin', async () => {
    const username = uniqueUsername('pksu')
    const authenticator = await softAuthenticator({ origin: 'https://evil.example' })
    const credential = await authenticator.create(await options(username))
    await expectProblem(
      await sendJson('POST', '/register/passkey', { credential }),
      400,
      'passkey_registration_failed',
    )
    // Nothing was made: the name is still free.
    expect((await sendJson('POST', '/register/passkey/options', { username })).status).toBe(200)
  })

  it('keeps the last passkey of an account with no other way in', async () => {
    const { tokens } = await signUpWithPasskey()
    const list = await call('/users/me/passkeys', bearer(tokens.accessToken))
    const [passkey] = (await list.json()) as { id: string }[]
    await expectProblem(
      await call(`/users/me/passkeys/${passkey!.id}`, {
        method: 'DELETE',
        ...bearer(tokens.accessToken),
      }),
      409,
      'last_sign_in_method',
    )
  })

  it('sets a password within 10 minutes of signing up, with no current one', async () => {
    const { username, tokens } = await signUpWithPasskey(false)
    const set = await sendJson(
      'POST',
      '/users/me/password',
      { newPassword: PASSWORD },
      bearer(tokens.accessToken).headers,
    )
    expect(set.status).toBe(204)
    expect((await sendJson('POST', '/login', { username, password: PASSWORD })).status).toBe(200)
  })
})
