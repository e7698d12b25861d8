// The authorization-code store on the real D1: the spend (one conditional write that also marks a
// replay) with the code's user and signer read in the same batch, and the exchange's closing
// batch (the session listed beside the grant, replay and signer checks). Each is one D1 request.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { type CodeGrant, authorizationCodeStore } from '../../src/store/authorization-codes'
import { grantStore } from '../../src/store/oauth-grants'
import { sessionIndex } from '../../src/store/session-index'
import { userStore } from '../../src/store/users'
import { registerUser } from '../helpers'
import { sessionEntry } from './session-entries'

const codes = authorizationCodeStore(env.DB)
const index = sessionIndex(env.DB)

/** A user signed in (its own session listed), its grant to an app, and an unspent code. */
async function issued(overrides: Partial<CodeGrant> = {}) {
  const { user } = await registerUser()
  const signer = sessionEntry(user.id)
  expect(await index.add(signer)).toBe(true)
  const clientId = crypto.randomUUID()
  const grant = await grantStore(env.DB).consent(
    user.id,
    { id: clientId, name: 'App' },
    'https://api.example',
    ['read'],
    Date.now(),
  )
  const code: CodeGrant = {
    clientId,
    userId: user.id,
    grantId: grant.id,
    sessionId: crypto.randomUUID(),
    signerSessionId: signer.id,
    redirectUri: 'https://app.example/callback',
    redirectUriSent: true,
    codeChallenge: 'challenge',
    resource: 'https://api.example',
    scope: 'read',
    authTime: Date.now(),
    amr: ['pwd'],
    idp: null,
    nonce: null,
    expiresAt: Date.now() + 60_000,
    ...overrides,
  }
  const id = crypto.randomUUID()
  await codes.issue(id, code, Date.now())
  return { user, signer, grant, code, id }
}

/** The code's row as D1 holds it. */
const row = (id: string) =>
  env.DB.prepare('SELECT used_at, replayed_at FROM authorization_codes WHERE id = ?')
    .bind(id)
    .first<{ used_at: number | null; replayed_at: number | null }>()

/** The store on a D1 that counts its requests (a query or a batch) and their statements. */
function counted() {
  const requests: number[] = []
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          requests.push(statements.length)
          return target.batch(statements)
        }
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  })
  return { store: authorizationCodeStore(db), requests }
}

describe('spending an authorization code', () => {
  it('spends it once, with its user and whether its signer is listed, in one batch', async () => {
    const { user, code, id } = await issued()
    const { store, requests } = counted()
    const spend = await store.spend(id, 1_000)
    expect(requests).toEqual([3]) // the spend, the user, the signer: one request
    if (!('spent' in spend)) throw new Error('not spent')
    expect(spend.spent).toEqual(code)
    expect(spend.user?.id).toBe(user.id)
    expect(spend.user?.disabledAt).toBeNull()
    expect(spend.signerListed).toBe(true)
    expect(await row(id)).toEqual({ used_at: 1_000, replayed_at: null })
  })

  it('a second spend is a replay: marked once, the first spend kept, the grant returned', async () => {
    const { code, id } = await issued()
    await codes.spend(id, 1_000)
    expect(await codes.spend(id, 2_000)).toEqual({ replayed: code })
    expect(await row(id)).toEqual({ used_at: 1_000, replayed_at: 2_000 })
    // Later replays keep the first mark, and never read as a spend.
    expect(await codes.spend(id, 3_000)).toEqual({ replayed: code })
    expect(await row(id)).toEqual({ used_at: 1_000, replayed_at: 2_000 })
  })

  it('two spends at once: exactly one spends it, the other is the replay', async () => {
    const { id } = await issued()
    const results = await Promise.all([codes.spend(id, 1_000), codes.spend(id, 1_000)])
    expect(results.filter((r) => 'spent' in r)).toHaveLength(1)
    expect(results.filter((r) => 'replayed' in r)).toHaveLength(1)
  })

  it('an unknown code is nothing, and writes nothing', async () => {
    const id = crypto.randomUUID()
    expect(await codes.spend(id, 1_000)).toEqual({ unknown: true })
    expect(await row(id)).toBeNull()
  })

  it('reads the signer as unlisted once it ended, or when the code names none', async () => {
    const ended = await issued()
    expect(await index.remove(ended.user.id, ended.signer.id)).toBe(true)
    const spend = await codes.spend(ended.id, 1_000)
    expect('spent' in spend && spend.signerListed).toBe(false)
    const none = await issued({ signerSessionId: null })
    const unsigned = await codes.spend(none.id, 1_000)
    expect('spent' in unsigned && unsigned.signerListed).toBe(false)
  })

  it("another user's session is not the code's signer", async () => {
    const other = await registerUser()
    const theirs = sessionEntry(other.user.id)
    expect(await index.add(theirs)).toBe(true)
    const { id } = await issued({ signerSessionId: theirs.id })
    const spend = await codes.spend(id, 1_000)
    expect('spent' in spend && spend.signerListed).toBe(false)
  })

  it('reads a disabled user as disabled', async () => {
    const { user, id } = await issued()
    expect(await userStore(env.DB).setDisabled(user.id, 5)).toBe(true)
    const spend = await codes.spend(id, 1_000)
    expect('spent' in spend && spend.user?.disabledAt).toBe(5)
  })
})

describe('settling a code exchange: its session listed, and the closing checks', () => {
  const settleReady = async () => {
    const ready = await issued()
    await codes.spend(ready.id, 1_000)
    const session = sessionEntry(ready.user.id, {
      id: ready.code.sessionId,
      grantId: ready.grant.id,
    })
    return { ...ready, session }
  }

  it('lists the session and finds nothing against it, in one batch', async () => {
    const { user, grant, id, session } = await settleReady()
    const { store, requests } = counted()
    const at = Date.now() + 86_400_000
    expect(await store.settle(id, grant.id, at, session)).toEqual({
      listed: true,
      grantLives: true,
      replayed: false,
      signerListed: true,
    })
    expect(requests).toEqual([4])
    expect(await index.grantSessions(user.id, grant.id)).toEqual([session.id])
    // The grant's last use is the exchange's.
    const touched = await env.DB.prepare('SELECT last_used_at FROM oauth_grants WHERE id = ?')
      .bind(grant.id)
      .first<{ last_used_at: number }>()
    expect(touched?.last_used_at).toBe(at)
  })

  it('sees a replay that came after the spend', async () => {
    const { grant, id, session } = await settleReady()
    await codes.spend(id, 2_000)
    expect((await codes.settle(id, grant.id, 9_000, session)).replayed).toBe(true)
  })

  it('sees the grant removed', async () => {
    const { user, grant, id, session } = await settleReady()
    expect(await grantStore(env.DB).remove(user.id, grant.id)).toBe(true)
    expect((await codes.settle(id, grant.id, 9_000, session)).grantLives).toBe(false)
  })

  it('sees the signer ended', async () => {
    const { user, signer, grant, id, session } = await settleReady()
    await index.revokeAll(user.id, Date.now())
    expect(await index.has(user.id, signer.id)).toBe(false)
    expect((await codes.settle(id, grant.id, 9_000, session)).signerListed).toBe(false)
  })

  it('does not list the session of a disabled user', async () => {
    const { user, grant, id, session } = await settleReady()
    expect(await userStore(env.DB).setDisabled(user.id, 5)).toBe(true)
    expect((await codes.settle(id, grant.id, 9_000, session)).listed).toBe(false)
    expect(await index.grantSessions(user.id, grant.id)).toEqual([])
  })
})
