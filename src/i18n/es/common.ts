import type { Messages } from '../en'
import { fieldError, rateLimited } from './code'

export const common: Messages['common'] = {
  languages: 'Idiomas',
  fieldError,
  notices: {
    password: 'Tu contraseña ha cambiado; tus otras sesiones se han cerrado.',
    signedout: 'Has cerrado la sesión.',
    deleted: 'Tu cuenta se ha eliminado.',
    passkey: 'Tu llave de acceso se ha añadido.',
    passkeyremoved: 'La llave de acceso se ha quitado.',
    passkeyrenamed: 'La llave de acceso se ha renombrado.',
    totpoff: 'La verificación en dos pasos está desactivada.',
    reset: 'Tu contraseña ha cambiado y se han cerrado todas las sesiones. Inicia sesión.',
    connected: 'La cuenta está conectada: ahora te permite iniciar sesión aquí.',
    disconnected: 'La cuenta se ha desconectado.',
    language: 'Tu idioma se ha guardado: estas páginas y tus correos lo usan.',
    appremoved:
      'La aplicación se ha quitado: ya no puede renovar su acceso, que termina en unos minutos.',
  },
  refusals: {
    mailUnavailable: 'Este servicio aún no puede enviar correos; inténtalo más tarde.',
    invalidCredentials: () => 'El usuario o la contraseña no son correctos.',
    reauthenticationRequired: () =>
      'Confirma que eres tú: escribe tu contraseña o vuelve a iniciar sesión (cuenta sin contraseña).',
    usernameTaken: 'Ese nombre de usuario ya existe; elige otro.',
    passwordChangedConcurrently:
      'Tu contraseña se cambió desde otra sesión; vuelve a iniciar sesión.',
    rateLimited,
    invalidMfaCode: 'Ese código es incorrecto o ya se usó; prueba con el siguiente.',
    invalidMfaToken:
      'Este inicio de sesión tardó demasiado o tuvo demasiados códigos incorrectos; empieza de nuevo.',
    totpEnabled: () => 'La verificación en dos pasos ya está activada.',
    totpNotEnrolled: () =>
      'La verificación en dos pasos no está activada o no hay ninguna activación en curso.',
    lastSignInMethod: () =>
      'Es la última forma de entrar en la cuenta: añade antes una contraseña, una llave de acceso u otro proveedor.',
    passkeyNotFound: 'No tienes esa llave de acceso.',
  },
  unreadableForm: {
    title: 'No se pudo leer el formulario',
    wrongType:
      'Esta página solo acepta el formulario que muestra. Vuelve atrás, recarga la página y envíalo de nuevo.',
    damaged: 'El formulario llegó dañado. Vuelve atrás, recarga la página y envíalo de nuevo.',
    goToAccount: 'Ir a tu cuenta',
    or: 'o',
    signIn: 'iniciar sesión',
  },
}
