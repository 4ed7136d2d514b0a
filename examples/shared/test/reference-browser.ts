import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createDemoHost, type DemoHost } from '@orgkit/example-shared'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from './quickstart-suite'

const CHROMIUM = '/usr/bin/chromium'
/** Where the docs show the reference page; rewritten only when asked, so that test runs leave the tree clean. */
export const SCREENSHOT = join(import.meta.dirname, '../../../docs/images/api-reference.png')

/**
 * Opens a quickstart's `/api/reference` in headless Chromium and waits until every tag of
 * its OpenAPI document is on the page: the renderer loaded from the app's own files, read
 * the document, and drew it. With `ORGKIT_UPDATE_SCREENSHOT=1` (and `screenshot: true`) it
 * saves the page to `docs/images/api-reference.png`.
 *
 * Without Chromium at /usr/bin/chromium this fails under CI (`CI` set) and is skipped, with
 * a message, elsewhere.
 */
export function describeReferenceInBrowser(
  name: string,
  start: (host: DemoHost) => Promise<RunningApp>,
  options: { screenshot?: boolean } = {},
): void {
  const hasChromium = existsSync(CHROMIUM)
  if (!hasChromium && !process.env.CI) {
    console.warn(
      `Skipping the ${name} API reference browser test: no Chromium at ${CHROMIUM} (apt-get install chromium).`,
    )
  }
  describe.skipIf(!hasChromium && !process.env.CI)(`the ${name} quickstart's API reference in a browser`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgkit-reference-'))
    let host: DemoHost
    let app: RunningApp | undefined
    let browser: Browser | undefined

    beforeAll(async () => {
      host = await createDemoHost({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, log: () => {} })
      app = await start(host)
    })
    afterAll(async () => {
      await browser?.close()
      await app?.close()
      await host?.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('renders every tag of /api/openapi.json, loading nothing from elsewhere', async () => {
      // Fails here, under CI, when Chromium is missing: the suite must not pass without it.
      expect(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM}`).toBe(true)
      const base = app!.url
      const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { tags?: string[] }>>
      }
      const tags = [
        ...new Set(Object.values(document.paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags ?? []))),
      ]
      expect(tags).toEqual(expect.arrayContaining(['Organizations', 'Members', 'Invitations']))

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      })
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const requested: string[] = []
      const errors: string[] = []
      page.on('request', (request) => requested.push(request.url()))
      page.on('pageerror', (error) => errors.push(error.message))

      const response = await page.goto(`${base}/api/reference`)
      expect(response?.status()).toBe(200)
      // Each tag is a section heading of the rendered reference.
      const headings = () => page.locator('h3').allInnerTexts()
      await expect
        .poll(async () => (await headings()).map((text) => text.trim()), { timeout: 15_000 })
        .toEqual(expect.arrayContaining(tags))
      for (const tag of tags) {
        expect(await page.locator('h3').getByText(tag, { exact: true }).first().isVisible(), tag).toBe(true)
      }
      expect(await page.title()).toBe('orgkit API reference')
      expect(errors).toEqual([])
      expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([])
      expect(requested).toContain(`${base}/api/openapi.json`)

      if (options.screenshot && process.env.ORGKIT_UPDATE_SCREENSHOT === '1') {
        mkdirSync(dirname(SCREENSHOT), { recursive: true })
        await page.screenshot({ path: SCREENSHOT, fullPage: true })
      }
      // Starting Chromium on a busy machine takes seconds.
    }, 90_000)
  })
}
