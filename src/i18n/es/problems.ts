// Spanish: the API's problem details an end user may be shown, in "tú".
import type { Messages } from '../en'

export const problems: Messages['problems'] = {
  details: {
    invalidCredentials: 'El nombre de usuario o la contraseña son incorrectos',
    passwordIncorrect: 'La contraseña es incorrecta',
    confirmWithPassword: 'Confirma con tu contraseña',
    noPasswordLeaveOut: 'Tu cuenta no tiene contraseña: deja este campo vacío',
    usernameTaken: 'Ese nombre de usuario ya está registrado',
    tooManyLogins: 'Demasiados inicios de sesión fallidos; vuelve a intentarlo más tarde',
    tooManySignIns: 'Demasiados inicios de sesión fallidos; vuelve a intentarlo más tarde',
    tooManyPasswordChecks: 'Demasiadas contraseñas incorrectas; vuelve a intentarlo más tarde',
    tooManyCodes: 'Demasiados códigos incorrectos; vuelve a intentarlo más tarde',
    tooManyRequests: 'Demasiadas solicitudes; vuelve a intentarlo más tarde',
    enoughEmail: 'Esta dirección ya ha recibido suficientes correos por ahora',
    invalidMfaCode: 'El código es incorrecto, ha caducado o ya se usó',
    invalidMfaToken:
      'El inicio de sesión caducó, ya se completó o recibió demasiados códigos incorrectos; vuelve a iniciar sesión',
    invalidEmailCode:
      'El código es incorrecto, ha caducado, ya se usó o no le quedan intentos; pide uno nuevo',
    invalidEmailToken:
      'El enlace no es válido, ya se usó, fue sustituido por uno más reciente o ha caducado',
    emailTaken: 'Esa dirección está verificada para otra cuenta',
    passwordChangedConcurrently:
      'Otra solicitud cambió la contraseña mientras tanto; esta no cambió nada (el enlace de restablecimiento que usó ya no sirve)',
    reauthenticate:
      'Tu cuenta no tiene contraseña: vuelve a iniciar sesión para confirmar que eres tú y reinténtalo en menos de 10 minutos',
    sessionEnded: 'Esta sesión ha terminado; vuelve a iniciar sesión',
    emailUnavailable: 'El correo aún no está configurado en este servicio',
    storageUnavailable:
      'El almacenamiento no está disponible por el momento; reinténtalo enseguida',
    bodyInvalid: 'El cuerpo de la solicitud no es válido',
    queryInvalid: 'Los parámetros de la solicitud no son válidos',
    paramInvalid: 'La ruta de la solicitud no es válida',
    bodyNotJson: 'El cuerpo debe ser application/json',
    jsonInvalid: 'El cuerpo no es JSON válido',
  },
  fields: {
    string: 'debe ser una cadena de texto',
    notEmpty: 'no debe estar vacío',
    username: 'debe tener de 3 a 32 caracteres: letras, dígitos, _ . -',
    unicode: 'debe ser texto Unicode válido',
    email: 'debe ser una dirección de correo, por ejemplo alice@example.com',
    login: 'debe ser un nombre de usuario o una dirección de correo',
    sixDigits: 'debe tener 6 dígitos',
    emailCode: 'debe ser los 6 dígitos del correo',
    boolean: 'debe ser un booleano',
    tooLong: 'es demasiado largo',
    language: 'debe ser en, fr o es',
    passwordLength: (min, max) => `debe tener de ${min} a ${max} caracteres`,
  },
}
