// The Spanish catalog: the English one's keys, each in Spanish.
import type { Messages } from '../en'
import { account } from './account'
import { apps } from './apps'
import { common } from './common'
import { identities } from './identities'
import { mail } from './mail'
import { problems } from './problems'
import { recovery } from './recovery'
import { security } from './security'
import { signin } from './signin'

export const es: Messages = {
  common,
  signin,
  account,
  recovery,
  identities,
  security,
  apps,
  mail,
  problems,
}
