// The callers of /admin routes, made for tests: API keys written as the admin script writes them,
// and admin users signed in with a password and a TOTP code (a fresh, two-factor sign-in).
import { decodeBase32 } from '@oslojs/encoding'
import { generateHOTP } from '@oslojs/otp'
import { decodeJwt } from 'jose'
import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { formatScopes, mintApiKey } from '../../src/auth/api-keys'
import { totpStep } from '../../src/auth/totp'
import type { AdminScope } from '../../src/env'
import { apiKeyStore } from '../../src/store/api-keys'
import {
  PASSWORD,
  bearer,
  expectProblem,
  sendJson,
  signAsServer,
  signedIn,
  uniqueUsername,
} from '../helpers'
import type { TokenPair } from '../../src/schemas'

/** A new key holding `scopes`: its id and the whole key (shown once, as the script prints it). */
export async function createKey(scopes: AdminScope[], name = uniqueUsername('key')) {
  const { id, key, secretHash } = await mintApiKey()
  await apiKeyStore(env.DB).add({
    id,
    name,
    secretHash,
    scopes: formatScopes(scopes),
    createdAt: Date.now(),
    createdBy: 'system',
  })
  return { id, key }
}

export const revokeKey = (id: string) => apiKeyStore(env.DB).revoke(id, Date.now())

export const setRole = (userId: string, role: 'admin' | null) =>
  env.DB.prepare('UPDATE users SET role = ? WHERE id = ?').bind(role, userId).run()

const codeFor = (secret: string, steps = 0) =>
  generateHOTP(decodeBase32(secret), BigInt(totpStep(Date.now()) + steps), 6)

/** A user with TOTP on, signed in again with password and code: amr ["pwd", "otp"]. */
export async function totpSignedIn(prefix = 'admin') {
  const account = await signedIn(prefix)
  const auth = bearer(account.tokens.accessToken).headers
  const enrol = await sendJson('POST', '/users/me/totp', { password: PASSWORD }, auth)
  const { secret } = (await enrol.json()) as { secret: string }
  const confirm = await sendJson('POST', '/users/me/totp/verify', { code: codeFor(secret) }, auth)
  expect(confirm.status).toBe(200)
  const first = await sendJson('POST', '/login', {
    username: account.username,
    password: PASSWORD,
  })
  const { mfaToken } = (await expectProblem(first, 401, 'mfa_required')) as { mfaToken: string }
  // The confirming code's step is spent: sign-in takes the next one.
  const second = await sendJson('POST', '/login/mfa', { mfaToken, code: codeFor(secret, 1) })
  expect(second.status).toBe(200)
  const tokens = (await second.json()) as TokenPair
  expect(decodeJwt(tokens.accessToken).amr).toEqual(['pwd', 'otp'])
  return { ...account, tokens }
}

/** An admin user with a fresh two-factor sign-in. */
export async function freshAdmin() {
  const account = await totpSignedIn()
  await setRole(account.user.id, 'admin')
  return account
}

/** The same session's access token, as the worker signs it, with other sign-in methods. */
export const withAmr = (accessToken: string, amr: string[]) =>
  signAsServer({ ...decodeJwt(accessToken), amr })
