// `npm run screenshots` (scripts/screenshots.mjs) as CI runs it: into a temporary directory,
// every listed shot written as a PNG at the shots' size, nothing else; and docs/screenshots/
// holding exactly those files, so a page added to the script fails here until its screenshots
// are committed (run `npm run screenshots`).
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_DIR, expectedFiles } from '../../scripts/screenshots.mjs'
import { chromiumAvailable } from './servers'

const available = chromiumAvailable()
const script = fileURLToPath(new URL('../../scripts/screenshots.mjs', import.meta.url))

/** The eight bytes every PNG starts with. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** A PNG's width and height, from its IHDR chunk (always first, at byte 8). */
function pngSize(file: Buffer): { width: number; height: number } | null {
  if (file.length < 24 || !file.subarray(0, 8).equals(PNG_SIGNATURE)) return null
  if (file.toString('latin1', 12, 16) !== 'IHDR') return null
  return { width: file.readUInt32BE(16), height: file.readUInt32BE(20) }
}

const pngsIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.png'))

describe('the committed screenshots', () => {
  it('are exactly the files the script writes (run `npm run screenshots` after adding a page)', () => {
    expect(pngsIn(DEFAULT_DIR).sort()).toEqual(expectedFiles())
  })

  it('list every page in light and dark, and the main ones in each language', () => {
    const files = expectedFiles()
    for (const page of ['signin', 'account', 'authorize']) {
      for (const lang of ['en', 'fr', 'es']) {
        for (const scheme of ['light', 'dark'])
          expect(files).toContain(`${page}-${lang}-${scheme}.png`)
      }
    }
    expect(files.every((name) => /^[a-z-]+-(en|fr|es)-(light|dark)\.png$/.test(name))).toBe(true)
  })
})

describe.runIf(available)('npm run screenshots', { timeout: 120_000 }, () => {
  let dir: string
  let run: { stdout: string; stderr: string }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-auth-screenshots-'))
    // Fails (with the script's own account of which shots failed) on a non-zero exit.
    run = await promisify(execFile)(process.execPath, [script, dir], { timeout: 110_000 })
  }, 120_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('writes every listed shot into the directory given, and nothing else', () => {
    expect(readdirSync(dir).sort()).toEqual(expectedFiles())
    expect(run.stderr).not.toMatch(/failed/)
    expect(run.stdout).toMatch(new RegExp(`screenshots: ${expectedFiles().length} of `))
  })

  it('writes each as a non-empty PNG, 800 px wide and at least the 900 px viewport tall', () => {
    for (const name of expectedFiles()) {
      const file = readFileSync(join(dir, name))
      expect(file.length, name).toBeGreaterThan(1000)
      const size = pngSize(file)
      expect(size, name).not.toBeNull()
      expect(size!.width, name).toBe(800)
      expect(size!.height, name).toBeGreaterThanOrEqual(900)
    }
  })
})
