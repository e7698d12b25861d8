// Español: seguridad (llaves de acceso, verificación en dos pasos, códigos de recuperación).
import type { Messages } from '../en'
import { passkeyDetail, totpOn } from './code'

export const security: Messages['security'] = {
  passkeys: {
    title: 'Llaves de acceso',
    intro:
      'Inicia sesión con tu huella, tu cara o el bloqueo de pantalla en lugar de una contraseña.',
    none: 'Aún no tienes llaves de acceso.',
    detail: passkeyDetail,
    newName: 'Nuevo nombre',
    rename: 'Cambiar nombre',
    remove: 'Eliminar',
    nameLabel: 'Nombre de esta llave de acceso',
    nameHint: 'Opcional, por ejemplo «Portátil del trabajo»',
    add: 'Añadir una llave de acceso',
    needsScript:
      'Para añadir una llave de acceso se necesita JavaScript y un navegador compatible con llaves de acceso.',
    postedWithoutScript:
      'Para añadir una llave de acceso se necesita JavaScript; actívalo y vuelve a intentarlo.',
  },
  totp: {
    title: 'Verificación en dos pasos',
    off: 'Desactivada. Actívala para pedir, después de tu contraseña, un código de una aplicación de autenticación.',
    turnOn: 'Activar la verificación en dos pasos',
    on: totpOn,
    turnOffHow: 'Para desactivarla, indica tu contraseña o un código actual.',
    passwordLabel: 'Contraseña',
    codeLabel: 'O un código de tu aplicación',
    turnOff: 'Desactivar la verificación en dos pasos',
  },
  setup: {
    title: 'Activar la verificación en dos pasos',
    scan: 'Escanea este código con tu aplicación de autenticación y escribe el código que muestre.',
    qrLabel: 'Código QR de tu secreto de verificación en dos pasos',
    typeKey: 'O escribe esta clave:',
    codeLabel: 'Código de la aplicación',
    codeHint: 'Seis dígitos',
    confirm: 'Activar',
    cancel: 'Cancelar',
  },
  recoveryCodes: {
    title: 'Códigos de recuperación',
    on: 'La verificación en dos pasos está activada.',
    keep: 'Guarda estos códigos de recuperación en un lugar seguro. Cada uno sirve una sola vez, en lugar de un código, si pierdes tu aplicación. No se volverán a mostrar.',
    back: 'Volver a tu cuenta',
  },
  script: {
    waiting: 'Esperando tu llave de acceso…',
    followPrompt: 'Sigue las indicaciones de tu navegador…',
    cannotCreate: 'Este navegador no puede crear llaves de acceso.',
    usernameFirst:
      'Primero escribe un nombre de usuario arriba: debe tener de 3 a 32 caracteres (letras, dígitos, _ . -).',
    wrongPassword: 'La contraseña es incorrecta.',
    usernameTaken: 'Ese nombre de usuario ya está en uso; elige otro.',
    usernameInvalid:
      'El nombre de usuario debe tener de 3 a 32 caracteres (letras, dígitos, _ . -).',
    checkFailed:
      'No se pudo comprobar la llave de acceso, o la solicitud caducó; inténtalo de nuevo.',
    tooMany: 'Demasiados intentos; vuelve a intentarlo en {seconds} segundos.',
    exists: 'Esa llave de acceso ya está añadida.',
    cancelled: 'La solicitud de la llave de acceso se canceló o caducó.',
    unsupported: 'Este navegador no puede usar llaves de acceso aquí.',
    unreachable: 'No se pudo contactar con el servicio; inténtalo de nuevo.',
    failed: 'No ha funcionado; inténtalo de nuevo.',
  },
}
