// The language an account's email is written in: read and changed by its owner. Mail to the
// account follows it whoever causes the mail (services/notices.ts mailLanguage). Knows nothing
// of Hono or bindings.
import type { AuthUser } from '../env'
import type { EventSink } from './events'
import type { Language } from '../i18n/languages'
import type { UserStore } from '../store/users'

export type LanguageDeps = { users: UserStore; events: EventSink }

export class LanguageService {
  constructor(private readonly deps: LanguageDeps) {}

  /** The caller's stored language, or null when its mail follows each request's. */
  async current(caller: AuthUser): Promise<{ language: Language | null }> {
    return { language: await this.deps.users.language(caller.id) }
  }

  /** Sets the caller's language (one of LANGUAGES: the route's schema refuses any other). */
  async set(caller: AuthUser, language: Language): Promise<{ language: Language }> {
    await this.deps.users.setLanguage(caller.id, language)
    this.deps.events.emit('language_changed', { userId: caller.id, language })
    return { language }
  }
}
