// Every language's messages, by language.
import type { Language } from './languages'
import { en, type Messages } from './en'
import { es } from './es'
import { fr } from './fr'

export type { Messages } from './en'

export const CATALOGS: Record<Language, Messages> = { en, fr, es }

export const messagesFor = (lang: Language): Messages => CATALOGS[lang]
