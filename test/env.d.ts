// Bindings that exist only under test (see vitest.config.ts): the migrations, and the secrets
// the test config sets, which `wrangler types` cannot see because they are not in wrangler.toml.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
    FC_RUNS: string
    ACCESS_TOKEN_SECRET: string
    REFRESH_TOKEN_SECRET: string
    JWT_PRIVATE_KEYS: string
    MFA_ENCRYPTION_KEY: string
  }
}
