// Serves a web-standard `(Request) => Promise<Response>` handler (what Auth.js's Auth() and
// better-auth's auth.handler are) on a loopback port with node:http, the way a Node host would:
// the request's body read whole, each Set-Cookie header kept separate.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

export type Handler = (request: Request) => Promise<Response>

export type RunningApp = { origin: string; stop: () => Promise<void> }

/** A form or JSON body is small; anything larger is refused rather than buffered. */
const MAX_BODY_BYTES = 64 * 1024

async function readBody(req: IncomingMessage): Promise<ArrayBuffer | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
    chunks.push(chunk)
  }
  const body = Buffer.concat(chunks)
  return body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    body: await readBody(req),
  })
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length) headers['set-cookie'] = cookies
  res.writeHead(response.status, headers)
  res.end(Buffer.from(await response.arrayBuffer()))
}

/** Listens on 127.0.0.1:`port`; a handler that throws answers 500 (and the test sees it). */
export async function serve(handler: Handler, port: number): Promise<RunningApp> {
  const origin = `http://127.0.0.1:${port}`
  const server = createServer((req, res) => {
    toRequest(req, origin)
      .then(handler)
      .then((response) => send(res, response))
      .catch(() => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('internal error')
      })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    origin,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
  }
}
