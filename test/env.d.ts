// Bindings that exist only under test (see vitest.config.ts): the migrations and the model
// test's run count. The secrets the test config sets are repeated here so the tests type them
// whatever worker-configuration.d.ts (made from the dev secret names, npm run types) says.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[]
    FC_RUNS: string
    ACCESS_TOKEN_SECRET: string
    REFRESH_TOKEN_SECRET: string
    JWT_PRIVATE_KEYS: string
    OIDC_RSA_KEYS: string
    MFA_ENCRYPTION_KEY: string
  }
}
