// The worker bundle by feature area: which part of the code (ours and its packages) each byte
// of the minified bundle comes from, from esbuild's metafile for the same entry and conditions
// wrangler builds. Gzip is given as each area's share of the real bundle's gzip size
// (proportional to its minified bytes: gzip cannot be split exactly by source).
import { build } from 'esbuild'

/** First match wins; paths are relative to the repository. */
const AREAS = [
  // Before the feature areas: src/i18n/fr/security.ts is words, not two-factor code.
  ['languages (message catalogs, dates)', /src\/i18n\//],
  [
    'passkeys (WebAuthn)',
    /passkey|webauthn|simplewebauthn|tiny-cbor|@peculiar|asn1js|tsyringe|reflect-metadata|pvtsutils|pvutils/,
  ],
  [
    'federation (other providers)',
    /src\/federation\/|src\/outbound\/|src\/auth\/federation-state|src\/(services|store|routes)\/identities|src\/services\/federation|src\/pages\/(federation|identities-views)/,
  ],
  // The QR code is drawn by the page's script (public/pages/totp-qr.js), not the worker.
  ['two-factor (TOTP, recovery codes)', /totp|recovery-codes|mfa-keys|@oslojs|uqr|security/],
  ['email and account recovery', /src\/mail\/|email|recovery|notices/],
  ['hosted pages', /src\/pages\//],
  // The document itself is generated at build time (public/openapi.json); what the worker keeps
  // is the routes' declarations and the router that mounts them.
  ['OpenAPI declarations', /zod-to-openapi|openapi|documented-routes/],
  ['request validation (zod)', /node_modules\/zod\/|@hono\/zod-validator|src\/schemas/],
  ['core: tokens, sessions, HTTP (Hono)', /./],
]

export async function bundleAreas(root, bundleGzip) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    minify: true,
    metafile: true,
    write: false,
    outfile: 'bundle.js',
    logLevel: 'error',
  })
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  const bytes = new Map(AREAS.map(([name]) => [name, 0]))
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const [name] = AREAS.find(([, pattern]) => pattern.test(path))
    bytes.set(name, bytes.get(name) + bytesInOutput)
  }
  const total = [...bytes.values()].reduce((a, b) => a + b, 0)
  return [...bytes].map(([area, raw]) => ({
    area,
    raw,
    gzip: Math.round((raw / total) * bundleGzip),
  }))
}
