import type { Messages } from '../en'

export const signin: Messages['signin'] = {
  signInTitle: 'Iniciar sesión',
  signUpTitle: 'Crear una cuenta',
  mfaTitle: 'Inicio de sesión en dos pasos',
  username: 'Nombre de usuario',
  usernameOrEmail: 'Nombre de usuario o correo electrónico',
  usernameHint: 'De 3 a 32 letras, números, _ . o -',
  password: 'Contraseña',
  passwordHint: 'De 8 a 128 caracteres',
  email: 'Correo electrónico (opcional)',
  emailHint: 'Te permite restablecer una contraseña olvidada; enviamos un enlace para confirmarlo',
  signInButton: 'Iniciar sesión',
  signUpButton: 'Crear cuenta',
  haveAccount: '¿Ya tienes cuenta?',
  signInLink: 'Inicia sesión',
  noAccount: '¿Aún no tienes cuenta?',
  createLink: 'Crea una',
  forgotLink: '¿Olvidaste tu contraseña?',
  passkeySignUpIntro:
    'O, sin contraseña: elige un nombre de usuario arriba y usa una llave de acceso en este dispositivo.',
  passkeySignUpButton: 'Crear una cuenta con una llave de acceso',
  passkeySignInIntro: 'O, sin nombre de usuario ni contraseña:',
  passkeySignInButton: 'Iniciar sesión con una llave de acceso',
  emailCodeLink: 'Enviarme un código de acceso por correo',
  mfaCode: 'Código de tu aplicación de autenticación',
  mfaHint: 'Seis dígitos, o uno de tus códigos de recuperación',
  mfaMissing: 'Escribe el código de 6 dígitos de tu aplicación o un código de recuperación',
  continue: 'Continuar',
  accountDisabled:
    'Esta cuenta ha sido desactivada, así que no puede iniciar sesión. Si cree que es un error, póngase en contacto con el administrador del servicio.',
}
