// What the browser tests watch on every page: its errors (console errors, uncaught exceptions,
// CSP violations), each with the URL it happened on, so a page that works shows none.
import type { Page } from 'playwright-core'

export type Problems = string[]

export function problemsOf(page: Page): Problems {
  const problems: Problems = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${page.url()}: ${msg.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`))
  return problems
}

/** A name no other test run uses (usernames, subjects), starting with `prefix`. */
export const uniqueName = (prefix: string) =>
  `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
