// The app's router: the trie's answer for a path that takes no parameter is remembered, a path
// with parameters is searched afresh every time, and the memory stays bounded whatever paths come.
import { describe, expect, it } from 'vitest'
import type { Result, Router } from 'hono/router'
import { TrieRouter } from 'hono/router/trie-router'
import { REMEMBERED_PATHS, RememberingRouter } from '../../src/http/router'
import { app } from '../../src/app'

/** A trie that counts its searches. */
function counted() {
  const trie = new TrieRouter<string>()
  let searches = 0
  const inner: Router<string> = {
    name: 'counted',
    add: (method, path, handler) => trie.add(method, path, handler),
    match: (method, path) => {
      searches++
      return trie.match(method, path)
    },
  }
  const router = new RememberingRouter(inner)
  router.add('ALL', '*', 'every request')
  router.add('GET', '/users', 'users')
  router.add('DELETE', '/sessions/:id', 'end session')
  return { router, searches: () => searches }
}

const handlers = (result: Result<string>) => result[0].map(([handler]) => handler)
const params = (result: Result<string>) => result[0].map(([, p]) => ({ ...p }))

describe('the router', () => {
  it('searches a path without parameters once, and answers the same again', () => {
    const { router, searches } = counted()
    const first = router.match('GET', '/users')
    expect(handlers(first)).toEqual(['every request', 'users'])
    expect(router.match('GET', '/users')).toBe(first)
    expect(searches()).toBe(1)
    // Another method is another answer.
    expect(handlers(router.match('POST', '/users'))).toEqual(['every request'])
    expect(searches()).toBe(2)
  })

  it('searches a path with parameters every time: no request sees another one’s values', () => {
    const { router, searches } = counted()
    const a = router.match('DELETE', '/sessions/a')
    const b = router.match('DELETE', '/sessions/b')
    expect(params(a)).toEqual([{}, { id: 'a' }])
    expect(params(b)).toEqual([{}, { id: 'b' }])
    expect(params(router.match('DELETE', '/sessions/a'))).toEqual([{}, { id: 'a' }])
    expect(searches()).toBe(3)
  })

  it('forgets everything when a route is added, and when full', () => {
    const { router, searches } = counted()
    router.match('GET', '/users')
    router.add('GET', '/health', 'health')
    router.match('GET', '/users')
    expect(searches()).toBe(2)
    // Any path may be asked for (a 404 is remembered too): the memory never passes its bound.
    for (let i = 0; i < REMEMBERED_PATHS; i++) router.match('GET', `/nothing-${i}`)
    const before = searches()
    router.match('GET', '/users')
    expect(searches()).toBe(before + 1)
  })

  it('is the app’s', () => {
    expect(app.router.name).toBe('RememberingRouter')
  })
})
