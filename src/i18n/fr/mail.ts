// French: the emails (mail/templates.ts), in "vous".
import type { Messages } from '../en'
import { resetHow, signInCode, verificationHow } from './code'

export const mail: Messages['mail'] = {
  verification: {
    subject: (service) => `Confirmez votre adresse e-mail pour ${service}`,
    why: (service, account) =>
      `Quelqu’un (vous, nous l’espérons) a demandé à ${service} d’utiliser cette adresse pour le compte « ${account} ». Si ce n’est pas votre compte, n’ouvrez pas le lien.`,
    how: verificationHow,
    ifNot:
      'Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne change sans le lien.',
    button: 'Confirmer cette adresse',
  },
  reset: {
    subject: (service) => `Réinitialisez votre mot de passe ${service}`,
    why: (service) =>
      `Quelqu’un (vous, nous l’espérons) a demandé à réinitialiser le mot de passe de votre compte ${service}.`,
    how: resetHow,
    ifNot:
      'Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.',
    button: 'Choisir un nouveau mot de passe',
  },
  notice: {
    subject: (service) => `Avis de sécurité de ${service}`,
    happened: (what, when) => `${what} (${when})`,
    kinds: {
      password_changed:
        'Le mot de passe de votre compte a été modifié, et vos autres sessions ont pris fin.',
      password_reset:
        'Le mot de passe de votre compte a été réinitialisé par e-mail, et toutes les sessions ont pris fin.',
      passkey_added: 'Une clé d’accès a été ajoutée à votre compte.',
      passkey_removed: 'Une clé d’accès a été supprimée de votre compte.',
      totp_enabled: 'L’authentification à deux facteurs a été activée sur votre compte.',
      totp_disabled: 'L’authentification à deux facteurs a été désactivée sur votre compte.',
      email_changed:
        'Votre compte utilise désormais une autre adresse e-mail ; celle-ci ne reçoit plus ses messages.',
      session_ended_for_reuse:
        'Une connexion à votre compte a été fermée, car son jeton d’actualisation a été utilisé deux fois : une copie est peut-être entre d’autres mains. Reconnectez-vous et, si vous ne vous y attendiez pas, changez votre mot de passe.',
      identity_linked:
        'La connexion avec un autre fournisseur a été associée à votre compte : elle permet désormais de se connecter à ce compte.',
      identity_removed:
        'La connexion avec un autre fournisseur a été dissociée de votre compte : elle ne permet plus de se connecter à ce compte.',
    },
    provider: (name) => `Fournisseur : ${name}`,
    remaining: {
      none: 'Rien d’autre ne permet de se connecter à votre compte : aucune clé d’accès, aucun autre fournisseur, et l’authentification à deux facteurs est désactivée.',
      some: 'Ces moyens permettent toujours de se connecter à votre compte. Si l’un d’eux n’est pas le vôtre, connectez-vous et supprimez-le sur la page de votre compte (/account) :',
      passkey: (name, date) => `Clé d’accès « ${name} », ajoutée le ${date}`,
      identity: (provider, date) => `Connexion avec « ${provider} », associée le ${date}`,
      totpOn: (service) =>
        `L’authentification à deux facteurs est activée : une application d’authentification contenant le code de ${service} fonctionne toujours avec votre mot de passe.`,
      totpOff: 'L’authentification à deux facteurs est désactivée.',
    },
    closing:
      'Si c’était vous, il n’y a rien à faire. Sinon, connectez-vous et sécurisez votre compte : changez votre mot de passe et vérifiez vos sessions, vos clés d’accès et l’authentification à deux facteurs.',
  },
  signInCode: {
    subject: (service) => `Votre code de connexion à ${service}`,
    asked: (service) =>
      `Quelqu’un a demandé à se connecter à votre compte ${service} avec un code envoyé à cette adresse.`,
    code: signInCode,
    ifNot:
      'Si vous ne l’avez pas demandé, ignorez cet e-mail : sans le code, personne ne peut l’utiliser. Ne le communiquez jamais à personne.',
  },
}
