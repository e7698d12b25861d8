// refusal(): which service errors a page shows as a message a person can act on (and with what
// status), and that anything else is thrown on, to the one error renderer; and form() outside
// the pages' own middleware, still never a 500.
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/env'
import { ApiError } from '../../src/errors'
import { onError } from '../../src/http/errors'
import { form, refusal } from '../../src/pages/shared'
import { uiFor } from '../../src/pages/ui'
import { captureLogs, expectProblem } from '../helpers'

describe('refusal', () => {
  it('tells the loser of a password race to sign in again (409), naming no one', () => {
    const err = new ApiError('password_changed_concurrently', 'internal wording')
    expect(refusal(uiFor('en'), err)).toEqual({
      status: 409,
      notice: {
        kind: 'error',
        text: 'Your password was changed by another session; sign in again.',
      },
    })
  })

  it('throws on what a person cannot act on', () => {
    const bug = new Error('boom')
    expect(() => refusal(uiFor('en'), bug)).toThrow(bug)
    const internal = new ApiError('internal_error', 'x')
    expect(() => refusal(uiFor('en'), internal)).toThrow(internal)
  })
})

describe('form', () => {
  it('is a 400 (or 415) from the one renderer where no page middleware answered first', async () => {
    const lines = captureLogs()
    const app = new Hono<AppEnv>().onError(onError)
    app.post('/x', async (c) => c.json(await form(c)))
    const post = (type: string, body: string) =>
      app.request('/x', { method: 'POST', headers: { 'Content-Type': type }, body }, env)
    await expectProblem(
      await post('multipart/form-data; boundary=b', 'garbage'),
      400,
      'bad_request',
    )
    await expectProblem(await post('application/json', '{}'), 400, 'bad_request')
    expect(await (await post('application/x-www-form-urlencoded', 'a=1&a=2')).json()).toEqual({
      a: '2',
    })
    expect(lines.join('\n')).not.toContain('unhandled_error')
  })
})
