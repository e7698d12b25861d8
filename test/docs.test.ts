/// <reference types="vite/client" />
// The docs point at things that exist: every test/, src/, docs/, migrations/ and scripts/ path
// they name, and every relative link. Tests run inside workerd, which has no file system, so
// Vite's import.meta.glob lists the repository's files (lazily: nothing is loaded) at build time.
import { describe, expect, it } from 'vitest'
import { ERRORS, type ErrorCode } from '../src/errors'
import { ERROR_MEANINGS } from '../src/error-meanings'
import { pageRoutes } from '../src/pages/routes'
import { call } from './helpers'

/** The documents checked, by path from the repository root. */
const DOCS = fromRoot(
  import.meta.glob<string>(
    ['../*.md', '../docs/*.md', '../docs/providers/*.md', '../.ci/README.md', '../bench/README.md'],
    {
      query: '?raw',
      import: 'default',
      eager: true,
    },
  ),
)

/** Every file a document may point at, by path from the repository root. */
const FILES = new Set(
  Object.keys(
    fromRoot(
      import.meta.glob([
        '../*',
        '../.dev.vars.example',
        '../.ci/*',
        '../bench/**/*',
        '../client/*',
        '../docs/*',
        '../docs/providers/*',
        '../docs/screenshots/*',
        '../migrations/*',
        '../scripts/*',
        '../src/**/*',
        '../test/**/*',
      ]),
    ),
  ),
).add('test/docs.test.ts') // a glob never lists the file it is in

/** Re-keys a glob result from paths relative to test/ to paths relative to the repository. */
function fromRoot<T>(byKey: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(byKey).map(([key, v]) => [resolve('test', key), v]))
}

/** `target` relative to the directory `from` ('' is the root), normalised; a leading / is the root. */
function resolve(from: string, target: string): string {
  const parts = target.startsWith('/') ? [] : from.split('/').filter(Boolean)
  for (const part of target.split('/')) {
    if (part === '..') parts.pop()
    else if (part !== '.' && part !== '') parts.push(part)
  }
  return parts.join('/') + (target.endsWith('/') ? '/' : '')
}

const dirOf = (path: string) => path.split('/').slice(0, -1).join('/')

/** A file, or a directory (trailing /) holding at least one file. */
const exists = (path: string) =>
  path.endsWith('/') ? [...FILES].some((file) => file.startsWith(path)) : FILES.has(path)

/** Repository paths named in prose or code spans, such as `test/routes/users.test.ts`. */
function citedPaths(text: string): string[] {
  const paths = text.match(/(?<![\w./-])(?:test|src|docs|migrations|scripts)\/[\w./-]*/g) ?? []
  return paths.map((path) => path.replace(/\.+$/, ''))
}

/** Targets of relative markdown links, without their #fragment. */
function relativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]!)
}

describe('docs', () => {
  it('finds the documents and the files they may cite', () => {
    expect(Object.keys(DOCS)).toEqual(
      expect.arrayContaining(['README.md', 'SECURITY.md', 'docs/storage.md', '.ci/README.md']),
    )
    expect(FILES).toContain('test/docs.test.ts')
    expect(FILES).toContain('src/index.ts')
    expect(FILES).not.toContain('test/no-such-file.test.ts')
  })

  it.each(Object.keys(DOCS))('%s names only paths that exist', (doc) => {
    const missing = citedPaths(DOCS[doc]!).filter((path) => !exists(path))
    expect([...new Set(missing)]).toEqual([])
  })

  it.each(Object.keys(DOCS))('%s links only to files that exist', (doc) => {
    const missing = relativeLinks(DOCS[doc]!)
      .map((target) => resolve(dirOf(doc), target))
      .filter((path) => !exists(path))
    expect([...new Set(missing)]).toEqual([])
  })

  it('SECURITY.md cites test files, and each one exists', () => {
    const cited = citedPaths(DOCS['SECURITY.md']!).filter((path) => path.startsWith('test/'))
    expect(cited.length).toBeGreaterThan(20)
    expect(cited.filter((path) => !exists(path))).toEqual([])
  })
})

