// A small React app on the bindings, for the Chromium tests: <StrictMode> (development build, so
// effects run twice on mount), a sign-in form under <SignedOut>, the user, a sign-out button and
// the sessions list under <SignedIn>. Plain JS with createElement, so esbuild and Vite take it
// as it is.

/** The app's entry module, importing the bindings from `bindings` (source, or edge-auth/react). */
export const reactApp = (bindings: string) => `
import { StrictMode, createElement as h, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { AuthProvider, SignedIn, SignedOut, useAuth, useSessions } from '${bindings}'

function SignInForm() {
  const { signIn } = useAuth()
  const [problem, setProblem] = useState('')
  const submit = (event) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    signIn({ username: form.get('username'), password: form.get('password') }).catch((err) =>
      setProblem(err.code),
    )
  }
  return h('form', { onSubmit: submit },
    h('input', { name: 'username', 'aria-label': 'Username' }),
    h('input', { name: 'password', type: 'password', 'aria-label': 'Password' }),
    h('button', null, 'Sign in'),
    h('p', { id: 'problem' }, problem))
}

function Sessions() {
  const { sessions, loading, end } = useSessions()
  return h('ul', { id: 'sessions', 'aria-busy': String(loading) },
    sessions.map((s) => h('li', { key: s.id },
      s.current ? 'this device' : 'elsewhere',
      h('button', { onClick: () => end(s.id) }, s.current ? 'End this' : 'End other'))))
}

function App() {
  const { status, user, signOut } = useAuth()
  return h('main', null,
    h('p', { id: 'status' }, status),
    h(SignedIn, null,
      h('p', { id: 'hello' }, 'Hello ' + user?.username),
      h('button', { onClick: () => signOut() }, 'Sign out'),
      h(Sessions)),
    h(SignedOut, null, h(SignInForm)))
}

createRoot(document.getElementById('root')).render(
  h(StrictMode, null, h(AuthProvider, { options: { baseUrl: window.WORKER } }, h(App))),
)
`

/** The page: the worker's origin for the app, then the app's module at `script`. */
export const reactPage = (workerOrigin: string, script: string) =>
  `<!doctype html><meta charset="utf-8"><title>react app</title><link rel="icon" href="data:,">
<script>window.WORKER = ${JSON.stringify(workerOrigin)}</script>
<div id="root"></div>
<script type="module" src="${script}"></script>`

/**
 * Run in the page before any script: counts the SDK's BroadcastChannels, one per client made in
 * cookie mode, so a second client (StrictMode's double render) would show.
 */
export function countClients() {
  const Original = BroadcastChannel
  const w = window as unknown as { clients: number }
  w.clients = 0
  window.BroadcastChannel = class extends Original {
    constructor(name: string) {
      super(name)
      if (name.startsWith('edge-auth:')) w.clients++
    }
  }
}
