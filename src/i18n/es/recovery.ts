// Spanish: the pages behind the emails, sign-in with a mailed code, the account's email section.
import type { Messages } from '../en'

export const recovery: Messages['recovery'] = {
  verify: {
    title: 'Confirma tu dirección de correo',
    intro: 'Pulsa el botón para usar esta dirección en tu cuenta.',
    submit: 'Confirmar esta dirección',
    confirmed: (email: string) => `La dirección ${email} está confirmada para tu cuenta.`,
    toAccount: 'Ir a tu cuenta',
    taken: 'Esa dirección ya está confirmada para otra cuenta.',
    deadLink:
      'Este enlace ya se usó, caducó o se sustituyó por uno más reciente. Pide uno nuevo desde tu cuenta.',
  },
  forgot: {
    title: '¿Olvidaste tu contraseña?',
    intro:
      'Escribe tu nombre de usuario o tu dirección de correo verificada. Si la cuenta tiene una, le enviamos un enlace.',
    loginLabel: 'Nombre de usuario o dirección de correo',
    loginMissing: 'Escribe tu nombre de usuario o tu dirección de correo',
    submit: 'Envíame un enlace',
    backToSignIn: 'Volver a iniciar sesión',
    sentTitle: 'Revisa tu correo',
    sent: 'Si esa cuenta tiene una dirección de correo verificada, va de camino un enlace para restablecer su contraseña.',
  },
  reset: {
    title: 'Elige una contraseña nueva',
    newPasswordLabel: 'Contraseña nueva',
    newPasswordHint: 'De 8 a 128 caracteres',
    noWaysIn:
      'Tu cuenta no tiene llaves de acceso ni otros proveedores, y la verificación en dos pasos está desactivada.',
    waysInLegend:
      'Con estos métodos también se inicia sesión en tu cuenta. Elimina los que no reconozcas.',
    removePasskey: (name: string, added: string) =>
      `Eliminar la llave de acceso «${name}», añadida el ${added}`,
    disableTotp:
      'Desactivar la verificación en dos pasos (los códigos de tu app de autenticación dejarán de funcionar)',
    codeLabel: 'Para desactivarla: un código de tu app o un código de recuperación',
    codeHint: 'El correo por sí solo no puede desactivar la verificación en dos pasos',
    totpOff: 'La verificación en dos pasos está desactivada.',
    identitiesBefore: 'Iniciar sesión con',
    identitiesSeparator: ', ',
    identitiesAfter:
      'también funciona: si alguna de esas cuentas no es tuya, desconéctala en la página de tu cuenta cuando hayas iniciado sesión.',
    submit: 'Establecer la contraseña nueva',
    signsOutEverywhere: 'Se cerrará la sesión en todos los dispositivos conectados a la cuenta.',
    deadLink: 'Este enlace ya se usó, caducó o se sustituyó por uno más reciente.',
    askNewLink: 'Pedir un enlace nuevo',
    wrongCode: 'Ese código es incorrecto o ya se usó; prueba con el siguiente',
    changedConcurrently:
      'Otra persona cambió la contraseña mientras la restablecías, así que no se cambió nada y este enlace ya no sirve. Si no fuiste tú, pide un enlace nuevo.',
  },
  emailCode: {
    title: 'Iniciar sesión con un código por correo',
    emailLabel: 'Dirección de correo',
    emailHint: 'La dirección verificada de tu cuenta; le enviamos un código de 6 dígitos',
    emailInvalid: 'Escribe una dirección de correo, como alice@example.com',
    request: 'Envíame un código',
    backToSignIn: 'Volver a iniciar sesión',
    sent: 'Si alguna cuenta usa esa dirección, va de camino un código de inicio de sesión. Sirve durante 10 minutos.',
    codeLabel: (email: string) => `Código enviado a ${email}`,
    codeHint: 'Seis dígitos, válido durante 10 minutos',
    codeMissing: 'Escribe los 6 dígitos del correo',
    codeRefused:
      'El código es incorrecto, caducó, ya se usó o se agotaron sus intentos; pide uno nuevo',
    signIn: 'Iniciar sesión',
    sendAnother: 'Enviar otro código',
    mfaTitle: 'Inicio de sesión en dos pasos',
  },
  account: {
    title: 'Dirección de correo',
    noMail:
      'Este servicio todavía no envía correos, así que no se puede confirmar ninguna dirección.',
    currentBefore: 'Tu dirección es',
    currentAfter: '. Los enlaces para restablecer la contraseña se envían a ella.',
    none: 'No tienes ninguna dirección verificada. Con una, puedes restablecer una contraseña olvidada.',
    emailLabel: 'Dirección de correo',
    newEmailLabel: 'Dirección de correo nueva',
    emailHint: 'Le enviamos un enlace; pasa a ser tu dirección cuando lo abras',
    submit: 'Enviar el enlace',
    sent: (email: string) =>
      `Enviamos un enlace a ${email}. Ábrelo para usar esta dirección; hasta entonces no cambia nada. ¿Dirección equivocada? Envía otro: el enlace nuevo sustituye a este.`,
  },
}
