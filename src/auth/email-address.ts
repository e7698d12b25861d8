// Email addresses, by RFC 5321's rules for what a mail server must accept in a path: a
// dot-atom local part (RFC 5322 atext, no quoted strings or comments) of at most 64 octets, and
// a domain of LDH labels (each 1–63, not starting or ending with a hyphen) with at least two
// labels and a letter-led top level, 254 octets in all (RFC 5321 §4.5.3.1 and its erratum).
// ASCII only: internationalised addresses (SMTPUTF8) are refused rather than half-supported.

const MAX_ADDRESS = 254
const MAX_LOCAL = 64
const MAX_LABEL = 63

/** RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~ */
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/
const TOP_LEVEL = /^[A-Za-z][A-Za-z0-9-]*$/

/**
 * The address in its stored spelling (the domain lower-cased; the local part as typed, since
 * only its own server may fold it), or null when it is not a deliverable address.
 */
export function parseEmailAddress(raw: string): string | null {
  if (raw.length > MAX_ADDRESS) return null
  const at = raw.lastIndexOf('@')
  if (at <= 0) return null
  const local = raw.slice(0, at)
  const domain = raw.slice(at + 1).toLowerCase()
  if (local.length > MAX_LOCAL || !local.split('.').every((atom) => ATEXT.test(atom))) return null
  const labels = domain.split('.')
  if (labels.length < 2) return null
  if (!labels.every((label) => label.length <= MAX_LABEL && LABEL.test(label))) return null
  if (!TOP_LEVEL.test(labels.at(-1)!)) return null
  return `${local}@${domain}`
}

/** An address as a log line may show it: enough for an operator to tell which, not whose. */
export const maskedAddress = (address: string): string => {
  const at = address.lastIndexOf('@')
  return `${address.slice(0, 1)}…@${address.slice(at + 1)}`
}
