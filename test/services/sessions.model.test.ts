// A model-based test of the session rules: fast-check drives random interleavings of register,
// login, refresh (honest, lost responses, stale and replayed tokens), logout with each scope,
// session revoke, password change and account deletion through the real services on store
// doubles, and checks after every step that every token ever issued stands exactly where a
// small reference model says it does.
//
// The second variant reads through a lagging replica (each command's reads miss up to N recent
// writes younger than 60 s, as KV between locations). Answers may then be lenient for a moment,
// so it checks what must hold even so: the chain never forks, a session ends only for a cause,
// an ended session never returns, no false reuse alarm, and once the replica catches up
// (every lag-0 command) the model is exact again.
//
// FC_RUNS raises the number of runs (`FC_RUNS=10000 npm test -- sessions.model`).
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { refreshTokenId } from '../../src/auth/refresh-tokens'
import type { Config } from '../../src/env'
import { kvKeys } from '../../src/store/keys'
import { type RevocationMark, type SessionRecord, isEnded } from '../../src/store/sessions'
import { KV_MIN_EXPIRATION_TTL_SECONDS } from '../../src/env'
import { LaggingKV } from '../doubles/kv'
import { NO_CLIENT, codeOf, serviceConfig, servicesOn, sessionIdOf } from '../doubles/services'

const RUNS = Number(env.FC_RUNS) || 25
const SECOND = 1000
/** Long enough for FC_RUNS=10000. */
const HOUR = 3600 * SECOND
const CFG: Config = serviceConfig({
  refreshTokenTtl: 3600,
  sessionMaxAge: 3 * 3600,
  refreshReuseWindow: 10,
})
const NAMES = ['ann', 'bob', 'cy']
const PASSWORDS = ['first password', 'second password']

// ---------------------------------------------------------------------------------------------
// The reference model

type MToken = { value: string; id: string; firstAt: number; writtenAt: number }
type MSession = {
  id: string
  userId: string
  username: string
  createdAt: number
  endsAt: number
  chain: MToken[]
  /** The index of the token the honest client holds. */
  held: number
  ended: false | 'logout' | 'reuse'
  listed: boolean
  /** Someone other than the honest client presented one of its tokens. */
  tampered: boolean
}
type MUser = { id: string; name: string; password: string; deleted: boolean }
type Model = { users: MUser[]; sessions: MSession[] }

type Kind = 'current' | 'repeat' | 'replay' | 'reused' | 'ended' | 'ended-by-reuse' | 'unknown'

const idleLimit = (at: number, s: MSession) => Math.min(at + CFG.refreshTokenTtl * SECOND, s.endsAt)

/** When KV drops a token's record: its TTL in whole seconds, at least 60, from its last write. */
function storedUntil(t: MToken, s: MSession): number {
  const keepUntil = Math.min(idleLimit(t.writtenAt, s) + CFG.refreshTokenTtl * SECOND, s.endsAt)
  const ttl = Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((keepUntil - t.writtenAt) / SECOND))
  return t.writtenAt + ttl * SECOND
}

/** Where the model says token `i` of session `s` stands at `at`. */
function judge(s: MSession, i: number, at: number): Kind {
  const token = s.chain[i]!
  if (at >= storedUntil(token, s)) return 'unknown'
  if (s.ended === 'reuse') return 'ended-by-reuse'
  if (s.ended || at >= s.endsAt) return 'ended'
  const last = s.chain.length - 1
  if (i === last) return at < idleLimit(token.writtenAt, s) ? 'current' : 'unknown'
  const next = s.chain[i + 1]!
  const nextLive = at < idleLimit(next.writtenAt, s)
  if (i === last - 1) return nextLive ? 'repeat' : 'unknown'
  return at - next.writtenAt <= CFG.refreshReuseWindow * SECOND && nextLive ? 'replay' : 'reused'
}

/** The model's answer to a refresh, as the service's error code or 'ok'. */
const refreshAnswer = (kind: Kind) =>
  kind === 'current' || kind === 'repeat' || kind === 'replay'
    ? 'ok'
    : kind === 'reused' || kind === 'ended-by-reuse'
      ? 'refresh_token_reused'
      : 'invalid_refresh_token'

