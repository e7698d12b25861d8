// Français : applications (consentement, applications autorisées, déconnexion à la demande d’une
// application). Les noms d’applications, de ressources et leurs portées restent tels quels.
import type { Messages } from '../en'

export const apps: Messages['apps'] = {
  unnamed: 'Une application sans nom',
  consent: {
    title: 'Autoriser l’accès ?',
    wantsSignIn: 'souhaite vous connecter en tant que',
    wantsToUse: 'souhaite utiliser',
    as: 'en tant que',
    unchecked:
      'L’application a choisi son propre nom ; ce service ne l’a pas vérifié. Son identifiant est',
    documentAt: 'Cette application est identifiée par un document sur',
    documentSays: 'son nom et l’adresse où elle vous renvoie en proviennent.',
    trustHost: 'N’autorisez que si vous faites confiance à',
    asks: 'Elle demande à :',
    onResource: 'Sur',
    loopback: 'Elle vous renvoie vers un programme sur',
    thisComputer: 'cet ordinateur',
    nativeBefore: 'Elle vous renvoie vers une application de cet appareil qui ouvre les liens',
    nativeAfter: '.',
    trustStarted:
      'N’autorisez que si vous venez de lancer cette connexion depuis une application de confiance.',
    afterwards: 'Ensuite, vous revenez sur',
    allow: 'Autoriser',
    deny: 'Refuser',
    removeLater: 'Vous pourrez retirer l’accès de cette application plus tard depuis votre compte.',
  },
  scopes: {
    openid: 'Savoir que vous êtes ce compte (son identifiant, pas votre mot de passe)',
    profile: 'Voir votre nom d’utilisateur',
    email: 'Voir votre adresse e-mail, si vous en avez vérifié une',
    offline_access: 'Rester connectée en votre absence, jusqu’à ce que vous la retiriez',
  },
  refused: {
    title: 'Cette connexion ne peut pas se poursuivre',
    goBack: 'Revenez à l’application et réessayez, ou',
    accountLink: 'accédez à votre compte',
    unavailable:
      'Ce service n’est pas encore configuré pour permettre à d’autres applications de vous connecter.',
    unreadable: 'La demande n’a pas pu être lue.',
    tooLong:
      'L’application a envoyé une demande trop longue pour être conservée pendant la connexion.',
    gone: 'L’application ou ce qu’elle demande n’est plus disponible ici.',
    expiredSignIn:
      'Cette connexion a pris trop de temps ou a été commencée dans un autre navigateur.',
    notYours:
      'Cette demande a expiré ou a été présentée à quelqu’un d’autre. Recommencez depuis l’application.',
    unregistered: 'L’application n’est plus enregistrée auprès de ce service.',
    choose: 'Choisissez Autoriser ou Refuser.',
    answered: 'Cette demande a déjà reçu une réponse. Recommencez depuis l’application.',
  },
  refusedBecause: {
    repeated: (name) => `La demande indique ${name} deux fois.`,
    noClient: 'La demande n’indique pas son application (client_id).',
    unknownClient:
      'L’application qui vous a envoyé ici n’est pas enregistrée auprès de ce service, ou ne l’est plus.',
    unregisteredRedirect:
      'L’application demande à vous envoyer vers une adresse qu’elle n’a pas enregistrée.',
    noRedirect: 'La demande n’indique pas où vous renvoyer (redirect_uri).',
  },
  signOutRefusedBecause: {
    repeated: (name) => `La demande de déconnexion indique ${name} deux fois.`,
    badHint: 'L’application a envoyé une demande de déconnexion qui n’a pas pu être vérifiée.',
    twoApps: 'La demande de déconnexion nomme deux applications différentes.',
    tooLong: 'La demande de déconnexion est trop longue.',
    unknownClient:
      'L’application qui vous a envoyé ici n’est pas enregistrée auprès de ce service.',
    unregisteredRedirect:
      'L’application demande à vous envoyer vers une adresse qu’elle n’a pas enregistrée.',
  },
  invalid: {
    title: 'Cette demande ne peut pas aboutir',
    cannotComplete: 'L’application a envoyé une demande que ce service ne peut pas traiter :',
    returnTo: (host) => `Revenir à ${host}`,
  },
  returning: {
    title: 'Connexion réussie',
    returningTo: 'Retour vers',
    continueTo: (host) => `Continuer vers ${host}`,
  },
  connected: {
    title: 'Applications autorisées',
    on: 'sur',
    lastUsed: (scopes, when) => `${scopes} ; dernière utilisation le ${when}`,
    remove: 'Retirer',
  },
  signOut: {
    title: 'Se déconnecter ?',
    refusedTitle: 'La déconnexion ne peut pas se poursuivre',
    anApp: 'Une application demande à vous déconnecter de ce service.',
    namedApp: 'L’application',
    namedAsks: '(nom qu’elle se donne, non vérifié) demande à vous déconnecter de ce service.',
    signedInAs: 'Vous êtes connecté en tant que',
    signOut: 'Se déconnecter',
    stay: 'Rester connecté',
    eitherWay: 'Dans les deux cas, vous revenez sur',
    unreadable: 'La demande de déconnexion n’a pas pu être lue.',
    choose: 'Choisissez Se déconnecter ou Rester connecté.',
  },
  signedOut: {
    title: 'Déconnexion effectuée',
    done: 'Vous êtes déconnecté de ce service.',
    signInAgain: 'Se reconnecter',
    returnTo: (host) => `Revenir à ${host}`,
  },
}
