// What a translated page still says in English: the sentences of the English catalog parts it
// draws on that appear in its HTML (raw, or as hono/html escapes them). A message that takes
// values is called with markers, and each piece of its text around them is looked for.
import { CATALOGS } from '../../src/i18n/sources'
import type { Language } from '../../src/i18n/languages'

type Part = (messages: (typeof CATALOGS)['en']) => unknown

const MARK = '\u0001'

/** Every text of a catalog part, by its path: a message's pieces around its values. */
function texts(part: unknown, path = ''): Map<string, string[]> {
  const found = new Map<string, string[]>()
  if (typeof part === 'string') found.set(path, [part])
  else if (typeof part === 'function') {
    const args = Array.from({ length: part.length }, () => MARK)
    found.set(path, String(part(...args)).split(MARK))
  } else if (part && typeof part === 'object') {
    for (const [key, value] of Object.entries(part)) {
      for (const [p, t] of texts(value, `${path}.${key}`)) found.set(p, t)
    }
  }
  return found
}

const escaped = (text: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')

const quoted = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `piece` as words of its own ("Connect" is not in "Connecter"). */
const found = (html: string, piece: string) =>
  new RegExp(`(?<!\\p{L})${quoted(piece)}(?!\\p{L})`, 'u').test(html)

/**
 * The English texts of `part` found in `html`, a page in `lang`. A text the language words the
 * same way (a separator, a name) and a piece too short to be a sentence are not counted.
 */
export function englishLeft(html: string, lang: Language, part: Part): string[] {
  const english = texts(part(CATALOGS.en))
  const translated = texts(part(CATALOGS[lang]))
  const left: string[] = []
  for (const [path, pieces] of english) {
    const theirs = translated.get(path)?.join(MARK)
    if (theirs === pieces.join(MARK)) continue
    for (const piece of pieces.map((p) => p.trim()).filter((p) => p.length >= 6)) {
      if (found(html, piece) || found(html, escaped(piece))) left.push(piece)
    }
  }
  return left
}
