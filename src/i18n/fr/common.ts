import type { Messages } from '../en'

/** Each form field's rule, for a field the form refused; else a general word. */
const FIELD_ERRORS: Record<string, string> = {
  username: 'Saisissez de 3 à 32 caractères : lettres, chiffres, _ . ou -.',
  password: 'Le mot de passe doit compter de 8 à 128 caractères.',
  newPassword: 'Le mot de passe doit compter de 8 à 128 caractères.',
  currentPassword: 'Saisissez votre mot de passe actuel.',
  email: 'Saisissez une adresse e-mail, par exemple alice@example.com.',
  code: 'Saisissez le code à 6 chiffres de votre application, ou un code de récupération.',
}

export const common: Messages['common'] = {
  languages: 'Langues',
  fieldError: (field) => FIELD_ERRORS[field] ?? 'Vérifiez ce champ.',
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
    rateLimited: (seconds) =>
      `Trop de tentatives ; réessayez dans ${seconds} seconde${seconds > 1 ? 's' : ''}.`,
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
