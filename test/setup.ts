// Give D1 the real schema before the first test: once for the files that share a runtime
// (applyD1Migrations skips what is applied), and once per file in the isolated project.
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
