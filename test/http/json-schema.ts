// Just enough JSON Schema (the subset /openapi.json uses) to check responses against the document
// and to generate requests from it with fast-check. Written here because ajv compiles validators
// with `new Function`, which workerd forbids.
import fc from 'fast-check'

export type Schema = {
  $ref?: string
  allOf?: Schema[]
  anyOf?: Schema[]
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, Schema>
  required?: string[]
  additionalProperties?: boolean | Schema
  items?: Schema
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
}

export type Document = { components: { schemas: Record<string, Schema> } }

/** The schema a `$ref` names, followed until it is not a reference. */
export function resolve(doc: Document, schema: Schema): Schema {
  let current = schema
  while (current.$ref) {
    current = doc.components.schemas[current.$ref.replace('#/components/schemas/', '')]!
  }
  return current
}

const typeOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : Number.isInteger(value)
        ? 'integer'
        : typeof value

const codePoints = (text: string) => [...text].length

const FORMATS: Record<string, (text: string) => boolean> = {
  uuid: (text) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text),
  'date-time': (text) => !Number.isNaN(Date.parse(text)) && /T/.test(text),
  uri: (text) => URL.canParse(text),
}

/** The keywords this checker understands; anything else must not pass unread. */
const KNOWN = new Set([
  ...['$ref', 'allOf', 'anyOf', 'type', 'enum', 'const', 'properties', 'required'],
  ...['additionalProperties', 'items', 'minLength', 'maxLength', 'pattern', 'format'],
  ...['minimum', 'description', 'example', 'title'],
])

