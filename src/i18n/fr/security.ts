// Français : sécurité (clés d'accès, authentification à deux facteurs, codes de secours).
import type { Messages } from '../en'
import { passkeyDetail, totpOn } from './code'

export const security: Messages['security'] = {
  passkeys: {
    title: 'Clés d’accès',
    intro:
      'Connectez-vous avec votre empreinte, votre visage ou le verrouillage de l’écran au lieu d’un mot de passe.',
    none: 'Vous n’avez encore aucune clé d’accès.',
    detail: passkeyDetail,
    newName: 'Nouveau nom',
    rename: 'Renommer',
    remove: 'Supprimer',
    nameLabel: 'Nom de cette clé d’accès',
    nameHint: 'Facultatif, par exemple « Ordinateur du travail »',
    add: 'Ajouter une clé d’accès',
    needsScript:
      'L’ajout d’une clé d’accès nécessite JavaScript et un navigateur compatible avec les clés d’accès.',
    postedWithoutScript:
      'L’ajout d’une clé d’accès nécessite JavaScript ; activez-le et réessayez.',
  },
  totp: {
    title: 'Authentification à deux facteurs',
    off: 'Désactivée. Activez-la pour demander, après votre mot de passe, un code d’une application d’authentification.',
    turnOn: 'Activer l’authentification à deux facteurs',
    on: totpOn,
    turnOffHow: 'Pour la désactiver, indiquez votre mot de passe ou un code actuel.',
    passwordLabel: 'Mot de passe',
    codeLabel: 'Ou un code de votre application',
    turnOff: 'Désactiver l’authentification à deux facteurs',
  },
  setup: {
    title: 'Activer l’authentification à deux facteurs',
    scan: 'Scannez ce code avec votre application d’authentification, puis saisissez le code qu’elle affiche.',
    qrLabel: 'QR code de votre secret d’authentification à deux facteurs',
    typeKey: 'Ou saisissez cette clé :',
    codeLabel: 'Code de l’application',
    codeHint: 'Six chiffres',
    confirm: 'Activer',
    cancel: 'Annuler',
  },
  recoveryCodes: {
    title: 'Codes de secours',
    on: 'L’authentification à deux facteurs est activée.',
    keep: 'Conservez ces codes de secours en lieu sûr. Chacun fonctionne une seule fois, à la place d’un code, si vous perdez votre application. Ils ne seront plus affichés.',
    back: 'Retour à votre compte',
  },
  script: {
    waiting: 'En attente de votre clé d’accès…',
    followPrompt: 'Suivez les instructions de votre navigateur…',
    cannotCreate: 'Ce navigateur ne peut pas créer de clés d’accès.',
    usernameFirst:
      'Saisissez d’abord un nom d’utilisateur ci-dessus : il doit comporter de 3 à 32 caractères (lettres, chiffres, _ . -).',
    wrongPassword: 'Le mot de passe est incorrect.',
    usernameTaken: 'Ce nom d’utilisateur est déjà pris ; choisissez-en un autre.',
    usernameInvalid:
      'Le nom d’utilisateur doit comporter de 3 à 32 caractères (lettres, chiffres, _ . -).',
    checkFailed:
      'La clé d’accès n’a pas pu être vérifiée, ou la demande a expiré ; veuillez réessayer.',
    tooMany: 'Trop de tentatives ; réessayez dans {seconds} secondes.',
    exists: 'Cette clé d’accès est déjà ajoutée.',
    cancelled: 'La demande de clé d’accès a été annulée ou a expiré.',
    unsupported: 'Ce navigateur ne peut pas utiliser de clés d’accès ici.',
    unreachable: 'Le service est injoignable ; veuillez réessayer.',
    failed: 'Cela n’a pas fonctionné ; veuillez réessayer.',
  },
}
