// French: the pages behind the emails, sign-in with a mailed code, the account's email section.
// French typography: a no-break space (U+00A0) before : ; ? ! and inside « ».
import type { Messages } from '../en'

export const recovery: Messages['recovery'] = {
  verify: {
    title: 'Confirmez votre adresse e-mail',
    intro: 'Appuyez sur le bouton pour utiliser cette adresse pour votre compte.',
    submit: 'Confirmer cette adresse',
    confirmed: (email: string) => `L'adresse ${email} est confirmée pour votre compte.`,
    toAccount: 'Aller à votre compte',
    taken: 'Cette adresse est déjà confirmée pour un autre compte.',
    deadLink:
      'Ce lien a déjà servi, a expiré ou a été remplacé par un lien plus récent. Demandez-en un nouveau depuis votre compte.',
  },
  forgot: {
    title: 'Mot de passe oublié ?',
    intro:
      "Saisissez votre nom d'utilisateur ou votre adresse e-mail vérifiée. Si le compte en a une, nous lui envoyons un lien.",
    loginLabel: "Nom d'utilisateur ou adresse e-mail",
    loginMissing: "Saisissez votre nom d'utilisateur ou votre adresse e-mail",
    submit: 'Envoyez-moi un lien',
    backToSignIn: 'Retour à la connexion',
    sentTitle: 'Consultez vos e-mails',
    sent: 'Si ce compte a une adresse e-mail vérifiée, un lien pour réinitialiser son mot de passe est en route.',
  },
  reset: {
    title: 'Choisissez un nouveau mot de passe',
    newPasswordLabel: 'Nouveau mot de passe',
    newPasswordHint: '8 à 128 caractères',
    noWaysIn:
      "Votre compte n'a aucune clé d'accès ni aucun autre fournisseur, et l'authentification à deux facteurs est désactivée.",
    waysInLegend:
      'Ces moyens permettent aussi de se connecter à votre compte. Supprimez ceux que vous ne reconnaissez pas.',
    removePasskey: (name: string, added: string) =>
      `Supprimer la clé d'accès « ${name} », ajoutée le ${added}`,
    disableTotp:
      "Désactiver l'authentification à deux facteurs (les codes de votre application d'authentification ne fonctionneront plus)",
    codeLabel: 'Pour la désactiver : un code de votre application, ou un code de récupération',
    codeHint: "L'e-mail seul ne permet pas de désactiver l'authentification à deux facteurs",
    totpOff: "L'authentification à deux facteurs est désactivée.",
    identitiesBefore: 'La connexion avec',
    identitiesSeparator: ', ',
    identitiesAfter:
      "fonctionne aussi : si l'un de ces comptes n'est pas le vôtre, déconnectez-le depuis la page de votre compte une fois connecté.",
    submit: 'Définir le nouveau mot de passe',
    signsOutEverywhere: 'Tous les appareils connectés au compte seront déconnectés.',
    deadLink: 'Ce lien a déjà servi, a expiré ou a été remplacé par un lien plus récent.',
    askNewLink: 'Demander un nouveau lien',
    wrongCode: 'Ce code est incorrect ou a déjà servi ; essayez le suivant',
    changedConcurrently:
      "Le mot de passe a été changé par quelqu'un d'autre pendant votre réinitialisation : rien n'a donc été modifié, et ce lien ne peut plus servir. Si ce n'était pas vous, demandez un nouveau lien.",
  },
  emailCode: {
    title: 'Se connecter avec un code reçu par e-mail',
    emailLabel: 'Adresse e-mail',
    emailHint: "L'adresse vérifiée de votre compte ; nous lui envoyons un code à 6 chiffres",
    emailInvalid: 'Saisissez une adresse e-mail, par exemple alice@example.com',
    request: 'Envoyez-moi un code',
    backToSignIn: 'Retour à la connexion',
    sent: 'Si un compte utilise cette adresse, un code de connexion est en route. Il est valable 10 minutes.',
    codeLabel: (email: string) => `Code envoyé à ${email}`,
    codeHint: 'Six chiffres, valable 10 minutes',
    codeMissing: "Saisissez les 6 chiffres reçus dans l'e-mail",
    codeRefused:
      'Le code est incorrect, expiré, déjà utilisé ou ses essais sont épuisés ; demandez-en un nouveau',
    signIn: 'Se connecter',
    sendAnother: 'Envoyer un autre code',
    mfaTitle: 'Connexion à deux facteurs',
  },
  account: {
    title: 'Adresse e-mail',
    noMail:
      "Ce service n'envoie pas encore d'e-mails : aucune adresse ne peut donc être confirmée.",
    currentBefore: 'Votre adresse est',
    currentAfter: '. Les liens de réinitialisation du mot de passe y sont envoyés.',
    none: "Vous n'avez aucune adresse vérifiée. Avec une adresse, vous pourrez réinitialiser un mot de passe oublié.",
    emailLabel: 'Adresse e-mail',
    newEmailLabel: 'Nouvelle adresse e-mail',
    emailHint: 'Nous y envoyons un lien ; elle devient votre adresse une fois le lien ouvert',
    submit: 'Envoyer le lien',
    sent: (email: string) =>
      `Nous avons envoyé un lien à ${email}. Ouvrez-le pour utiliser cette adresse ; d'ici là, rien ne change. Mauvaise adresse ? Envoyez-en un autre : le nouveau lien remplace celui-ci.`,
  },
}