function endSession(s: MSession, reason: 'logout' | 'reuse') {
  if (!s.ended) s.ended = reason
  s.listed = false
}

/** "End all (but keep)": a mark covering every session that exists now. */
function endAll(m: Model, userId: string, keep?: string) {
  for (const s of m.sessions) {
    if (s.userId === userId && s.id !== keep) endSession(s, 'logout')
  }
}

// ---------------------------------------------------------------------------------------------
// The system under test

type Real = ReturnType<typeof servicesOn<LaggingKV>> & { lagging: boolean }

const now = () => Date.now()

const tokenOf = async (value: string, at: number): Promise<MToken> => ({
  value,
  id: await refreshTokenId(value, CFG.refreshTokenSecret),
  firstAt: at,
  writtenAt: at,
})

/** What the primary (every location, once caught up) holds for the session. */
function primaryEnded(r: Real, s: MSession): false | 'logout' | 'reuse' {
  const record = r.kv.peek<SessionRecord>(kvKeys.session(s.id))
  if (record && isEnded(record)) return record.reason
  const mark = r.kv.peek<RevocationMark>(kvKeys.revokedBefore(s.userId))
  if (mark && s.createdAt <= mark.at && mark.keep !== s.id) return 'logout'
  return false
}

/**
 * After every command: each session's end and listing, and where every token ever issued
 * stands, read through a caught-up view, must be what the model says.
 */
async function checkAll(m: Model, r: Real) {
  r.kv.lag = 0
  const at = now()
  for (const s of m.sessions) {
    // Past its end a session's records expire, and with them the trace of how it ended.
    if (at < s.endsAt) expect(primaryEnded(r, s), `session ${s.id} ended`).toBe(s.ended)
    expect(await r.d1.index.has(s.userId, s.id), `session ${s.id} listed`).toBe(s.listed)
    for (let i = 0; i < s.chain.length; i++) {
      const standing = await r.sessions.standing(s.chain[i]!.value, CFG, 'first-party')
      const kind =
        standing.kind === 'ended' ? (standing.byReuse ? 'ended-by-reuse' : 'ended') : standing.kind
      expect(kind, `token ${i} of session ${s.id}`).toBe(judge(s, i, at))
    }
  }
}

/**
 * With a lagging view, the service may have acted on stale reads. Learn what it did from the
 * primary, checking that it did only what some view of the truth allowed.
 */
