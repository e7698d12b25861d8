// edge-auth itself under Miniflare on a loopback port, bundled as wrangler would, with a fresh D1
// (every migration applied) and KV, its rate limits and fresh secrets: the authorization server
// the MCP SDK's client talks to in these tests. `outbound` answers the worker's own fetches
// (a client's metadata document) in place of the network.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { convertV4MiniflareOptions, type Log, Miniflare } from 'miniflare'
import { unstable_readConfig } from 'wrangler'
import { generateKeySet } from '../../../scripts/signing-keys.mjs'
import { bundleWorker } from './harness'

const root = fileURLToPath(new URL('../../..', import.meta.url).href)

/** Each migration's statements, in order (comment lines dropped, split at semicolons). */
function migrations(): string[] {
  const dir = `${root}migrations`
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .flatMap((file) =>
      readFileSync(`${dir}/${file}`, 'utf8')
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n')
        .split(';')
        .map((statement) => statement.trim())
        .filter(Boolean),
    )
}

const hex = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')

export type EdgeAuth = { issuer: string; stop: () => Promise<void> }

export async function startEdgeAuth({
  port,
  vars,
  outbound,
  miniflare,
}: {
  port: number
  vars: Record<string, string>
  outbound?: (request: Request) => Response | undefined
  /** More Miniflare options: the simulated `send_email` binding, and a `log` to read its mail from. */
  miniflare?: { email?: { send_email: { name: string }[] }; log?: Log }
}): Promise<EdgeAuth> {
  const config = unstable_readConfig({ config: `${root}wrangler.toml` })
  const issuer = `http://127.0.0.1:${port}`
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: await bundleWorker(`${root}src/index.ts`),
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      bindings: {
        ...(config.vars as Record<string, string>),
        JWT_ISSUER: issuer,
        REFRESH_TOKEN_SECRET: hex(),
        MFA_ENCRYPTION_KEY: hex(),
        JWT_PRIVATE_KEYS: generateKeySet('ES256'),
        OIDC_RSA_KEYS: generateKeySet('RS256'),
        ...vars,
      },
      d1Databases: ['DB'],
      kvNamespaces: ['REFRESH_TOKENS'],
      ratelimits: Object.fromEntries(
        config.ratelimits.map(
          (r: { name: string; namespace_id: string; simple: { limit: number } }) => [
            r.name,
            {
              namespace_id: r.namespace_id,
              simple: { limit: r.simple.limit, period: 60 as const },
            },
          ],
        ),
      ),
      outboundService: async (request: Request) => outbound?.(request) ?? fetch(request),
      host: '127.0.0.1',
      port,
      ...miniflare,
    }),
  )
  await mf.ready
  const db = await mf.getD1Database('DB')
  await db.batch(migrations().map((statement) => db.prepare(statement)))
  return { issuer, stop: () => mf.dispose() }
}
