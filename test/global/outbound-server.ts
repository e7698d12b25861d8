// A real HTTP server on a loopback port, started in Node for the worker project's tests, which
// run inside workerd and fetch it through src/outbound/fetch.ts (Miniflare lets workerd reach
// private and loopback addresses). Tests script it over HTTP: POST /_set registers what a path
// answers, GET /_hits?path= counts the requests it got. Each test uses paths of its own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>`, the scripted server's origin. */
    outboundOrigin: string
  }
}

/** What one path answers. */
export type Script = {
  path: string
  status?: number
  headers?: Record<string, string>
  body?: string
  /** Answer this many bytes (of `a`) instead of `body`, streamed in 1 KiB chunks. */
  bodyBytes?: number
  /** Omit Content-Length, so only the stream tells the size. */
  chunked?: boolean
  /** Never answer ('headers'), or send the headers and one chunk and never finish ('body'). */
  hang?: 'headers' | 'body'
}

const MAX_SCRIPT_BYTES = 1 << 20

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      text += chunk
      if (text.length > MAX_SCRIPT_BYTES) reject(new Error('script too large'))
    })
    req.on('end', () => resolve(text))
    req.on('error', reject)
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scripts = new Map<string, Script>()
  const hits = new Map<string, number>()

  const answer = (script: Script, res: ServerResponse) => {
    if (script.hang === 'headers') return // the client's timeout ends it
    const headers: Record<string, string> = { ...script.headers }
    const size = script.bodyBytes ?? Buffer.byteLength(script.body ?? '')
    if (!script.chunked && script.hang !== 'body') headers['content-length'] = String(size)
    res.writeHead(script.status ?? 200, headers)
    if (script.hang === 'body') {
      res.write('{')
      return
    }
    if (script.bodyBytes === undefined) {
      res.end(script.body ?? '')
      return
    }
    let left = script.bodyBytes
    const chunk = Buffer.alloc(1024, 'a')
    const pump = () => {
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(left, chunk.length))
        left -= part.length
        // Stop writing once the client hangs up (the size cap cancels the stream).
        if (res.destroyed) return
        if (!res.write(part)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method === 'POST' && url.pathname === '/_set') {
      const script = JSON.parse(await readBody(req)) as Script
      scripts.set(script.path, script)
      res.writeHead(204).end()
      return
    }
    if (url.pathname === '/_hits') {
      const path = url.searchParams.get('path') ?? ''
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ hits: hits.get(path) ?? 0 }))
      return
    }
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1)
    const script = scripts.get(url.pathname)
    if (!script) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no script for this path')
      return
    }
    answer(script, res)
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  project.provide('outboundOrigin', `http://127.0.0.1:${port}`)

  return async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
