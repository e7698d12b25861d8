// The catalogs as written, TypeScript in every language: what scripts/assets.mjs compiles into
// the French and Spanish data files, and what the tests compare everything with. The worker
// imports English alone (catalogs.ts).
import type { Language } from './languages'
import { en, type Messages } from './en'
import { es } from './es'
import { fr } from './fr'

export const CATALOGS: Record<Language, Messages> = { en, fr, es }
