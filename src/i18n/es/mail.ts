// Spanish: the emails (mail/templates.ts), in "tú".
import type { Messages } from '../en'
import { resetHow, signInCode, verificationHow } from './code'

export const mail: Messages['mail'] = {
  verification: {
    subject: (service) => `Confirma tu dirección de correo para ${service}`,
    why: (service, account) =>
      `Alguien (esperamos que tú) pidió a ${service} usar esta dirección para la cuenta «${account}». Si no es tu cuenta, no abras el enlace.`,
    how: verificationHow,
    ifNot: 'Si no fuiste tú, ignora este mensaje: nada cambia sin el enlace.',
    button: 'Confirmar esta dirección',
  },
  reset: {
    subject: (service) => `Restablece tu contraseña de ${service}`,
    why: (service) =>
      `Alguien (esperamos que tú) pidió restablecer la contraseña de tu cuenta de ${service}.`,
    how: resetHow,
    ifNot: 'Si no fuiste tú, ignora este mensaje: tu contraseña sigue igual.',
    button: 'Elegir una nueva contraseña',
  },
  notice: {
    subject: (service) => `Aviso de seguridad de ${service}`,
    happened: (what, when) => `${what} (${when})`,
    kinds: {
      password_changed: 'Se cambió la contraseña de tu cuenta y se cerraron tus demás sesiones.',
      password_reset:
        'Se restableció por correo la contraseña de tu cuenta y se cerraron todas las sesiones.',
      passkey_added: 'Se añadió una llave de acceso a tu cuenta.',
      passkey_removed: 'Se eliminó una llave de acceso de tu cuenta.',
      totp_enabled: 'Se activó la verificación en dos pasos en tu cuenta.',
      totp_disabled: 'Se desactivó la verificación en dos pasos en tu cuenta.',
      email_changed:
        'Tu cuenta usa ahora otra dirección de correo; esta ya no recibe sus mensajes.',
      session_ended_for_reuse:
        'Se cerró una sesión de tu cuenta porque su token de actualización se usó dos veces: puede que una copia esté en otras manos. Vuelve a iniciar sesión y, si no lo esperabas, cambia tu contraseña.',
      identity_linked:
        'Se conectó a tu cuenta el inicio de sesión con otro proveedor: ahora permite entrar en esta cuenta.',
      identity_removed:
        'Se desconectó de tu cuenta el inicio de sesión con otro proveedor: ya no permite entrar en esta cuenta.',
    },
    provider: (name) => `Proveedor: ${name}`,
    remaining: {
      none: 'Nada más permite entrar en tu cuenta: ninguna llave de acceso, ningún otro proveedor, y la verificación en dos pasos está desactivada.',
      some: 'Estos siguen permitiendo entrar en tu cuenta. Si alguno no es tuyo, inicia sesión y elimínalo en la página de tu cuenta (/account):',
      passkey: (name, date) => `Llave de acceso «${name}», añadida el ${date}`,
      identity: (provider, date) => `Inicio de sesión con «${provider}», conectado el ${date}`,
      totpOn: (service) =>
        `La verificación en dos pasos está activada: una aplicación de autenticación con el código de ${service} sigue funcionando con tu contraseña.`,
      totpOff: 'La verificación en dos pasos está desactivada.',
    },
    closing:
      'Si fuiste tú, no tienes que hacer nada. Si no, inicia sesión y protege tu cuenta: cambia tu contraseña y revisa tus sesiones, llaves de acceso y la verificación en dos pasos.',
  },
  signInCode: {
    subject: (service) => `Tu código de inicio de sesión para ${service}`,
    asked: (service) =>
      `Alguien pidió iniciar sesión en tu cuenta de ${service} con un código enviado a esta dirección.`,
    code: signInCode,
    ifNot:
      'Si no lo pediste, ignora este correo: sin el código nadie puede usarlo. No se lo des nunca a nadie.',
  },
}
