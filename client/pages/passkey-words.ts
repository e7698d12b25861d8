// The words the hosted pages' script (passkeys.ts) says while it runs a passkey ceremony. The
// script cannot import the catalog (src/i18n/<lang>/security.ts `script`) and the CSP allows no
// inline script, so the page gives its language's words as JSON in the control's
// data-passkey-messages attribute (src/pages/security-views.ts passkeyMessages). A word it does
// not give, or an attribute that is missing or broken, leaves the English one.

/** What the script says in English: the same words as the English catalog's `security.script`. */
export const ENGLISH = {
  waiting: 'Waiting for your passkey…',
  followPrompt: 'Follow your browser’s prompt…',
  cannotCreate: 'This browser cannot create passkeys.',
  usernameFirst:
    'Type a username above first: it must be 3 to 32 characters: letters, digits, _ . -.',
  wrongPassword: 'The password is incorrect.',
  usernameTaken: 'That username is taken; choose another.',
  usernameInvalid: 'The username must be 3 to 32 characters: letters, digits, _ . -.',
  checkFailed: 'The passkey could not be checked, or the request expired; please try again.',
  tooMany: 'Too many attempts; try again in {seconds} seconds.',
  exists: 'That passkey is added already.',
  cancelled: 'The passkey request was cancelled or timed out.',
  unsupported: 'This browser cannot use passkeys here.',
  unreachable: 'The service could not be reached; please try again.',
  failed: 'That did not work; please try again.',
}

export type Words = typeof ENGLISH

/**
 * A control's words from its data-passkey-messages attribute: each one the page gave as a
 * non-empty string, else the English one. Only the known keys are read, so a broken or hostile
 * attribute can change what is said, never what the script does.
 */
export function wordsOf(attribute: string | undefined): Words {
  let given: unknown
  try {
    given = JSON.parse(attribute ?? 'null')
  } catch {
    given = null
  }
  const words = { ...ENGLISH }
  if (given === null || typeof given !== 'object') return words
  for (const key of Object.keys(ENGLISH) as (keyof Words)[]) {
    const word: unknown = Object.hasOwn(given, key) ? (given as Record<string, unknown>)[key] : null
    if (typeof word === 'string' && word !== '') words[key] = word
  }
  return words
}
