// Spanish: signing in with another provider, and the account's section that connects providers.
import type { Messages } from '../en'

export const identities: Messages['identities'] = {
  buttons: {
    intro: 'O continúa con otra cuenta:',
    continueWith: (provider: string) => `Continuar con ${provider}`,
  },
  section: {
    title: 'Inicio de sesión con otras cuentas',
    none: 'Ninguna otra cuenta inicia sesión en esta.',
    connectedOn: (date: string) => `conectada el ${date}`,
    disconnect: 'Desconectar',
    connect: (provider: string) => `Conectar ${provider}`,
  },
  signInTitle: 'Iniciar sesión',
  mfaTitle: 'Inicio de sesión en dos pasos',
  refused: {
    noSuchProvider: 'No existe esa forma de iniciar sesión.',
    stateRefused:
      'Este inicio de sesión no se puede terminar en este navegador (caducó, ya se terminó o se empezó en otro lugar); empieza de nuevo',
    cancelled: (provider: string) => `Se canceló el inicio de sesión con ${provider}`,
    notConfirmed: (provider: string) =>
      `${provider} no confirmó quién eres; vuelve a empezar el inicio de sesión`,
    notTheSameAccount:
      'Ya no tienes la sesión iniciada con la cuenta que pidió la conexión; inicia sesión e inténtalo de nuevo',
    failed: 'El inicio de sesión no se completó; empieza de nuevo',
    misconfigured: 'El inicio de sesión con este proveedor no está bien configurado',
    unreachable: (provider: string) =>
      `No se puede contactar con ${provider} en este momento; inténtalo más tarde`,
    identityTaken: (provider: string) =>
      `Esa cuenta de ${provider} ya inicia sesión en otra cuenta de aquí`,
    identityNotFound: 'Tu cuenta no tiene ninguna identidad en ese proveedor',
    alreadyLinked: (provider: string) =>
      `Tu cuenta ya tiene conectada una cuenta de ${provider}; desconéctala primero`,
    sessionEnded: 'Esta sesión ha terminado; vuelve a iniciar sesión',
  },
}
