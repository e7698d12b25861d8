/// <reference types="vite/client" />
// The import graph of src/: imports point down only and never form a cycle (STYLE.md's rules).
// Vite lists and reads the sources at build time, as workerd has no file system.
import { describe, expect, it } from 'vitest'

const SOURCES = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>('../src/**/*.ts', { query: '?raw', import: 'default', eager: true }),
  ).map(([path, text]) => [path.replace('../', ''), text]),
)

/** `target` relative to the file `from`, as a src/ path with its .ts extension. */
function resolveImport(from: string, target: string): string {
  const parts = from.split('/').slice(0, -1)
  for (const part of target.split('/')) {
    if (part === '..') parts.pop()
    else if (part !== '.') parts.push(part)
  }
  const path = parts.join('/')
  return SOURCES[`${path}.ts`] !== undefined ? `${path}.ts` : `${path}/index.ts`
}

/** Each file's relative imports, type-only ones included (they still couple the modules). */
const GRAPH: Record<string, string[]> = Object.fromEntries(
  Object.entries(SOURCES).map(([file, text]) => [
    file,
    [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) =>
      resolveImport(file, m[1]!),
    ),
  ]),
)

/** Packages each file imports at run time (`import type` is erased from the bundle). */
const packagesOf = (file: string) =>
  [...SOURCES[file]!.matchAll(/^import (?!type )[^'"]*?from\s+'([^.][^']*)'/gm)].map((m) => m[1]!)

/** The first cycle found in `graph`, as the files around it, or null. */
function findCycle(graph: Record<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file]
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph[file] ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(file, 'done')
    return null
  }
  for (const file of Object.keys(graph)) {
    const cycle = visit(file)
    if (cycle) return cycle
  }
  return null
}

const layer = (file: string) => file.split('/')[1]!.replace(/\.ts$/, '')

/** The layers below routes and http, which must know nothing of requests. */
const BELOW_HTTP = ['services', 'auth', 'store', 'errors', 'log', 'env', 'clock', 'schemas']

describe('src/ import graph', () => {
  it('reads every source file and its imports', () => {
    expect(Object.keys(SOURCES).length).toBeGreaterThan(30)
    expect(GRAPH['src/index.ts']).toContain('src/app.ts')
    for (const targets of Object.values(GRAPH)) {
      for (const target of targets) expect(SOURCES[target], target).toBeDefined()
    }
  })

  it('has no import cycles', () => {
    expect(findCycle(GRAPH)).toBeNull()
    // The check itself finds one, such as auth <-> profile-cache once was.
    const looped = { ...GRAPH, 'src/services/profile-cache.ts': ['src/services/account.ts'] }
    expect(findCycle(looped)).toContain('src/services/profile-cache.ts')
  })

  it('keeps services, auth core, stores and the base modules free of routes and http/', () => {
    const upward = Object.entries(GRAPH).flatMap(([file, targets]) =>
      BELOW_HTTP.includes(layer(file))
        ? targets
            .filter((target) => ['routes', 'http'].includes(layer(target)))
            .map((target) => `${file} -> ${target}`)
        : [],
    )
    expect(upward).toEqual([])
  })

  it('keeps Hono out of the services, the stores and the base modules', () => {
    const plain = Object.keys(SOURCES).filter((file) =>
      ['services', 'store', 'errors', 'log', 'env', 'clock', 'schemas'].includes(layer(file)),
    )
    const withHono = plain.filter((file) =>
      packagesOf(file).some((name) => name === 'hono' || name.startsWith('hono/')),
    )
    expect(withHono).toEqual([])
  })

  it('lets only store/ touch KV and D1', () => {
    const touching = Object.keys(SOURCES).filter(
      (file) =>
        layer(file) !== 'store' &&
        /\.(?:prepare|batch)\(|\b(?:REFRESH_TOKENS|DB)\.(?:get|put|delete|list)\(/.test(
          SOURCES[file]!,
        ),
    )
    expect(touching).toEqual([])
  })
})
