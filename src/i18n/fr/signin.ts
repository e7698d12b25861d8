import type { Messages } from '../en'

export const signin: Messages['signin'] = {
  signInTitle: 'Connexion',
  signUpTitle: 'Créer un compte',
  mfaTitle: 'Connexion à deux facteurs',
  username: 'Nom d’utilisateur',
  usernameOrEmail: 'Nom d’utilisateur ou adresse e-mail',
  usernameHint: 'De 3 à 32 lettres, chiffres, _ . ou -',
  password: 'Mot de passe',
  passwordHint: 'De 8 à 128 caractères',
  email: 'Adresse e-mail (facultative)',
  emailHint:
    'Permet de réinitialiser un mot de passe oublié ; nous envoyons un lien pour la confirmer',
  signInButton: 'Se connecter',
  signUpButton: 'Créer le compte',
  haveAccount: 'Vous avez un compte ?',
  signInLink: 'Connectez-vous',
  noAccount: 'Pas encore de compte ?',
  createLink: 'Créez-en un',
  forgotLink: 'Mot de passe oublié ?',
  passkeySignUpIntro:
    'Ou, sans mot de passe : choisissez un nom d’utilisateur ci-dessus et utilisez une clé d’accès sur cet appareil.',
  passkeySignUpButton: 'Créer un compte avec une clé d’accès',
  passkeySignInIntro: 'Ou, sans nom d’utilisateur ni mot de passe :',
  passkeySignInButton: 'Se connecter avec une clé d’accès',
  emailCodeLink: 'Recevoir plutôt un code de connexion par e-mail',
  mfaCode: 'Code de votre application d’authentification',
  mfaHint: 'Six chiffres, ou l’un de vos codes de récupération',
  mfaMissing: 'Saisissez le code à 6 chiffres de votre application, ou un code de récupération',
  continue: 'Continuer',
  accountDisabled:
    'Ce compte a été désactivé : il ne peut pas se connecter. Si vous pensez que c’est une erreur, contactez l’administrateur du service.',
}
