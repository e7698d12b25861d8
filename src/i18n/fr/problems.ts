// French: the API's problem details an end user may be shown, in "vous".
import type { Messages } from '../en'

export const problems: Messages['problems'] = {
  details: {
    invalidCredentials: 'Le nom d’utilisateur ou le mot de passe est incorrect',
    passwordIncorrect: 'Le mot de passe est incorrect',
    confirmWithPassword: 'Confirmez avec votre mot de passe',
    noPasswordLeaveOut: 'Votre compte n’a pas de mot de passe : laissez ce champ vide',
    usernameTaken: 'Ce nom d’utilisateur est déjà pris',
    tooManyLogins: 'Trop de connexions échouées ; réessayez plus tard',
    tooManySignIns: 'Trop de connexions échouées ; réessayez plus tard',
    tooManyPasswordChecks: 'Trop de mots de passe erronés ; réessayez plus tard',
    tooManyCodes: 'Trop de codes erronés ; réessayez plus tard',
    tooManyRequests: 'Trop de requêtes ; réessayez plus tard',
    enoughEmail: 'Cette adresse a reçu assez d’e-mails pour le moment',
    invalidMfaCode: 'Le code est erroné, expiré ou déjà utilisé',
    invalidMfaToken:
      'La connexion a expiré, a déjà abouti ou a reçu trop de codes erronés ; reconnectez-vous',
    invalidEmailCode:
      'Le code est erroné, expiré, déjà utilisé ou n’a plus d’essais ; demandez-en un nouveau',
    invalidEmailToken: 'Le lien est invalide, déjà utilisé, remplacé par un plus récent ou expiré',
    emailTaken: 'Cette adresse est vérifiée pour un autre compte',
    passwordChangedConcurrently:
      'Le mot de passe a été modifié entre-temps par une autre requête ; celle-ci n’a rien changé (le lien de réinitialisation utilisé n’est plus valable)',
    reauthenticate:
      'Votre compte n’a pas de mot de passe : reconnectez-vous pour confirmer votre identité, puis réessayez dans les 10 minutes',
    sessionEnded: 'Cette session a pris fin ; reconnectez-vous',
    emailUnavailable: 'L’envoi d’e-mails n’est pas encore configuré sur ce service',
    storageUnavailable: 'Le stockage est momentanément indisponible ; réessayez dans un instant',
    bodyInvalid: 'Le corps de la requête est invalide',
    queryInvalid: 'Les paramètres de la requête sont invalides',
    paramInvalid: 'Le chemin de la requête est invalide',
    bodyNotJson: 'Le corps doit être en application/json',
    jsonInvalid: 'Le corps n’est pas du JSON valide',
  },
  fields: {
    string: 'doit être une chaîne de caractères',
    notEmpty: 'ne doit pas être vide',
    username: 'doit faire de 3 à 32 caractères : lettres, chiffres, _ . -',
    unicode: 'doit être un texte Unicode valide',
    email: 'doit être une adresse e-mail, par exemple alice@example.com',
    login: 'doit être un nom d’utilisateur ou une adresse e-mail',
    sixDigits: 'doit comporter 6 chiffres',
    emailCode: 'doit comporter les 6 chiffres reçus par e-mail',
    boolean: 'doit être un booléen',
    tooLong: 'est trop long',
    language: 'doit être en, fr ou es',
    passwordLength: (min, max) => `doit faire de ${min} à ${max} caractères`,
  },
}
