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

/**
 * Test files that need a runtime of their own: each asserts on everything in a table (every
 * endpoint's deliveries, no endpoint subscribed at all, what a purge removed, fixed row ids), on
 * what the shared webhook queue delivers, or on what an isolate logs or limits once. A new test
 * that counts a whole table belongs here.
 */
const NEEDS_FRESH_RUNTIME = [
  'test/consumers/queue.test.ts',
  'test/consumers/scheduled.test.ts',
  'test/examples/webhook-receiver.test.ts',
  'test/flows/audit.test.ts',
  'test/flows/operations.redteam.test.ts',
  'test/flows/webhooks.attacks.test.ts',
  'test/flows/webhooks.subscriptions.test.ts',
  'test/http/catalog-assets.test.ts',
  'test/http/rate-limit.test.ts',
  'test/routes/admin-webhooks.test.ts',
  'test/routes/cookie-mode.test.ts',
  'test/store/webhook-deliveries.test.ts',
  'test/store/webhook-endpoints.test.ts',
]

/** The worker's tests: inside workerd with the real D1, KV and queue bindings (miniflare). */
function workerProject(
  name: string,
  files: { isolate: boolean; include?: string[]; exclude?: string[] },
) {
  return {
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
      name,
      include: files.include ?? ['test/**/*.test.ts'],
      exclude: files.exclude ?? [],
      isolate: files.isolate,
      setupFiles: ['./test/setup.ts'],
      // A scripted HTTP server on a loopback port for the outbound-fetch and discovery tests.
      // Two real OpenID providers (oidc-provider) on loopback ports for the sign-in tests.
      globalSetup: ['./test/global/outbound-server.ts', './test/global/openid-provider.ts'],
    },
  }
}

export default defineConfig({
  test: {
    // The worker's JSON log lines are shown for failing tests only.
    silent: 'passed-only',
    // CI reads the counts from this file; people read the default reporter.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.ci/out/vitest.json' }] as const]
      : ['default'],
    projects: [
      // Most files share one workerd (isolate: false), and so its D1, KV and module state: each
      // makes its own users, names and keys, and a fresh runtime per file cost about half the run.
      workerProject('worker', { isolate: false, exclude: NEEDS_FRESH_RUNTIME }),
      // These count rows across the whole database or rely on state kept once per isolate.
      workerProject('worker-isolated', { isolate: true, include: NEEDS_FRESH_RUNTIME }),
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
