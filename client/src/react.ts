// edge-auth/react: the SDK's state in React. One client per <AuthProvider>, one subscription to
// its onChange; the hooks read from context. Built on the SDK's own methods (no polling: a tab
// hears of sign-ins and sign-outs in other tabs through the SDK's broadcast). No JSX, so the
// package needs no JSX settings; react is a peer dependency, never bundled.
import {
  type ReactNode,
  createContext,
  Fragment,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react'
import {
  type AuthClient,
  type AuthClientOptions,
  type AuthStatus,
  type Session,
  type SignedInUser,
  createAuthClient,
} from './index.js'

export type AuthProviderProps = { children?: ReactNode } & (
  { client: AuthClient; options?: never } | { options: AuthClientOptions; client?: never }
)

export interface UseAuth {
  status: AuthStatus
  user: SignedInUser | null
  signIn: AuthClient['signIn']
  signOut: AuthClient['signOut']
  fetch: AuthClient['fetch']
  /** The SDK client itself, for everything else (passkeys, two-factor, …). */
  client: AuthClient
}

export interface UseSessions {
  /** The signed-in user's sessions, most recently used first; [] when signed out. */
  sessions: Session[]
  loading: boolean
  /** The last load's AuthError, if it failed. */
  error: unknown
  reload(): Promise<void>
  /** Ends a session: another device's by id, or this one (signOut(), every tab). */
  end(id: string): Promise<void>
}

type Snapshot = { status: AuthStatus; user: SignedInUser | null }

const Auth = createContext<UseAuth | null>(null)

/** What a server render sees: nothing asked yet. */
const LOADING: Snapshot = { status: 'loading', user: null }

/**
 * The client made for an options object. StrictMode renders a component twice on mount, and
 * React 18 keeps neither state nor refs from the first render, so without this the second
 * render would make a second client (a second channel to the other tabs). React hands both
 * renders the same props object, so it is the key; a later render keeps the first client.
 */
const made = new WeakMap<AuthClientOptions, AuthClient>()

function clientFor(options: AuthClientOptions): AuthClient {
  let client = made.get(options)
  if (!client) made.set(options, (client = createAuthClient(options)))
  return client
}

/**
 * Provides one SDK client to the hooks below it: `client` (made by the app) or `options` (for
 * createAuthClient, read once: a changed object later makes no new client).
 */
export function AuthProvider({ client, options, children }: AuthProviderProps) {
  const first = useRef<AuthClient | null>(null)
  const auth = (first.current ??= client ?? clientFor(options!))
  // A snapshot object per state, so React sees a change only when there is one.
  const last = useRef<Snapshot>(LOADING)
  const snapshot = useSyncExternalStore(
    // Subscribing starts the SDK's ready() once, whatever StrictMode does with the effect.
    useCallback((changed: () => void) => auth.onChange(changed), [auth]),
    () => {
      const { status, user } = auth
      if (last.current.status !== status || last.current.user !== user) {
        last.current = { status, user }
      }
      return last.current
    },
    () => LOADING,
  )
  const value = useMemo<UseAuth>(
    () => ({
      ...snapshot,
      signIn: auth.signIn,
      signOut: auth.signOut,
      fetch: auth.fetch,
      client: auth,
    }),
    [auth, snapshot],
  )
  return createElement(Auth.Provider, { value }, children)
}

/** Status, user and the main actions; only inside an <AuthProvider>. */
export function useAuth(): UseAuth {
  const auth = useContext(Auth)
  if (!auth) throw new Error('useAuth() needs an <AuthProvider> above it')
  return auth
}

/** Its children once signed in; nothing while loading or signed out. */
export const SignedIn = ({ children }: { children?: ReactNode }) =>
  createElement(Fragment, null, useAuth().status === 'signed-in' ? children : null)

/** Its children once known to be signed out; nothing while loading or signed in. */
export const SignedOut = ({ children }: { children?: ReactNode }) =>
  createElement(Fragment, null, useAuth().status === 'signed-out' ? children : null)

/** The signed-in user's sessions, loaded on sign-in and whenever the user changes. */
export function useSessions(): UseSessions {
  const { client, status, user } = useAuth()
  const [sessions, setSessions] = useState<Session[]>([])
  const [loading, setLoading] = useState(status !== 'signed-out')
  const [error, setError] = useState<unknown>(null)
  // Only the latest load may set the list: an older answer (another user's) is dropped.
  const latest = useRef(0)

  // A new function (so a new load) at each change of status or user.
  const reload = useCallback(async () => {
    const at = ++latest.current
    if (status === 'loading') return // still loading: asked once the status is known
    if (status === 'signed-out') {
      setSessions([])
      setLoading(false)
      setError(null)
      return
    }
    setLoading(true)
    try {
      const list = await client.sessions()
      if (at === latest.current) {
        setSessions(list)
        setError(null)
      }
    } catch (err) {
      if (at === latest.current) setError(err)
    } finally {
      if (at === latest.current) setLoading(false)
    }
  }, [client, status, user?.id])

  useEffect(() => {
    // Started a microtask later, so StrictMode's mount, unmount and mount asks once, not twice.
    let live = true
    queueMicrotask(() => {
      if (live) void reload()
    })
    return () => {
      live = false
      // A load still on its way when the user changes is stale.
      latest.current++
    }
  }, [reload])

  const end = useCallback(
    async (id: string) => {
      if (sessions.find((s) => s.id === id)?.current) return client.signOut()
      await client.endSession(id)
      await reload()
    },
    [client, sessions, reload],
  )

  return { sessions, loading, error, reload, end }
}
