// Two projects: the worker's tests run inside workerd with the real D1 and KV bindings
// (miniflare), migrated before each file; the client SDK's run in Node, as a browser app's
// build and its server-side users would, and drive real Chromium for the browser tests.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { copyAssets } from './scripts/assets.mjs'
import { generateKeySet } from './scripts/signing-keys.mjs'

// Test secrets in the shapes `npm run dev` generates: 64 hex characters, an ES256 key set, and an
// RSA one (RS256 ID tokens).
const TEST_SECRETS = {
  ACCESS_TOKEN_SECRET: 'a'.repeat(16) + '0123456789abcdef'.repeat(3),
  REFRESH_TOKEN_SECRET: 'b'.repeat(16) + 'fedcba9876543210'.repeat(3),
  JWT_PRIVATE_KEYS: generateKeySet('ES256'),
  MFA_ENCRYPTION_KEY: 'c'.repeat(16) + '0123456789abcdef'.repeat(3),
  OIDC_RSA_KEYS: generateKeySet('RS256'),
}

const migrations = await readD1Migrations('./migrations')
// wrangler.toml's [assets] directory must be complete before the pool reads it.
copyAssets()

export default defineConfig({
  test: {
    // The worker's JSON log lines are shown for failing tests only.
    silent: 'passed-only',
    // CI reads the counts from this file; people read the default reporter.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.ci/out/vitest.json' }] as const]
      : ['default'],
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...TEST_SECRETS,
                TEST_MIGRATIONS: migrations,
                // Runs of the model-based test (test/services/sessions.model.test.ts).
                FC_RUNS: process.env.FC_RUNS ?? '',
              },
            },
          }),
        ],
        test: {
          name: 'worker',
          include: ['test/**/*.test.ts'],
          setupFiles: ['./test/setup.ts'],
          // A scripted HTTP server on a loopback port for the outbound-fetch and discovery tests.
          // Two real OpenID providers (oidc-provider) on loopback ports for the sign-in tests.
          globalSetup: ['./test/global/outbound-server.ts', './test/global/openid-provider.ts'],
        },
      },
      {
        test: { name: 'client', include: ['client/test/**/*.test.ts'], environment: 'node' },
      },
      // edge-auth/resource and the example MCP server (run under Miniflare by its own test).
      {
        test: {
          name: 'resource',
          include: ['resource/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          environment: 'node',
        },
      },
    ],
  },
})