/** Every way `value` breaks `schema`, as `path: reason` lines; empty when it conforms. */
export function violations(doc: Document, schema: Schema, value: unknown, path = '$'): string[] {
  const s = resolve(doc, schema)
  const unknown = Object.keys(s).filter((keyword) => !KNOWN.has(keyword))
  if (unknown.length > 0) throw new Error(`${path}: unchecked keywords ${unknown.join(', ')}`)
  const out: string[] = []
  for (const part of s.allOf ?? []) out.push(...violations(doc, part, value, path))
  if (s.anyOf && s.anyOf.every((part) => violations(doc, part, value, path).length > 0)) {
    out.push(`${path}: matches none of anyOf`)
  }
  if (s.enum && !s.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in enum`)
  if ('const' in s && s.const !== value) out.push(`${path}: is not ${JSON.stringify(s.const)}`)
  if (s.type) {
    const types = [s.type].flat()
    const actual = typeOf(value)
    const ok = types.includes(actual) || (actual === 'integer' && types.includes('number'))
    if (!ok) return [...out, `${path}: is ${actual}, not ${types.join('|')}`]
  }
  if (typeof value === 'string') {
    if (s.minLength !== undefined && codePoints(value) < s.minLength) out.push(`${path}: too short`)
    if (s.maxLength !== undefined && codePoints(value) > s.maxLength) out.push(`${path}: too long`)
    if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) out.push(`${path}: breaks pattern`)
    if (s.format && FORMATS[s.format] && !FORMATS[s.format]!(value)) {
      out.push(`${path}: is not a ${s.format}`)
    }
  }
  if (typeof value === 'number' && s.minimum !== undefined && value < s.minimum) {
    out.push(`${path}: under ${s.minimum}`)
  }
  if (Array.isArray(value) && s.items) {
    value.forEach((item, i) => out.push(...violations(doc, s.items!, item, `${path}[${i}]`)))
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>
    for (const key of s.required ?? []) {
      if (!(key in object)) out.push(`${path}.${key}: is missing`)
    }
    for (const [key, item] of Object.entries(object)) {
      const property = s.properties?.[key]
      if (property) out.push(...violations(doc, property, item, `${path}.${key}`))
      else if (s.additionalProperties === false) out.push(`${path}.${key}: is not allowed`)
    }
  }
  return out
}

/** Printable ASCII, where NFKC changes nothing, so the published lengths are exact. */
const PRINTABLE = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code))

/** Strings that conform to a string schema (a `^[class]+$` pattern at most, as ours are). */
export function conformingString(s: Schema): fc.Arbitrary<string> {
  if (s.enum) return fc.constantFrom(...(s.enum as string[]))
  // A whole number in a query (`?limit=`): its digits, within its published bounds.
  if (s.type === 'integer') {
    return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 }).map(String)
  }
  if (s.format === 'email') return fc.emailAddress().filter((a) => a.length <= (s.maxLength ?? 254))
  // A time in a query (`?since=`): ISO 8601 as Date writes it.
  if (s.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString())
  }
  const minLength = s.minLength ?? 0
  // Long enough to cross any limit, short enough to keep the runs quick.
  const maxLength = Math.min(s.maxLength ?? 64, 200)
  const charClass = s.pattern && /^\^(\[[^\]]+\])\+\$$/.exec(s.pattern)?.[1]
  if (s.pattern && !charClass) throw new Error(`cannot generate for the pattern ${s.pattern}`)
  const unit = charClass
    ? PRINTABLE.filter((char) => new RegExp(`^${charClass}$`).test(char))
    : PRINTABLE
  return fc.string({ unit, minLength, maxLength })
}

/** A conforming string of exactly `length` characters: for the limits test. */
export function stringOfLength(s: Schema, length: number): string {
  if (s.format !== 'email') return fillerChar(s).repeat(length)
  // An address of exactly `length`: a local part of up to 64, then host labels of up to 63.
  const local = 'a'.repeat(Math.min(64, length - 5))
  let left = length - local.length - 1 - 3 // the '@', and the '.io' at the end
  const labels: string[] = []
  while (left > 0) {
    const size = left <= 63 ? left : Math.min(62, left - 2)
    labels.push('b'.repeat(size))
    left -= size + (left > size ? 1 : 0)
  }
  return `${local}@${[...labels, 'io'].join('.')}`
}

/** A character the string schema's pattern allows (`a` when there is none), to fill a length. */
export function fillerChar(s: Schema): string {
  const charClass = s.pattern && /^\^(\[[^\]]+\])\+\$$/.exec(s.pattern)?.[1]
  if (!charClass) return 'a'
  return ['a', '0', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i))].find(
    (char) => new RegExp(`^${charClass}$`).test(char),
  )!
}

/** Values that conform to `schema`: objects get their required members and maybe the others. */
export function conforming(doc: Document, schema: Schema): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema)
  if (s.const !== undefined) return fc.constant(s.const)
  if (s.anyOf) return fc.oneof(...s.anyOf.map((part) => conforming(doc, part)))
  if (s.type === 'boolean') return fc.boolean()
  if (s.type === 'array') {
    const items = s.items ? conforming(doc, s.items) : fc.constant(null)
    return fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) })
  }
  if (s.type === 'object' || s.properties) {
    const shape = Object.fromEntries(
      Object.entries(s.properties ?? {}).map(([key, property]) => [key, conforming(doc, property)]),
    )
    return fc.record(shape, { requiredKeys: s.required ?? [] })
  }
  return conformingString(s)
}

/**
 * Ways to break one string member, each a value the document refuses: the wrong type, one too
 * short, one too long, outside the pattern or the enum.
 */
export function breakingValues(s: Schema): { why: string; value: unknown }[] {
  const out: { why: string; value: unknown }[] = [{ why: 'a number', value: 12345 }]
  const minLength = s.minLength ?? 0
  if (minLength > 0) out.push({ why: 'one too short', value: 'a'.repeat(minLength - 1) })
  if (s.maxLength !== undefined) {
    out.push({ why: 'one too long', value: 'a'.repeat(s.maxLength + 1) })
  }
  if (s.pattern) {
    // The first candidate the pattern really refuses: most of ours refuse a space or a `!`;
    // a "printable text" one refuses only control characters.
    const pattern = new RegExp(s.pattern, 'u')
    const value = [
      'bad name!'.padEnd(minLength, '!'),
      '\u0007'.repeat(Math.max(minLength, 1)),
    ].find((candidate) => !pattern.test(candidate))
    if (value === undefined) throw new Error(`no value breaks the pattern ${s.pattern}`)
    out.push({ why: 'outside the pattern', value })
  }
  if (s.enum) out.push({ why: 'outside the enum', value: 'bogus' })
  if (s.type === 'integer') {
    if (s.minimum !== undefined) out.push({ why: 'under the minimum', value: s.minimum - 1 })
    if (s.maximum !== undefined) out.push({ why: 'over the maximum', value: s.maximum + 1 })
    out.push({ why: 'not a whole number', value: '1.5' })
  }
  return out
}
