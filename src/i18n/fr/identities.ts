// French: signing in with another provider, and the account's section that connects providers.
// French typography: a no-break space (U+00A0) before : ; ? !
import type { Messages } from '../en'

export const identities: Messages['identities'] = {
  buttons: {
    intro: 'Ou continuez avec un autre compte :',
    continueWith: (provider: string) => `Continuer avec ${provider}`,
  },
  section: {
    title: "Connexion avec d'autres comptes",
    none: 'Aucun autre compte ne permet de se connecter à celui-ci.',
    connectedOn: (date: string) => `connecté le ${date}`,
    disconnect: 'Déconnecter',
    connect: (provider: string) => `Connecter ${provider}`,
  },
  signInTitle: 'Connexion',
  mfaTitle: 'Connexion à deux facteurs',
  refused: {
    noSuchProvider: "Ce moyen de connexion n'existe pas.",
    stateRefused:
      'Cette connexion ne peut pas être terminée dans ce navigateur (elle a expiré, a déjà été terminée ou a été commencée ailleurs) ; recommencez-la',
    cancelled: (provider: string) => `La connexion avec ${provider} a été annulée`,
    notConfirmed: (provider: string) =>
      `${provider} n'a pas confirmé votre identité ; recommencez la connexion`,
    notTheSameAccount:
      "Vous n'êtes plus connecté au compte qui a demandé la connexion ; connectez-vous et réessayez",
    failed: "La connexion n'a pas abouti ; recommencez-la",
    misconfigured: "La connexion avec ce fournisseur n'est pas configurée correctement",
    unreachable: (provider: string) =>
      `${provider} est injoignable pour le moment ; réessayez plus tard`,
    identityTaken: (provider: string) =>
      `Ce compte ${provider} permet déjà de se connecter à un autre compte ici`,
    identityNotFound: "Votre compte n'a pas d'identité chez ce fournisseur",
    alreadyLinked: (provider: string) =>
      `Un compte ${provider} est déjà connecté à votre compte ; déconnectez-le d'abord`,
    sessionEnded: 'Cette session est terminée ; reconnectez-vous',
  },
}
