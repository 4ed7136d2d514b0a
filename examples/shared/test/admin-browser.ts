import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createDemoHost, type DemoHost } from '@orgkit/example-shared'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from './quickstart-suite'

const CHROMIUM = '/usr/bin/chromium'
/** The admin page in the README; rewritten only with `ORGKIT_UPDATE_SCREENSHOT=1`. */
export const ADMIN_SCREENSHOT = join(import.meta.dirname, '../../../docs/images/admin-page.png')

/** What a page printed: console messages and uncaught errors. */
function watch(page: Page) {
  const printed: { type: string; text: string; url: string }[] = []
  page.on('console', (message) =>
    printed.push({ type: message.type(), text: message.text(), url: message.location().url }),
  )
  page.on('pageerror', (error) => printed.push({ type: 'pageerror', text: error.message, url: '' }))
  return printed
}

/**
 * Drives a quickstart's admin page (`/`) in headless Chromium with two users: Ann creates
 * an organization, invites Bob as an admin, then several people at once (a member, a pending
 * invitee, a malformed email and a repeated one among them, each answered in words), Bob
 * accepts, Ann makes Bob a member, and Bob's stale Invite form is refused with a readable
 * 403, after which the page hides it and the bulk form.
 * Every wait is for an element or an event. Skipped without Chromium outside CI.
 */
