// How many storage round trips the token endpoint waits on for a third-party app, counted on the
// real bindings with every call held until its whole round is let go (test/doubles/round-trips.ts).
// The code exchange authenticates the client, spends the code and reads its user in one D1 batch,
// writes the grant session's KV records, then lists the session and confirms that no replay or
// removal raced it in a second batch; a grant's refresh authenticates the client, then does what
// a first-party refresh does (one bulk read, one write).
// bench/results.md measures the same requests beside workers-oauth-provider's.
import { describe, expect, it } from 'vitest'
import { ORIGIN } from '../helpers'
import { roundTrips } from '../doubles/round-trips'
import { AS_ENV, REDIRECT_URI, RESOURCE, appAndUser, codeFor } from '../oauth-server/flow'

/** A raw token-endpoint form from an address of its own, so no test meets another's rate limit. */
const tokenForm = (fields: Record<string, string>) =>
  new Request(`${ORIGIN}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'cf-connecting-ip': `2001:db8::${crypto.randomUUID().slice(0, 8)}`,
    },
    body: new URLSearchParams(fields),
  })

/**
 * A held call, shortened to what it does to which record: `SELECT users`, `kv.put session`; a
 * D1 batch stays `d1 batch` (as in federation.round-trips.test.ts).
 */
const what = (call: string) =>
  call.startsWith('kv.')
    ? call.replace(/^kv\.(\w+) ([\w-]+):.*$/, 'kv.$1 $2')
    : call.replace(
        /^d1 (SELECT|INSERT|UPDATE|DELETE)\s+(?:[\s\S]*?\b(?:FROM|INTO)\s+)?(\w+)[\s\S]*$/i,
        '$1 $2',
      )
const shape = (rounds: string[][]) => rounds.map((round) => round.map(what))

/**
 * The client's lookup: its row and whether a grant holds it (a subquery on oauth_grants). The
 * double keeps 40 characters of SQL, so only the first table's prefix shows.
 */
const CLIENT = 'SELECT oauth_'

/** A public app, a signed-in user who allowed it, and the exchange form of a fresh code. */
async function freshCode() {
  const { client, session } = await appAndUser()
  const { code, verifier } = await codeFor(session.cookie, client.client_id)
  const exchange = () =>
    tokenForm({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      resource: RESOURCE,
      client_id: client.client_id,
    })
  return { clientId: client.client_id, exchange }
}

const refreshForm = (clientId: string, refreshToken: string) =>
  tokenForm({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId })

// Pinned so a change that adds a round is seen. The client lookup comes first in both, on its
// own round: it is what a grant refresh waits on beyond a first-party one.
describe('storage round trips of the token endpoint for a third-party app', () => {
  it('the code exchange: client, code with user and signer, the session’s records, then its listing with the checks', async () => {
    const { exchange } = await freshCode()
    const { response, rounds } = await roundTrips(AS_ENV).send(exchange())
    expect(response.status).toBe(200)
    const body = (await response.json()) as { refresh_token: string; access_token: string }
    expect(body.refresh_token).toMatch(/^app\./)
    // Four rounds and three D1 requests (the client’s query, then batches of three and four
    // statements), down from five rounds and eight D1 requests.
    expect(shape(rounds)).toEqual([
      [CLIENT],
      // One transaction: the code spent (D1 decides between racing exchanges), the code's user,
      // and whether the user's own session that allowed the code is still listed
      // (test/store/authorization-codes.test.ts looks inside).
      ['d1 batch'],
      // The session's records, before D1 lists it: whatever ends it after the next batch writes
      // its end after these (tokens.ts says why).
      ['kv.put session', 'kv.put refresh'],
      // One transaction: the session listed, the grant's last use (it still exists), whether a
      // replay of the code came meanwhile, and the signer again.
      ['d1 batch'],
    ])
    expect(rounds.flat().filter((call) => call.startsWith('d1'))).toHaveLength(3)
    // The client's last use is written after the response (or not at all within a day).
    expect(rounds.flat().join('\n')).not.toMatch(/UPDATE oauth_clients/)
  })

  it('a replayed code: client, code, then the first exchange’s session ended; nothing minted', async () => {
    const { clientId, exchange } = await freshCode()
    const first = await roundTrips(AS_ENV).send(exchange())
    expect(first.response.status).toBe(200)
    const { refresh_token: firstToken } = (await first.response.json()) as {
      refresh_token: string
    }
    const { response, rounds } = await roundTrips(AS_ENV).send(exchange())
    expect(response.status).toBe(400)
    const text = await response.text()
    expect(text).toContain('invalid_grant')
    expect(text).not.toContain('refresh_token"')
    expect(shape(rounds)).toEqual([
      [CLIENT],
      // The same batch: the code was spent before, so its update marks the replay and names
      // the code's session.
      ['d1 batch'],
      ['kv.put session'], // that session's end, as a logout writes it
      ['DELETE sessions'],
    ])
    // No session of its own, no refresh token written.
    expect(rounds.flat().join('\n')).not.toMatch(/INSERT INTO sessions|kv\.put refresh/)
    const after = await roundTrips(AS_ENV).send(refreshForm(clientId, firstToken))
    expect(after.response.status).toBe(400)
  })

  it('a grant refresh: the client and one bulk read of the four records side by side, then the successor', async () => {
    const { clientId, exchange } = await freshCode()
    const exchanged = await roundTrips(AS_ENV).send(exchange())
    const { refresh_token: token } = (await exchanged.response.json()) as { refresh_token: string }
    const { response, rounds } = await roundTrips(AS_ENV).send(refreshForm(clientId, token))
    expect(response.status).toBe(200)
    // Two rounds, as a first-party refresh: reading ahead under the client the request names
    // while the client is authenticated (the token stands only for the client proven).
    expect(rounds).toHaveLength(2)
    expect(shape(rounds)[0]![0]).toEqual(CLIENT)
    expect(rounds[0]).toHaveLength(2)
    const keys = rounds[0]![1]!.replace(/^kv\.get /, '').split(',')
    expect(keys.map((key) => key.split(':')[0])).toEqual([
      'refresh',
      'refresh',
      'session',
      'revoked-before',
    ])
    expect(rounds[1]).toEqual([expect.stringMatching(/^kv\.put refresh:/)])
  })

  it('a grant refresh by another client: the same reads, and no successor written', async () => {
    const { exchange } = await freshCode()
    const exchanged = await roundTrips(AS_ENV).send(exchange())
    const { refresh_token: token } = (await exchanged.response.json()) as { refresh_token: string }
    const other = await freshCode()
    const { response, rounds } = await roundTrips(AS_ENV).send(refreshForm(other.clientId, token))
    expect(response.status).toBe(400)
    expect(await response.text()).not.toContain('access_token')
    expect(shape(rounds)[0]![0]).toEqual(CLIENT)
    expect(rounds.flat().join('\n')).not.toMatch(/kv\.put/)
  })
})
