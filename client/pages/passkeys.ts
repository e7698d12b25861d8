// The hosted pages' one script: passkey sign-in on /signin, sign-up with a passkey on /signup and
// adding a passkey on /account, through the SDK in cookie mode. Each control stays hidden (or
// explains itself) where the browser has no WebAuthn, and every other form on the pages works
// without this file.
import { AuthError, createAuthClient } from '../src/index'

const auth = createAuthClient({ baseUrl: location.origin })
const supported = typeof window.PublicKeyCredential === 'function'

/** What a person is told when a ceremony fails (the SDK throws only AuthError). */
function explain(err: unknown): string {
  const code = err instanceof AuthError ? err.code : undefined
  if (code === 'invalid_credentials') return 'The password is incorrect.'
  if (code === 'username_taken') return 'That username is taken; choose another.'
  if (code === 'validation_failed') return `The username ${USERNAME_RULE}.`
  if (code === 'passkey_registration_failed')
    return 'The passkey could not be checked, or the request expired; please try again.'
  if (code === 'rate_limited')
    return `Too many attempts; try again in ${(err as AuthError).retryAfter ?? 60} seconds.`
  if (code === 'passkey_exists' || code === 'passkey_exists_on_device')
    return 'That passkey is added already.'
  // The browser's own refusals (cancelled, timed out, no passkey) all read as NotAllowedError.
  if (code === 'passkey_cancelled') return 'The passkey request was cancelled or timed out.'
  if (code === 'passkey_unsupported') return 'This browser cannot use passkeys here.'
  if (code === 'network_error') return 'The service could not be reached; please try again.'
  return 'That did not work; please try again.'
}

// The server's rule (src/schemas.ts Username), checked here only to answer at once: the server
// checks again, after the same NFKC mapping.
const USERNAME_RULE = 'must be 3 to 32 characters: letters, digits, _ . -'
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
  const status = signIn.querySelector('[data-passkey-status]')
  signIn.querySelector('button')?.addEventListener('click', async () => {
    say(status, 'Waiting for your passkey…')
    try {
      await auth.signInWithPasskey()
      location.assign(signIn.dataset.returnTo ?? '/account')
    } catch (err) {
      say(status, explain(err), true)
    }
  })
}

const register = document.querySelector<HTMLFormElement>('[data-passkey-register]')
if (register) {
  const status = register.querySelector('[data-passkey-status]')
  if (!supported) say(status, 'This browser cannot create passkeys.')
  else {
    say(status, '')
    register.addEventListener('submit', async (event) => {
      event.preventDefault()
      const data = new FormData(register)
      const name = String(data.get('passkeyName') ?? '').trim()
      say(status, 'Follow your browser’s prompt…')
      try {
        await auth.passkeys.register({
          password: String(data.get('passkeyPassword') ?? ''),
          name: name || undefined,
        })
        location.assign('/account?done=passkey')
      } catch (err) {
        say(status, explain(err), true)
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
  const status = signUp.querySelector('[data-passkey-status]')
  const button = signUp.querySelector('button')
  button?.addEventListener('click', async () => {
    const username = usernameField.value
    if (!usernameOk(username)) {
      say(status, `Type a username above first: it ${USERNAME_RULE}.`, true)
      usernameField.focus()
      return
    }
    // One ceremony at a time: a second click would only fail on the first one's challenge.
    button.disabled = true
    say(status, 'Follow your browser’s prompt…')
    try {
      await auth.signUpWithPasskey({ username })
      location.assign(signUp.dataset.returnTo ?? '/account')
    } catch (err) {
      say(status, explain(err), true)
      button.disabled = false
    }
  })
}