async function learn(m: Model, r: Real, mayEnd: Set<string>) {
  for (const s of m.sessions) {
    if (now() >= s.endsAt) continue
    const ended = primaryEnded(r, s)
    // An ended session never returns.
    if (s.ended) expect(ended, `session ${s.id} came back`).not.toBe(false)
    // A session ends only for a cause: no honest client is logged out by a stale read.
    if (!s.ended && ended)
      expect(mayEnd.has(s.id), `session ${s.id} ended without cause`).toBe(true)
    if (ended) s.ended = ended
    const listed = await r.d1.index.has(s.userId, s.id)
    if (s.listed && !listed) expect(mayEnd.has(s.id), `session ${s.id} unlisted`).toBe(true)
    s.listed = listed
    // A successor written again by a location that missed the first write.
    for (const t of s.chain) {
      const record = r.kv.peek<{ createdAt: number }>(kvKeys.refreshToken(t.id))
      if (record) t.writtenAt = record.createdAt
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

type Cmd = fc.AsyncCommand<Model, Real>

abstract class Step implements Cmd {
  /** Whether the command acts on a session, and so needs one to exist. */
  protected readonly needsSession: boolean = true
  constructor(readonly lag: number) {}
  check(m: Readonly<Model>) {
    return !this.needsSession || m.sessions.length > 0
  }
  async run(m: Model, r: Real) {
    vi.setSystemTime(now() + 1) // every request takes some time
    r.kv.lag = this.lag
    const mayEnd = new Set<string>()
    await this.act(m, r, this.lag > 0, mayEnd)
    await r.settle()
    if (this.lag > 0) await learn(m, r, mayEnd)
    await checkAll(m, r)
  }
  abstract act(m: Model, r: Real, stale: boolean, mayEnd: Set<string>): Promise<void>
  abstract describe(): string
  toString() {
    return `${this.describe()}${this.lag ? ` @lag ${this.lag}` : ''}`
  }
}

const pick = <T>(items: readonly T[], n: number): T => items[n % items.length]!

/** Register or log in, with one of a few names and passwords, so they collide. */
abstract class CredentialStep extends Step {
  protected override readonly needsSession = false
  constructor(
    lag: number,
    readonly name: number,
    readonly password: number,
  ) {
    super(lag)
  }
  protected get credentials() {
    return { username: pick(NAMES, this.name), password: pick(PASSWORDS, this.password) }
  }
  describe() {
    return `${this.constructor.name.toLowerCase()}(${pick(NAMES, this.name)}, pw${this.password % 2})`
  }
}

class Register extends CredentialStep {
  async act(m: Model, r: Real) {
    const { username: name, password } = this.credentials
    const taken = m.users.some((u) => u.name === name && !u.deleted)
    let id = ''
    const code = await codeOf(r.auth.register(this.credentials).then((u) => (id = u.id)))
    expect(code).toBe(taken ? 'username_taken' : 'ok')
    if (!taken) m.users.push({ id, name, password, deleted: false })
  }
}

class Login extends CredentialStep {
  async act(m: Model, r: Real) {
    const { username: name, password } = this.credentials
    const user = m.users.find((u) => u.name === name && !u.deleted)
    const ok = user !== undefined && user.password === password
    let pair: { accessToken: string; refreshToken: string } | undefined
    const code = await codeOf(r.auth.login(this.credentials, NO_CLIENT).then((p) => (pair = p)))
    expect(code).toBe(ok ? 'ok' : 'invalid_credentials')
    if (!ok || !pair) return
    const at = now()
    m.sessions.push({
      id: sessionIdOf(pair.accessToken),
      userId: user.id,
      username: name,
      createdAt: at,
      endsAt: at + CFG.sessionMaxAge * SECOND,
      chain: [await tokenOf(pair.refreshToken, at)],
      held: 0,
      ended: false,
      listed: true,
      tampered: false,
    })
  }
}

type Presenter = 'honest' | 'lost' | 'stale'

/** Which token a presenter shows: the honest client's own, or any the chain ever had. */
function presented(m: Model, session: number, presenter: Presenter, token: number) {
  const s = pick(m.sessions, session)
  const i = presenter === 'stale' ? token % s.chain.length : s.held
  if (presenter === 'stale' && i !== s.held) s.tampered = true
  return { s, i }
}

/** A command that presents a refresh token: the honest client's own, or any the chain had. */
abstract class PresentingStep extends Step {
  constructor(
    lag: number,
    readonly session: number,
    readonly presenter: Presenter,
    readonly token: number,
  ) {
    super(lag)
  }
  protected presented(m: Model) {
    return presented(m, this.session, this.presenter, this.token)
  }
  protected get who() {
    const stale = this.presenter === 'stale' ? ` token ${this.token}` : ''
    return `session ${this.session}, ${this.presenter}${stale}`
  }
}

class Refresh extends PresentingStep {
  async act(m: Model, r: Real, stale: boolean, mayEnd: Set<string>) {
    const { s, i } = this.presented(m)
    const at = now()
    const kind = judge(s, i, at)
    // No honest client is logged out: untouched by anyone else, its token is never reuse.
    if (this.presenter !== 'stale' && !s.tampered) {
      expect(['current', 'repeat', 'unknown', 'ended']).toContain(kind)
    }
    let value = ''
    const code = await codeOf(
      r.auth.refresh(s.chain[i]!.value).then((p) => (value = p.refreshToken)),
    )
    const known = s.chain[i + 1]

    if (!stale) {
      expect(code).toBe(refreshAnswer(kind))
    } else {
      // Only a refresh that answers reuse may end its session.
      if (code === 'refresh_token_reused') mayEnd.add(s.id)
      // A stale view may miss a record (and refuse) or a newer one (and be lenient), but it
      // never raises reuse unless the chain moved past the token longer ago than the window.
      if (code === 'refresh_token_reused' && kind !== 'ended-by-reuse') {
        expect(s.chain.length - 1 - i).toBeGreaterThanOrEqual(2)
        expect(at - known!.firstAt).toBeGreaterThan(CFG.refreshReuseWindow * SECOND)
      }
      if (code !== 'ok') expect(['invalid_refresh_token', 'refresh_token_reused']).toContain(code)
    }
    if (code === 'refresh_token_reused' && kind === 'reused') endSession(s, 'reuse')
    if (code !== 'ok') return
    // The chain never forks: every exchange of a token returns its one successor.
    if (known) {
      expect(value).toBe(known.value)
    } else {
      expect(m.sessions.flatMap((x) => x.chain).some((t) => t.value === value)).toBe(false)
      s.chain.push(await tokenOf(value, at))
    }
    if (this.presenter === 'honest') s.held = i + 1
  }
  describe() {
    return `refresh(${this.who})`
  }
}

type Scope = 'local' | 'others' | 'global'

class Logout extends PresentingStep {
  constructor(
    lag: number,
    session: number,
    presenter: Presenter,
    token: number,
    readonly scope: Scope,
  ) {
    super(lag, session, presenter, token)
  }
  async act(m: Model, r: Real, stale: boolean, mayEnd: Set<string>) {
    const { s, i } = this.presented(m)
    const kind = judge(s, i, now())
    await r.auth.logout(s.chain[i]!.value, this.scope)
    if (stale) {
      for (const x of m.sessions) if (x.userId === s.userId) mayEnd.add(x.id)
      return
    }
    if (kind === 'reused') return endSession(s, 'reuse')
    if (kind !== 'current' && kind !== 'repeat' && kind !== 'replay') return
    if (this.scope === 'local') return endSession(s, 'logout')
    if (kind === 'replay' || !s.listed) return
    endAll(m, s.userId, this.scope === 'others' ? s.id : undefined)
  }
  describe() {
    return `logout(${this.who}, ${this.scope})`
  }
}

/** The caller of an account route: the user of one session, with its still-valid access token. */
const asCaller = (s: MSession) => ({
  id: s.userId,
  username: s.username,
  sessionId: s.id,
  amr: ['pwd' as const],
})

class EndOneSession extends Step {
  constructor(
    lag: number,
    readonly caller: number,
    readonly target: number,
  ) {
    super(lag)
  }
  async act(m: Model, r: Real, _stale: boolean, mayEnd: Set<string>) {
    const caller = pick(m.sessions, this.caller)
    const target = pick(m.sessions, this.target)
    const code = await codeOf(r.account.endSession(asCaller(caller), target.id))
    const owned = target.userId === caller.userId && target.listed
    expect(code).toBe(owned ? 'ok' : 'session_not_found')
    if (!owned) return
    mayEnd.add(target.id)
    endSession(target, 'logout')
  }
  describe() {
    return `DELETE /sessions(caller ${this.caller}, target ${this.target})`
  }
}

/** An account route, called with the access token of one session and a password. */
abstract class AccountStep extends Step {
  constructor(
    lag: number,
    readonly caller: number,
    readonly password: number,
  ) {
    super(lag)
  }

  /** The caller, its user, the password sent, and the answer the model expects for them. */
  protected callerOf(m: Model) {
    const caller = pick(m.sessions, this.caller)
    const user = m.users.find((u) => u.id === caller.userId)!
    const password = pick(PASSWORDS, this.password)
    // An ended session may not act on the account, password or not.
    const expected =
      user.deleted || !caller.listed
        ? 'invalid_token'
        : password !== user.password
          ? 'invalid_credentials'
          : 'ok'
    return { caller, user, password, expected }
  }
}

class ChangePassword extends AccountStep {
  async act(m: Model, r: Real, _stale: boolean, mayEnd: Set<string>) {
    const { caller, user, password, expected } = this.callerOf(m)
    const next = PASSWORDS.find((p) => p !== user.password)!
    const change = { currentPassword: password, newPassword: next }
    expect(await codeOf(r.account.changePassword(asCaller(caller), change))).toBe(expected)
    if (expected !== 'ok') return
    for (const x of m.sessions) if (x.userId === user.id && x.id !== caller.id) mayEnd.add(x.id)
    user.password = next
    // The caller's own session stays signed in only if it is still running.
    endAll(m, user.id, caller.listed ? caller.id : undefined)
  }
  describe() {
    return `change password(caller ${this.caller}, pw${this.password % 2})`
  }
}

class DeleteAccount extends AccountStep {
  async act(m: Model, r: Real, _stale: boolean, mayEnd: Set<string>) {
    const { caller, user, password, expected } = this.callerOf(m)
    // Deleting an account already deleted completes the end again, and answers as it did.
    const answer = user.deleted ? 'ok' : expected
    expect(await codeOf(r.account.deleteAccount(asCaller(caller), password))).toBe(answer)
    if (expected !== 'ok') return
    for (const x of m.sessions) if (x.userId === user.id) mayEnd.add(x.id)
    endAll(m, user.id)
    user.deleted = true
  }
  describe() {
    return `delete account(caller ${this.caller}, pw${this.password % 2})`
  }
}

class Advance extends Step {
  protected override readonly needsSession = false
  constructor(readonly ms: number) {
    super(0)
  }
  async act() {
    vi.setSystemTime(now() + this.ms)
  }
  describe() {
    return `wait ${this.ms / SECOND} s`
  }
}

function commands(maxLag: number) {
  const lag = maxLag
    ? fc.oneof(fc.constant(0), fc.integer({ min: 1, max: maxLag }))
    : fc.constant(0)
  const n = fc.nat(20)
  const presenter = fc.constantFrom<Presenter>('honest', 'honest', 'lost', 'stale')
  return fc.commands(
    [
      fc.tuple(lag, n, n).map(([l, a, b]) => new Register(l, a, b)),
      fc.tuple(lag, n, n).map(([l, a, b]) => new Login(l, a, b)),
      fc.tuple(lag, n, n).map(([l, a, b]) => new Login(l, a, b)),
      fc.tuple(lag, n, presenter, n).map(([l, a, p, b]) => new Refresh(l, a, p, b)),
      fc.tuple(lag, n, presenter, n).map(([l, a, p, b]) => new Refresh(l, a, p, b)),
      fc.tuple(lag, n, presenter, n).map(([l, a, p, b]) => new Refresh(l, a, p, b)),
      fc
        .tuple(lag, n, presenter, n, fc.constantFrom<Scope>('local', 'others', 'global'))
        .map(([l, a, p, b, s]) => new Logout(l, a, p, b, s)),
      fc.tuple(lag, n, n).map(([l, a, b]) => new EndOneSession(l, a, b)),
      fc.tuple(lag, n, n).map(([l, a, b]) => new ChangePassword(l, a, b)),
      fc.tuple(lag, n, n).map(([l, a, b]) => new DeleteAccount(l, a, b)),
      fc
        .constantFrom(
          1,
          5 * SECOND,
          9 * SECOND,
          11 * SECOND,
          61 * SECOND,
          40 * 60 * SECOND,
          2 * 3600 * SECOND,
        )
        .map((ms) => new Advance(ms)),
    ],
    { maxCommands: 40, size: 'max' },
  )
}

async function runModel(maxLag: number) {
  await fc.assert(
    fc.asyncProperty(commands(maxLag), async (cmds) => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.UTC(2026, 10, 25, 12))
      try {
        const real = Object.assign(servicesOn(new LaggingKV(), CFG), { lagging: maxLag > 0 })
        // Every run starts with one signed-in user, so the commands have sessions to work on.
        const model: Model = { users: [], sessions: [] }
        await new Register(0, 0, 0).act(model, real)
        await new Login(0, 0, 0).act(model, real)
        await fc.asyncModelRun(() => ({ model, real }), cmds)
      } finally {
        vi.useRealTimers()
      }
    }),
    { numRuns: RUNS },
  )
}

describe('session rules against a reference model', () => {
  afterEach(() => vi.useRealTimers())

  it('a consistent store: every token stands exactly where the model says', { timeout: HOUR }, () =>
    runModel(0),
  )

  it(
    'a lagging replica: no fork, no end without cause, no return, exact once caught up',
    { timeout: HOUR },
    () => runModel(6),
  )
})
