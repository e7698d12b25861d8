// The hosted pages' one script: passkey sign-in on /signin, sign-up with a passkey on /signup and
// adding a passkey on /account, through the SDK in cookie mode. Each control stays hidden (or
// explains itself) where the browser has no WebAuthn, and every other form on the pages works
// without this file.
import { AuthError, createAuthClient } from '../src/index'
import { type Words, wordsOf } from './passkey-words'

const auth = createAuthClient({ baseUrl: location.origin })
const supported = typeof window.PublicKeyCredential === 'function'

/** What a person is told when a ceremony fails (the SDK throws only AuthError). */
function explain(words: Words, err: unknown): string {
  const code = err instanceof AuthError ? err.code : undefined
  if (code === 'invalid_credentials') return words.wrongPassword
  if (code === 'username_taken') return words.usernameTaken
  if (code === 'validation_failed') return words.usernameInvalid
  if (code === 'passkey_registration_failed') return words.checkFailed
  if (code === 'rate_limited') {
    const seconds = String((err as AuthError).retryAfter ?? 60)
    return words.tooMany.replace('{seconds}', seconds)
  }
  if (code === 'passkey_exists' || code === 'passkey_exists_on_device') return words.exists
  // The browser's own refusals (cancelled, timed out, no passkey) all read as NotAllowedError.
  if (code === 'passkey_cancelled') return words.cancelled
  if (code === 'passkey_unsupported') return words.unsupported
  if (code === 'network_error') return words.unreachable
  return words.failed
}

// The server's rule (src/schemas.ts Username), checked here only to answer at once: the server
// checks again, after the same NFKC mapping. (Its words are usernameFirst and
// usernameInvalid in passkey-words.ts.)
const usernameOk = (name: string) => /^[A-Za-z0-9_.-]{3,32}$/.test(name.normalize('NFKC'))

/** Writes into the control's live region (aria-live="polite"), marked as an error or not. */
function say(region: Element | null, text: string, error = false) {
  if (!region) return
  region.textContent = text
  region.classList.toggle('error', error)
}

const signIn = document.querySelector<HTMLElement>('[data-passkey-signin]')
if (signIn && supported) {
  signIn.hidden = false
  const words = wordsOf(signIn.dataset.passkeyMessages)
  const status = signIn.querySelector('[data-passkey-status]')
  signIn.querySelector('button')?.addEventListener('click', async () => {
    say(status, words.waiting)
    try {
      await auth.signInWithPasskey()
      location.assign(signIn.dataset.returnTo ?? '/account')
    } catch (err) {
      say(status, explain(words, err), true)
    }
  })
}

const register = document.querySelector<HTMLFormElement>('[data-passkey-register]')
if (register) {
  const words = wordsOf(register.dataset.passkeyMessages)
  const status = register.querySelector('[data-passkey-status]')
  if (!supported) say(status, words.cannotCreate)
  else {
    say(status, '')
    register.addEventListener('submit', async (event) => {
      event.preventDefault()
      const data = new FormData(register)
      const name = String(data.get('passkeyName') ?? '').trim()
      say(status, words.followPrompt)
      try {
        await auth.passkeys.register({
          password: String(data.get('passkeyPassword') ?? ''),
          name: name || undefined,
        })
        location.assign('/account?done=passkey')
      } catch (err) {
        say(status, explain(words, err), true)
      }
    })
  }
}

// Sign-up with no password: the form's own username field names the account; the block stays
// hidden without WebAuthn (or without this script), leaving the password form as it was.
const signUp = document.querySelector<HTMLElement>('[data-passkey-signup]')
const usernameField = signUp ? document.getElementById(signUp.dataset.usernameField ?? '') : null
if (signUp && supported && usernameField instanceof HTMLInputElement) {
  signUp.hidden = false
  const words = wordsOf(signUp.dataset.passkeyMessages)
  const status = signUp.querySelector('[data-passkey-status]')
  const button = signUp.querySelector('button')
  button?.addEventListener('click', async () => {
    const username = usernameField.value
    if (!usernameOk(username)) {
      say(status, words.usernameFirst, true)
      usernameField.focus()
      return
    }
    // One ceremony at a time: a second click would only fail on the first one's challenge.
    button.disabled = true
    say(status, words.followPrompt)
    try {
      await auth.signUpWithPasskey({ username })
      location.assign(signUp.dataset.returnTo ?? '/account')
    } catch (err) {
      say(status, explain(words, err), true)
      button.disabled = false
    }
  })
}
