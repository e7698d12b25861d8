// Runs the example MCP server Worker under Miniflare on a loopback port, bundled as wrangler
// would (esbuild, its wrangler.toml's compatibility settings), with ISSUER and RESOURCE given.
// Any issuer works: the stub in stub-issuer.ts, or edge-auth itself.
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { convertV4MiniflareOptions, Miniflare } from 'miniflare'
import { unstable_readConfig } from 'wrangler'

const here = fileURLToPath(new URL('..', import.meta.url).href)
const root = fileURLToPath(new URL('../../..', import.meta.url).href)

const bundles = new Map<string, Promise<string>>()

/**
 * A Worker as one ES module, as wrangler bundles it (once per entry point); `edge-auth/resource`
 * resolves to its source through the root tsconfig's paths.
 */
export function bundleWorker(entry = `${here}src/index.ts`): Promise<string> {
  let bundled = bundles.get(entry)
  if (bundled) return bundled
  bundled = build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    tsconfig: `${root}tsconfig.json`,
    external: ['node:*', 'cloudflare:*'],
    logLevel: 'error',
  }).then((result) => result.outputFiles[0]!.text)
  bundles.set(entry, bundled)
  return bundled
}

/** A loopback port nothing listens on. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export type ExampleMcpServer = {
  /** The MCP endpoint, which is also the resource identifier (tokens' `aud`). */
  resource: string
  /** The RFC 9728 metadata URL named in its challenges. */
  metadataUrl: string
  stop: () => Promise<void>
}

/**
 * Starts the example. `resource` defaults to `http://127.0.0.1:<free port>/mcp`; pass one
 * (`http://127.0.0.1:8788/mcp`) when the issuer must know it before the server starts.
 */
export async function startExampleMcpServer({
  issuer,
  resource,
}: {
  issuer: string
  resource?: string
}): Promise<ExampleMcpServer> {
  const url = new URL(resource ?? `http://127.0.0.1:${await freePort()}/mcp`)
  const config = unstable_readConfig({ config: `${here}wrangler.toml` })
  // Miniflare 5 takes a new options shape; convertV4MiniflareOptions maps the classic one.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: await bundleWorker(),
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      bindings: { ISSUER: issuer, RESOURCE: url.href },
      host: url.hostname,
      port: Number(url.port),
    }),
  )
  await mf.ready
  const metadataPath = `/.well-known/oauth-protected-resource${url.pathname === '/' ? '' : url.pathname}`
  return {
    resource: url.href,
    metadataUrl: `${url.origin}${metadataPath}`,
    stop: () => mf.dispose(),
  }
}
