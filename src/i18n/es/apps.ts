// Español: aplicaciones (consentimiento, aplicaciones permitidas, cierre de sesión pedido por una
// aplicación). Los nombres de aplicaciones, de recursos y sus permisos se muestran tal cual.
import type { Messages } from '../en'

export const apps: Messages['apps'] = {
  unnamed: 'Una aplicación sin nombre',
  consent: {
    title: '¿Permitir el acceso?',
    wantsSignIn: 'quiere iniciar tu sesión como',
    wantsToUse: 'quiere usar',
    as: 'como',
    unchecked:
      'La aplicación eligió su propio nombre; este servicio no lo ha comprobado. Su identificador es',
    documentAt: 'Esta aplicación se identifica mediante un documento en',
    documentSays: 'su nombre y la dirección a la que te envía proceden de ahí.',
    trustHost: 'Permite el acceso solo si confías en',
    asks: 'Pide:',
    onResource: 'En',
    loopback: 'Te devuelve a un programa de',
    thisComputer: 'este ordenador',
    nativeBefore: 'Te devuelve a una aplicación de este dispositivo que abre los enlaces',
    nativeAfter: '.',
    trustStarted:
      'Permite el acceso solo si acabas de iniciar esta sesión desde una aplicación de confianza.',
    afterwards: 'Después vuelves a',
    allow: 'Permitir',
    deny: 'Denegar',
    removeLater: 'Puedes quitar el acceso de esta aplicación más tarde desde tu cuenta.',
  },
  scopes: {
    openid: 'Saber que eres esta cuenta (su identificador, no tu contraseña)',
    profile: 'Ver tu nombre de usuario',
    email: 'Ver tu dirección de correo electrónico, si has verificado una',
    offline_access: 'Seguir conectada mientras no estás, hasta que la quites',
  },
  refused: {
    title: 'Este inicio de sesión no puede continuar',
    goBack: 'Vuelve a la aplicación e inténtalo de nuevo, o',
    accountLink: 've a tu cuenta',
    unavailable:
      'Este servicio aún no está configurado para que otras aplicaciones inicien tu sesión.',
    unreadable: 'No se pudo leer la solicitud.',
    tooLong:
      'La aplicación envió una solicitud demasiado larga para conservarla durante el inicio de sesión.',
    gone: 'La aplicación o lo que pide ya no está disponible aquí.',
    expiredSignIn: 'Este inicio de sesión tardó demasiado o se empezó en otro navegador.',
    notYours:
      'Esta solicitud caducó o se mostró a otra persona. Vuelve a empezar desde la aplicación.',
    unregistered: 'La aplicación ya no está registrada en este servicio.',
    choose: 'Elige Permitir o Denegar.',
    answered: 'Esta solicitud ya se respondió. Vuelve a empezar desde la aplicación.',
  },
  refusedBecause: {
    repeated: (name) => `La solicitud indica ${name} dos veces.`,
    noClient: 'La solicitud no indica su aplicación (client_id).',
    unknownClient:
      'La aplicación que te envió aquí no está registrada en este servicio, o ya no lo está.',
    unregisteredRedirect: 'La aplicación pide enviarte a una dirección que no ha registrado.',
    noRedirect: 'La solicitud no indica adónde devolverte (redirect_uri).',
  },
  signOutRefusedBecause: {
    repeated: (name) => `La solicitud de cierre de sesión indica ${name} dos veces.`,
    badHint: 'La aplicación envió una solicitud de cierre de sesión que no se pudo comprobar.',
    twoApps: 'La solicitud de cierre de sesión nombra dos aplicaciones distintas.',
    tooLong: 'La solicitud de cierre de sesión es demasiado larga.',
    unknownClient: 'La aplicación que te envió aquí no está registrada en este servicio.',
    unregisteredRedirect: 'La aplicación pide enviarte a una dirección que no ha registrado.',
  },
  invalid: {
    title: 'Esta solicitud no se puede completar',
    cannotComplete: 'La aplicación envió una solicitud que este servicio no puede completar:',
    returnTo: (host) => `Volver a ${host}`,
  },
  returning: {
    title: 'Sesión iniciada',
    returningTo: 'Volviendo a',
    continueTo: (host) => `Continuar a ${host}`,
  },
  connected: {
    title: 'Aplicaciones que has permitido',
    on: 'en',
    lastUsed: (scopes, when) => `${scopes}; último uso: ${when}`,
    remove: 'Quitar',
  },
  signOut: {
    title: '¿Cerrar sesión?',
    refusedTitle: 'No se puede cerrar la sesión',
    anApp: 'Una aplicación pide cerrar tu sesión en este servicio.',
    namedApp: 'La aplicación',
    namedAsks: '(su propio nombre, sin comprobar) pide cerrar tu sesión en este servicio.',
    signedInAs: 'Has iniciado sesión como',
    signOut: 'Cerrar sesión',
    stay: 'Mantener la sesión',
    eitherWay: 'En ambos casos vuelves a',
    unreadable: 'No se pudo leer la solicitud de cierre de sesión.',
    choose: 'Elige Cerrar sesión o Mantener la sesión.',
  },
  signedOut: {
    title: 'Sesión cerrada',
    done: 'Has cerrado la sesión en este servicio.',
    signInAgain: 'Volver a iniciar sesión',
    returnTo: (host) => `Volver a ${host}`,
  },
}
