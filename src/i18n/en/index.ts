// The English catalog, which every other language must match key for key (TypeScript checks the
// shapes; test/i18n/catalogs.test.ts checks them at run time too). A message that takes values is
// a function, so each language words its plurals and its order itself.
import { account } from './account'
import { apps } from './apps'
import { common } from './common'
import { identities } from './identities'
import { mail } from './mail'
import { problems } from './problems'
import { recovery } from './recovery'
import { security } from './security'
import { signin } from './signin'

export const en = { common, signin, account, recovery, identities, security, apps, mail, problems }

export type Messages = typeof en
