// French messages that compute their words (plurals, durations, a choice of phrase), kept as code:
// the rest of the catalog is text, compiled to data at build time (src/i18n/catalog-data.ts) and
// read from the static assets, while these ship in the worker.

/** Each form field's rule, for a field the form refused; else a general word. */
const FIELD_ERRORS: Record<string, string> = {
  username: 'Saisissez de 3 à 32 caractères : lettres, chiffres, _ . ou -.',
  password: 'Le mot de passe doit compter de 8 à 128 caractères.',
  newPassword: 'Le mot de passe doit compter de 8 à 128 caractères.',
  currentPassword: 'Saisissez votre mot de passe actuel.',
  email: 'Saisissez une adresse e-mail, par exemple alice@example.com.',
  code: 'Saisissez le code à 6 chiffres de votre application, ou un code de récupération.',
}

export const fieldError = (field: string) => FIELD_ERRORS[field] ?? 'Vérifiez ce champ.'

export const rateLimited = (seconds: number) =>
  `Trop de tentatives ; réessayez dans ${seconds} seconde${seconds > 1 ? 's' : ''}.`

/** Combien de temps un lien fonctionne : en heures entières, sinon en minutes (0 et 1 au singulier). */
const duration = (minutes: number) => {
  if (minutes >= 60) {
    const hours = Math.round(minutes / 60)
    return `${hours} heure${hours > 1 ? 's' : ''}`
  }
  return `${minutes} minute${minutes > 1 ? 's' : ''}`
}

export const verificationHow = (minutes: number) =>
  `Pour la confirmer, ouvrez le lien ci-dessous. Il ne fonctionne qu’une fois, pendant ${duration(minutes)}.`

export const resetHow = (minutes: number) =>
  `Pour en choisir un nouveau, ouvrez le lien ci-dessous. Il ne fonctionne qu’une fois, pendant ${duration(minutes)}, jusqu’à l’envoi d’un lien plus récent ou jusqu’au prochain changement de mot de passe. Nous envoyons au plus un lien toutes les cinq minutes : si vous avez refait la demande moins de cinq minutes après ce message, utilisez celui-ci. La réinitialisation vous déconnecte partout.`

export const signInCode = (code: string, minutes: number) =>
  `Votre code est ${code}. Il ne fonctionne qu’une fois, pendant ${duration(minutes)}.`

export const passkeyDetail = (synced: boolean, added: string, lastUsed: string | null) =>
  `${synced ? 'synchronisée' : 'sur cet appareil uniquement'}, ajoutée le ${added}${lastUsed ? `, dernière utilisation le ${lastUsed}` : ''}`

// 0 and 1 are singular in French.
export const totpOn = (left: number, total: number) =>
  `Activée. Il reste ${left} ${left <= 1 ? 'code' : 'codes'} de secours sur ${total}.`
