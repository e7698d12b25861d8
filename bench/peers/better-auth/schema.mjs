// Writes schema.sql: the SQLite DDL better-auth's own migrator (getMigrations, what
// `npx auth migrate` runs) produces for authOptions, compiled against an empty in-memory SQLite
// database. Rerun after upgrading better-auth: node bench/peers/better-auth/schema.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { getMigrations } from 'better-auth/db/migration'
import { authOptions } from './auth-options.mjs'

const { version } = JSON.parse(
  readFileSync(new URL('../../../node_modules/better-auth/package.json', import.meta.url), 'utf8'),
)
const options = {
  ...authOptions({ secret: 'x'.repeat(32), baseURL: 'http://localhost' }),
  database: new DatabaseSync(':memory:'),
}
const { compileMigrations, toBeCreated } = await getMigrations(options)
const sql = await compileMigrations()
writeFileSync(
  new URL('./schema.sql', import.meta.url),
  `-- better-auth ${version}: getMigrations(authOptions) against an empty SQLite database (schema.mjs)\n` +
    sql.replace(/;\n\n/g, ';\n') +
    '\n',
)
console.log(`schema.sql: ${toBeCreated.map((t) => t.table).join(', ')}`)
