import type { Messages } from '../en'
import { fieldError, rateLimited } from './code'

export const common: Messages['common'] = {
  languages: 'Langues',
  fieldError,
  notices: {
    password: 'Votre mot de passe est modifié ; vos autres sessions sont terminées.',
    signedout: 'Vous êtes déconnecté.',
    deleted: 'Votre compte est supprimé.',
    passkey: 'Votre clé d’accès est ajoutée.',
    passkeyremoved: 'La clé d’accès est supprimée.',
    passkeyrenamed: 'La clé d’accès est renommée.',
    totpoff: 'L’authentification à deux facteurs est désactivée.',
    reset: 'Votre mot de passe est modifié et toutes les sessions sont terminées. Connectez-vous.',
    connected: 'Le compte est associé : il vous connecte désormais ici.',
    disconnected: 'Le compte est dissocié.',
    language: 'Votre langue est enregistrée : ces pages et vos e-mails l’utilisent.',
    appremoved:
      'L’application est retirée : elle ne peut plus renouveler son accès, qui prend fin d’ici quelques minutes.',
  },
  refusals: {
    mailUnavailable: 'Ce service ne peut pas encore envoyer d’e-mails ; réessayez plus tard.',
    invalidCredentials: () => 'Identifiant ou mot de passe incorrect.',
    reauthenticationRequired: () =>
      'Confirmez votre identité : saisissez votre mot de passe, ou reconnectez-vous (compte sans mot de passe).',
    usernameTaken: 'Ce nom d’utilisateur est déjà pris ; choisissez-en un autre.',
    passwordChangedConcurrently:
      'Votre mot de passe a été modifié depuis une autre session ; reconnectez-vous.',
    rateLimited,
    invalidMfaCode: 'Ce code est erroné ou a déjà servi ; essayez le suivant.',
    invalidMfaToken:
      'Cette connexion a pris trop de temps ou compté trop de codes erronés ; recommencez.',
    totpEnabled: () => 'L’authentification à deux facteurs est déjà activée.',
    totpNotEnrolled: () =>
      'L’authentification à deux facteurs n’est pas activée, ou aucune activation n’est en cours.',
    lastSignInMethod: () =>
      'C’est le dernier moyen de vous connecter à ce compte : ajoutez d’abord un mot de passe, une clé d’accès ou un autre fournisseur.',
    passkeyNotFound: 'Vous n’avez pas de telle clé d’accès.',
  },
  unreadableForm: {
    title: 'Le formulaire n’a pas pu être lu',
    wrongType:
      'Cette page n’accepte que le formulaire qu’elle affiche. Revenez en arrière, rechargez la page et renvoyez-le.',
    damaged:
      'Le formulaire est arrivé endommagé. Revenez en arrière, rechargez la page et renvoyez-le.',
    goToAccount: 'Aller à votre compte',
    or: 'ou',
    signIn: 'se connecter',
  },
}