/** docs/errors.md's table as src/errors.ts and src/error-meanings.ts give it, laid out as prettier lays tables. */
function errorTable(): string {
  const rows = (Object.keys(ERRORS) as ErrorCode[]).map((code) => {
    const { status, oauth } = ERRORS[code]
    const meaning = ERROR_MEANINGS[code]
    return [`\`${code}\``, String(status), `\`${oauth.error}\` (${oauth.status})`, meaning]
  })
  const header = ['code', 'status', 'on the OAuth routes', 'meaning']
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

describe('docs/errors.md', () => {
  it('lists every error code as src/errors.ts defines it', () => {
    const doc = DOCS['docs/errors.md']!
    const block = /<!-- errors:start -->\n\n([\s\S]*?)\n\n<!-- errors:end -->/.exec(doc)?.[1]
    // On failure, paste the expected table between the markers.
    expect(block).toBe(errorTable())
  })
})

/** The rows of README.md's endpoint table: each row's methods and its paths, `[/x]` expanded. */
function readmeEndpoints(): { methods: string[]; paths: string[] }[] {
  const readme = DOCS['README.md']!
  const section = /\n## Endpoints\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ''
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !/^\| -|^\| method/.test(line))
    .map((line) => {
      const [methods = '', paths = ''] = line
        .split('|')
        .slice(1)
        .map((cell) => cell.trim())
      const spans = [...paths.matchAll(/`([^`]+)`/g)].map((match) => match[1]!)
      return {
        methods: methods.split('/').map((method) => method.trim()),
        paths: spans.flatMap(expandOptional),
      }
    })
}

/** `/users/me/passkeys[/options]` stands for both paths. */
function expandOptional(path: string): string[] {
  const match = /\[([^\]]*)\]/.exec(path)
  if (!match) return [path]
  const head = path.slice(0, match.index)
  const tail = path.slice(match.index + match[0].length)
  return [...expandOptional(head + tail), ...expandOptional(head + match[1] + tail)]
}

/** The `src/` folders the README's Layout block names. */
function layoutBlock(): string {
  const readme = DOCS['README.md']!
  return /\n## Layout\n\n```\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? ''
}

describe('README.md', () => {
  it('lists every operation of the OpenAPI document and every hosted page in its endpoint table', async () => {
    const rows = readmeEndpoints()
    expect(rows.length).toBeGreaterThan(10)
    const listed = rows.flatMap((row) =>
      row.methods.flatMap((method) => row.paths.map((path) => ({ method, path }))),
    )
    const exact = new Set(listed.map(({ method, path }) => `${method} ${path}`))
    const doc = (await (await call('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    )
    // Hono lists middleware as routes with method ALL; a page's path parameter is :id.
    const pages = pageRoutes.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
    // A page's forms may be listed together (`/account/*`); an API operation only by its path.
    const pageListed = (operation: string) => {
      const [method, path] = operation.split(' ') as [string, string]
      return listed.some(
        (row) =>
          row.method === method &&
          row.path.endsWith('/*') &&
          path.startsWith(row.path.slice(0, -1)),
      )
    }
    expect(documented.filter((operation) => !exact.has(operation))).toEqual([])
    expect(pages.filter((page) => !exact.has(page) && !pageListed(page))).toEqual([])
    // And the table names no path the worker does not serve.
    const served = [...documented, ...pages, 'GET /docs'].map(
      (operation) => operation.split(' ')[1]!,
    )
    const stale = rows
      .flatMap((row) => row.paths)
      .filter((path) =>
        path.endsWith('/*')
          ? !pages.some((page) => page.split(' ')[1]!.startsWith(path.slice(0, -1)))
          : !served.includes(path),
      )
    expect(stale).toEqual([])
  })

  it('names every folder of src/ in its Layout', () => {
    const folders = new Set(
      [...FILES].filter((file) => file.startsWith('src/')).map((file) => `${dirOf(file)}/`),
    )
    folders.delete('src/')
    expect(folders.size).toBeGreaterThan(5)
    const layout = layoutBlock()
    expect([...folders].filter((folder) => !layout.includes(folder))).toEqual([])
  })
})
