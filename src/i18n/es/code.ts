// Spanish messages that compute their words (plurals, durations, a choice of phrase), kept as code:
// the rest of the catalog is text, compiled to data at build time (src/i18n/catalog-data.ts) and
// read from the static assets, while these ship in the worker.

/** Each form field's rule, for a field the form refused; else a general word. */
const FIELD_ERRORS: Record<string, string> = {
  username: 'Escribe de 3 a 32 caracteres: letras, números, _ . o -.',
  password: 'La contraseña debe tener de 8 a 128 caracteres.',
  newPassword: 'La contraseña debe tener de 8 a 128 caracteres.',
  currentPassword: 'Escribe tu contraseña actual.',
  email: 'Escribe una dirección de correo, por ejemplo alice@example.com.',
  code: 'Escribe el código de 6 dígitos de tu aplicación o un código de recuperación.',
}

export const fieldError = (field: string) => FIELD_ERRORS[field] ?? 'Revisa este campo.'

export const rateLimited = (seconds: number) =>
  `Demasiados intentos; inténtalo de nuevo en ${seconds} segundo${seconds === 1 ? '' : 's'}.`

/** Cuánto dura un enlace: en horas enteras, si no en minutos. */
const duration = (minutes: number) => {
  if (minutes >= 60) {
    const hours = Math.round(minutes / 60)
    return `${hours} hora${hours === 1 ? '' : 's'}`
  }
  return `${minutes} minuto${minutes === 1 ? '' : 's'}`
}

export const verificationHow = (minutes: number) =>
  `Para confirmarla, abre el enlace de abajo. Funciona una sola vez, durante ${duration(minutes)}.`

export const resetHow = (minutes: number) =>
  `Para elegir una nueva, abre el enlace de abajo. Funciona una sola vez, durante ${duration(minutes)}, hasta que se envíe un enlace más reciente o cambie la contraseña. Enviamos como máximo un enlace cada cinco minutos: si lo pediste de nuevo menos de cinco minutos después de este mensaje, usa este. Al restablecerla se cierran todas tus sesiones.`

export const signInCode = (code: string, minutes: number) =>
  `Tu código es ${code}. Funciona una sola vez, durante ${duration(minutes)}.`

export const passkeyDetail = (synced: boolean, added: string, lastUsed: string | null) =>
  `${synced ? 'sincronizada' : 'solo en este dispositivo'}, añadida el ${added}${lastUsed ? `, último uso el ${lastUsed}` : ''}`

export const totpOn = (left: number, total: number) =>
  `Activada. ${left === 1 ? 'Te queda' : 'Te quedan'} ${left} de ${total} códigos de recuperación.`
