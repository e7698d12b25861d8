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

/** Packages each file imports, type-only imports included. */
const packagesOf = (file: string) =>
  [...SOURCES[file]!.matchAll(/^import[^'"]*?from\s+'([^.][^']*)'/gm)].map((m) => m[1]!)

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

/** STYLE.md's order: a file imports only from its own rank or below. */
const RANK: Record<string, number> = {
  index: 7,
  app: 6,
  // The Cron Trigger's and the queue's handlers: beside the app, below the entry.
  consumers: 6,
  routes: 5,
  pages: 5,
  http: 4,
  services: 3,
  schemas: 2,
  auth: 1,
  store: 1,
  mail: 1,
  errors: 0,
  // What each error code means: read at build time (http/openapi-document.ts) and by the docs test.
  'error-meanings': 0,
  log: 0,
  env: 0,
  clock: 0,
  'client-network': 0,
  // Message catalogs, languages and dates (pages and mail read them), and the brand settings.
  i18n: 0,
  brand: 0,
  // The one outbound fetch: imports nothing above the base.
  outbound: 0,
  // Identity-provider clients, no Hono and no bindings: env.ts reads providers.ts, so federation
  // sits with the base and imports only outbound, log and clock (flows that need stores or
  // auth/ go in services/).
  federation: 0,
}

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

  it('points every import down: routes -> services -> auth and stores -> the base modules', () => {
    expect(Object.keys(SOURCES).every((file) => RANK[layer(file)] !== undefined)).toBe(true)
    const upward = Object.entries(GRAPH).flatMap(([file, targets]) =>
      targets
        .filter((target) => RANK[layer(target)]! > RANK[layer(file)]!)
        .map((target) => `${file} -> ${target}`),
    )
    expect(upward).toEqual([])
  })

  it('keeps Hono, even its types, out of the services, the stores and the schemas', () => {
    const plain = Object.keys(SOURCES).filter((file) =>
      [
        'services',
        'store',
        'mail',
        'errors',
        'log',
        'clock',
        'client-network',
        'i18n',
        'brand',
        'schemas',
        'outbound',
        'federation',
      ].includes(layer(file)),
    )
    const withHono = plain.filter((file) =>
      packagesOf(file).some((name) => name === 'hono' || name.startsWith('hono/')),
    )
    expect(withHono).toEqual([])
  })

  it('lets only store/ touch KV and D1, and only routes/services.ts hand bindings to them', () => {
    const binding = /\b(?:KVNamespace|D1Database|D1PreparedStatement)\b|\.(?:prepare|batch)\(/
    const touching = Object.keys(SOURCES).filter(
      (file) => layer(file) !== 'store' && binding.test(SOURCES[file]!),
    )
    expect(touching).toEqual([])
    const readingBindings = Object.keys(SOURCES).filter(
      (file) =>
        /\bc\.env\.(?!\w+_LIMITER\b|ASSETS\b)/.test(SOURCES[file]!) &&
        file !== 'src/routes/services.ts',
    )
    expect(readingBindings).toEqual([])
  })
})