export function describeAdminInBrowser(
  name: string,
  start: (host: DemoHost) => Promise<RunningApp>,
  options: { screenshot?: boolean } = {},
): void {
  const hasChromium = existsSync(CHROMIUM)
  if (!hasChromium && !process.env.CI) {
    console.warn(`Skipping the ${name} admin page browser test: no Chromium at ${CHROMIUM} (apt-get install chromium).`)
  }
  describe.skipIf(!hasChromium && !process.env.CI)(`the ${name} quickstart's admin page in a browser`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgkit-admin-'))
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

    it('signs two users in, invites one and several, accepts, changes a role, and shows a 403 as a sentence', async () => {
      expect(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM}`).toBe(true)
      const base = app!.url
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      })
      const open = async () => {
        const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } })
        const page = await context.newPage()
        const requested: string[] = []
        page.on('request', (request) => requested.push(request.url()))
        const printed = watch(page)
        await page.goto(base)
        await page.locator('#app[data-ready=true]').waitFor()
        return { page, printed, requested }
      }
      const signIn = async (page: Page, email: string, displayName: string) => {
        await page.locator('[data-testid=sign-in] input[name=email]').fill(email)
        await page.locator('[data-testid=sign-in] input[name=name]').fill(displayName)
        await page.locator('[data-testid=sign-in] button[type=submit]').click()
        await page.locator('[data-testid=signed-in]', { hasText: email }).waitFor()
      }
      const notice = (page: Page, text: string | RegExp) => page.locator('#notice', { hasText: text }).waitFor()

      // Ann signs in, creates Acme, a team and an API key, and invites Bob as an admin.
      const ann = await open()
      await signIn(ann.page, 'ann@example.com', 'Ann Example')
      await ann.page.locator('[data-testid=create-organization] input[name=name]').fill('Acme')
      await ann.page.locator('[data-testid=create-organization] button[type=submit]').click()
      await ann.page.locator('[data-testid=my-role]', { hasText: 'owner' }).waitFor()
      await ann.page.locator('[data-testid=create-team] input[name=name]').fill('Platform')
      await ann.page.locator('[data-testid=create-team] button[type=submit]').click()
      await ann.page.locator('[data-testid=team-platform]', { hasText: 'no members' }).waitFor()
      await ann.page.locator('[data-testid=team-platform] select[name=role]').selectOption('lead')
      await ann.page.locator('[data-testid=team-platform] button[type=submit]').click()
      await ann.page.locator('[data-testid=team-platform]', { hasText: 'Ann Example (lead)' }).waitFor()
      await ann.page.locator('[data-testid=create-api-key] input[name=name]').fill('CI deploys')
      await ann.page.locator('[data-testid=create-api-key] button[type=submit]').click()
      await ann.page.locator('[data-testid=api-key-secret]', { hasText: /^ok_/ }).waitFor()
      await ann.page.locator('[data-testid=invite] input[name=email]').fill('bob@example.com')
      await ann.page.locator('[data-testid=invite] select[name=role]').selectOption('admin')
      await ann.page.locator('[data-testid=invite] button[type=submit]').click()
      await ann.page.locator('[data-testid=invitation-token]').waitFor()
      await ann.page.locator('[data-testid=pending-invitations] li', { hasText: 'bob@example.com' }).waitFor()

      // Ann invites several at once: each line is answered on its own, in order.
      await ann.page
        .locator('[data-testid=bulk-invite] textarea[name=emails]')
        .fill(
          [
            'cat@example.com',
            'ann@example.com',
            'bob@example.com',
            'not-an-email',
            ' Dan@Example.com ',
            '',
            'cat@example.com',
          ].join('\n'),
        )
      await ann.page.locator('[data-testid=bulk-invite] select[name=role]').selectOption('admin')
      await ann.page.locator('[data-testid=bulk-invite] button[type=submit]').click()
      await notice(ann.page, '2 of 6 invited.')
      expect(await ann.page.locator('[data-testid=bulk-answers] li').allTextContents()).toEqual([
        'cat@example.com Invited as admin.',
        'ann@example.com Not invited: This person is already a member.',
        'bob@example.com Not invited: A pending invitation for this email already exists.',
        'not-an-email Not invited: Must be an email address.',
        'dan@example.com Invited as admin.',
        'cat@example.com Not invited: This email is in the batch twice.',
      ])
      expect(await ann.page.locator('[data-testid=bulk-answers] li.ok').count()).toBe(2)
      for (const email of ['cat@example.com as admin', 'dan@example.com as admin', 'bob@example.com as admin']) {
        await ann.page.locator('[data-testid=pending-invitations] li', { hasText: email }).waitFor()
      }
      expect(await ann.page.locator('[data-testid=pending-invitations] li').count()).toBe(3)

      // Bob signs in and accepts; as an admin he sees the Invite form.
      const bob = await open()
      await signIn(bob.page, 'bob@example.com', 'Bob Example')
      await bob.page.locator('[data-testid=my-invitations] li', { hasText: 'admin' }).getByRole('button').click()
      await notice(bob.page, 'Invitation accepted.')
      await bob.page.locator('[data-testid=my-role]', { hasText: 'admin' }).waitFor()
      await bob.page.locator('[data-testid=invite]').waitFor()
      await bob.page.locator('[data-testid=bulk-invite]').waitFor()

      // Ann sees Bob among the members, searches for him, and makes him a member.
      await ann.page.locator('.org', { hasText: 'Acme' }).click()
      await ann.page.locator('[data-testid="member-bob@example.com"]').waitFor()
      await ann.page.getByLabel('Search members').fill('bob')
      await ann.page.getByLabel('Search members').press('Enter')
      await ann.page.locator('[data-testid="member-ann@example.com"]').waitFor({ state: 'detached' })
      await ann.page.getByLabel('Role of bob@example.com').selectOption('member')
      await notice(ann.page, 'Role changed.')
      await ann.page.locator('[data-testid=audit] li', { hasText: 'member.updated' }).waitFor()

      // Bob's page still shows the form; the server refuses, the page says why and hides it.
      await bob.page.locator('[data-testid=invite] input[name=email]').fill('cat@example.com')
      await bob.page.locator('[data-testid=invite] button[type=submit]').click()
      await notice(bob.page, /^Not allowed: .*invitations\.create/)
      await bob.page.locator('[data-testid=my-role]', { hasText: 'member' }).waitFor()
      await bob.page.locator('[data-testid=invite]').waitFor({ state: 'detached' })
      expect(await bob.page.locator('[data-testid=bulk-invite]').count()).toBe(0)
      expect(await bob.page.locator('#notice').getAttribute('class')).toContain('error')
      expect(await bob.page.locator('[data-testid=members] select').count()).toBe(0)

      // Nothing printed by the pages; the one line is Chromium's own log of the refused request.
      expect(ann.printed).toEqual([])
      expect(bob.printed).toEqual([
        {
          type: 'error',
          text: expect.stringContaining('status of 403'),
          url: `${base}/api/organizations/acme/invitations`,
        },
      ])
      for (const { requested } of [ann, bob]) {
        expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([])
      }

      if (options.screenshot && process.env.ORGKIT_UPDATE_SCREENSHOT === '1') {
        await ann.page.getByLabel('Search members').fill('')
        await ann.page.getByLabel('Search members').press('Enter')
        await ann.page.locator('[data-testid="member-ann@example.com"]').waitFor()
        await ann.page.locator('#notice').evaluate((element) => {
          element.hidden = true
        })
        mkdirSync(dirname(ADMIN_SCREENSHOT), { recursive: true })
        await ann.page.screenshot({ path: ADMIN_SCREENSHOT, fullPage: true })
      }
    }, 120_000)
  })
}
