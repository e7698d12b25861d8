// A catalog as data. French and Spanish are most of the worker's text, and an isolate reads a
// language only when a request or a mail needs it, so they ship as JSON among the static assets
// (public/_catalogs/, written by scripts/assets.mjs from the TypeScript catalogs) rather than
// in the bundle; English stays code, as the default and the fallback. A message that takes
// values becomes a template: literal parts and argument indexes. A message whose words depend
// on its values (a plural, a duration, a choice) cannot be a template: it lives in
// <lang>/code.ts, ships in the worker, and the data names it.

/** A template: literal text and the index of the argument that goes between. */
type Template = (string | number)[]

/** A message kept as code, by its export's name in <lang>/code.ts. */
type CodeRef = { $code: string }

export type CatalogData = { [key: string]: string | Template | CodeRef | CatalogData }

/** A language's messages that are code: <lang>/code.ts's exports. */
export type CatalogCode = Record<string, unknown>

/** What marks argument `i` in a template's text while it is compiled (no catalog holds it). */
const mark = (i: number) => `\u0000${i}\u0000`
const MARKS = /\u0000(\d+)\u0000/

/**
 * Values each function message is called with once compiled, to prove it a template: a message
 * that counts, compares or tests a value words these differently from its template.
 */
const SAMPLES: unknown[] = [
  'x',
  '',
  'Mixed Case Text, longer than forty characters, with a comma',
  0,
  1,
  2,
  -1,
  59,
  60,
  61,
  120,
  1440,
  2880,
  86_400,
  1e6,
  true,
  false,
  null,
]

const fill = (parts: Template, args: unknown[]) =>
  parts.map((part) => (typeof part === 'number' ? String(args[part]) : part)).join('')

/**
 * `message` as a template, proven by calling it. Its arguments are counted by `length`, so a
 * template message declares each one plainly (no default, no rest parameter).
 */
function template(message: (...args: unknown[]) => unknown, path: string): Template {
  const arity = message.length
  const text = message(...Array.from({ length: arity }, (_, i) => mark(i)))
  if (typeof text !== 'string') throw new Error(`${path}: a message must be text`)
  const parts: Template = text
    .split(MARKS)
    .map((part, i) => (i % 2 === 1 ? Number(part) : part))
    .filter((part) => part !== '')
  // Each sample in every argument, then each argument a text of its own.
  const calls = [
    ...SAMPLES.map((sample) => Array.from({ length: arity }, () => sample)),
    Array.from({ length: arity }, (_, i) => `Value ${i} of ${arity}`),
  ]
  for (const args of calls) {
    if (message(...args) !== fill(parts, args)) {
      throw new Error(`${path}: its words depend on its values; move it to the language's code.ts`)
    }
  }
  return parts
}

/** Build time: `catalog` as data, its messages in `code` named rather than copied. */
export function toData(catalog: object, code: CatalogCode, path = ''): CatalogData {
  const names = new Map(Object.entries(code).map(([name, value]) => [value, name]))
  const data: CatalogData = {}
  for (const [key, value] of Object.entries(catalog)) {
    const at = path ? `${path}.${key}` : key
    if (typeof value === 'string') data[key] = value
    else if (typeof value === 'function') {
      const name = names.get(value)
      data[key] = name !== undefined ? { $code: name } : template(value, at)
    } else if (value !== null && typeof value === 'object') data[key] = toData(value, code, at)
    else throw new Error(`${at}: a message must be text or a function`)
  }
  return data
}

/**
 * Run time: the messages `data` holds, shaped as `like` (English), each function message one
 * again. Anything missing, extra or of the wrong kind throws: the caller keeps English.
 */
export function fromData<T extends object>(
  data: unknown,
  code: CatalogCode,
  like: T,
  path = '',
): T {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`${path || 'catalog'}: not an object`)
  }
  const found = data as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const keys = Object.keys(like)
  if (Object.keys(found).length !== keys.length) throw new Error(`${path}: keys differ`)
  for (const key of keys) {
    const want = (like as Record<string, unknown>)[key]
    const value = found[key]
    const at = path ? `${path}.${key}` : key
    if (typeof want === 'string') {
      if (typeof value !== 'string') throw new Error(`${at}: not text`)
      out[key] = value
    } else if (typeof want === 'function') {
      out[key] = message(value, code, at, (want as (...args: unknown[]) => unknown).length)
    } else {
      out[key] = fromData(value, code, want as object, at)
    }
  }
  return out as T
}

function message(
  value: unknown,
  code: CatalogCode,
  at: string,
  arity: number,
): (...args: unknown[]) => string {
  if (Array.isArray(value)) {
    // Text, and the index of an argument the English message takes.
    const part = (p: unknown) =>
      typeof p === 'string' || (Number.isInteger(p) && (p as number) >= 0 && (p as number) < arity)
    if (!value.every(part)) throw new Error(`${at}: not a template`)
    const parts = value as Template
    return (...args) => fill(parts, args)
  }
  const name = (value as Partial<CodeRef> | null)?.$code
  const fn = typeof name === 'string' && Object.hasOwn(code, name) ? code[name] : undefined
  if (typeof fn !== 'function') throw new Error(`${at}: no such message in code`)
  return fn as (...args: unknown[]) => string
}
