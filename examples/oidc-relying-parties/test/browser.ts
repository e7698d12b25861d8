// A scripted browser for server-rendered sign-in pages: one cookie jar per origin, redirects
// followed by hand (so a test can stop at, read or tamper with any hop), `<meta http-equiv=
// "refresh">` followed like a redirect, and forms submitted as a browser submits them (hidden
// fields kept, the pressed button's name=value added, an Origin header naming the page's origin).

/** A form on a page: where it posts, its prefilled fields, and its submit buttons. */
export type PageForm = {
  action: URL
  fields: Record<string, string>
  buttons: { name: string; value: string }[]
}

/** What to do on a page that is not a redirect: submit a form with some fields filled in. */
export type PageStep = (
  url: URL,
  forms: PageForm[],
) => { form: PageForm; fill: Record<string, string> }

const unescape = (text: string) =>
  text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')

const attribute = (tag: string, name: string) =>
  new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)?.[1] ??
  new RegExp(`\\s${name}='([^']*)'`, 'i').exec(tag)?.[1]

/** Every `<form method="post">` on a page (the pages these tests read are plain, script-free HTML). */
export function readForms(page: string, base: URL): PageForm[] {
  return [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)]
    .filter(([, tag]) => attribute(tag!, 'method')?.toLowerCase() === 'post')
    .map(([, tag, body]) => {
      const fields: Record<string, string> = {}
      for (const [input] of body!.matchAll(/<input\b[^>]*>/gi)) {
        const name = attribute(input, 'name')
        if (name && attribute(input, 'type') !== 'checkbox')
          fields[name] = unescape(attribute(input, 'value') ?? '')
      }
      const buttons = [...body!.matchAll(/<button\b[^>]*>/gi)].flatMap(([button]) => {
        const name = attribute(button, 'name')
        return name ? [{ name, value: unescape(attribute(button, 'value') ?? '') }] : []
      })
      return {
        action: new URL(unescape(attribute(tag!, 'action') ?? base.href), base),
        fields,
        buttons,
      }
    })
}

/** `<meta http-equiv="refresh" content="0;url=…">`: where the page sends the browser on. */
function refreshTarget(page: string, base: URL): URL | undefined {
  const meta = /<meta\b[^>]*http-equiv="refresh"[^>]*>/i.exec(page)?.[0]
  const content = meta && attribute(meta, 'content')
  const target = content && /url=(.+)$/i.exec(unescape(content))?.[1]
  return target ? new URL(target, base) : undefined
}

export class Browser {
  /** Cookies by origin, then name. */
  readonly jars = new Map<string, Map<string, string>>()

  jar(origin: string): Map<string, string> {
    let jar = this.jars.get(origin)
    if (!jar) this.jars.set(origin, (jar = new Map()))
    return jar
  }

  /** One request, no redirect followed; cookies sent from and stored in the URL's origin's jar. */
  async fetch(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    const jar = this.jar(target.origin)
    const headers = new Headers(init.headers)
    if (jar.size)
      headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '))
    const res = await fetch(target, { ...init, headers, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      const value = pair!.slice(at + 1).trim()
      const expired = attributes.some((a) => {
        const [key, val] = a.trim().split('=')
        if (key!.toLowerCase() === 'max-age') return Number(val) <= 0
        if (key!.toLowerCase() === 'expires') return Date.parse(val!) <= Date.now()
        return false
      })
      if (expired || value === '') jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }

  /** A form as a browser posts it: urlencoded, with the page's origin as Origin. */
  submit(form: PageForm, fill: Record<string, string>, origin: string): Promise<Response> {
    return this.fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ ...form.fields, ...fill }),
    })
  }

  /**
   * Follows `start` (already answered by `first`, or fetched here) through redirects, refresh
   * pages and the forms `step` fills in, until the next URL satisfies `until`: that URL is
   * returned unrequested, for the test to open (or tamper with) itself.
   */
  async walk(
    start: URL,
    until: (url: URL) => boolean,
    step: PageStep,
    first?: Response,
  ): Promise<URL> {
    let url = start
    let res = first ?? (await this.fetch(url))
    for (let hop = 0; hop < 20; hop++) {
      const location = res.headers.get('location')
      const page = location ? '' : await res.text()
      const next = location ? new URL(location, url) : refreshTarget(page, url)
      if (next) {
        if (until(next)) return next
        url = next
        res = await this.fetch(url)
        continue
      }
      if (res.status !== 200)
        throw new Error(`${res.status} at ${url.pathname}: ${page.slice(0, 300)}`)
      const { form, fill } = step(url, readForms(page, url))
      res = await this.submit(form, fill, url.origin)
      url = form.action
    }
    throw new Error(`never reached the destination from ${start.href}`)
  }
}
