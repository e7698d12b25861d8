import type { Messages } from '../en'

export const account: Messages['account'] = {
  title: 'Votre compte',
  signedInAs: 'Connecté en tant que',
  sessionsTitle: 'Où vous êtes connecté',
  thisDevice: 'cet appareil',
  device: {
    unknownDevice: 'Appareil inconnu',
    browserOn: (browser, os) => `${browser} sur ${os}`,
    webBrowser: 'Navigateur web',
    inAppBrowser: 'Navigateur intégré à une application',
    cityInCountry: (city, country) => `${city}, ${country}`,
    tor: 'Réseau Tor',
  },
  lastUsed: (lastUsed, signedIn) => `utilisée le ${lastUsed}, connexion le ${signedIn}`,
  signOutHere: 'Se déconnecter ici',
  end: 'Terminer',
  signOutEverywhere: 'Se déconnecter partout',
  languageTitle: 'Langue',
  languageIntro: 'Ces pages et les e-mails que nous vous envoyons l’utilisent.',
  languageLabel: 'Langue',
  languageSave: 'Enregistrer',
  changePasswordTitle: 'Changer le mot de passe',
  setPasswordTitle: 'Définir un mot de passe',
  alsoPassword:
    'Vous pourrez alors aussi vous connecter avec votre nom d’utilisateur et un mot de passe.',
  otherSessionsEnd: 'Toutes les autres sessions prennent fin ; celle-ci reste connectée.',
  currentPassword: 'Mot de passe actuel',
  newPassword: 'Nouveau mot de passe',
  changePasswordButton: 'Changer le mot de passe',
  setPasswordButton: 'Définir le mot de passe',
  deleteTitle: 'Supprimer le compte',
  deleteWarning: 'Le compte et toutes les sessions prennent fin ; c’est irréversible.',
  deleteButton: 'Supprimer mon compte',
  confirmPassword: 'Mot de passe, pour confirmer',
  noPasswordNote:
    'Votre compte n’a pas de mot de passe : cela fonctionne dans les 10 minutes qui suivent la connexion.',
}
