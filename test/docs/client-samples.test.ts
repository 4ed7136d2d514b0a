import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createOrgkitClient, OrgkitClientError } from '@orgkit/client'
import { createDemoHost, type DemoHost } from '@orgkit/example-shared'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createApp } from '../../examples/express-quickstart/src/app'
import * as samples from './client-samples'

/**
 * Runs the samples of docs/client.md against the Express quickstart on a real server. The
 * samples name `/api` (a browser's own origin) and `https://app.example/api`; this `fetch`
 * sends both to the test server, and gives the browser-style calls the signed-in user that
 * a session cookie would carry.
 */
describe('the @orgkit/client samples, run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgkit-client-samples-'))
  let host: DemoHost
  let server: ReturnType<ReturnType<typeof createApp>['listen']>
  let base: string
  const users: Record<string, string> = {}
  const realFetch = globalThis.fetch
  let browserUser = ''

  beforeAll(async () => {
    host = await createDemoHost({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, log: () => {} })
    server = createApp(host).listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    for (const username of ['ann', 'bob']) {
      const response = await realFetch(`${base}/demo/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${username}@example.com`, username, emailVerified: true }),
      })
      users[username] = ((await response.json()) as { id: string }).id
    }
    browserUser = users.ann!
    vi.stubGlobal('fetch', (url: string | URL, init: RequestInit = {}) => {
      const text = String(url)
      if (text.startsWith('/api/')) {
        const headers = new Headers(init.headers)
        headers.set('x-user-id', browserUser)
        return realFetch(`${base}${text}`, { ...init, headers })
      }
      return realFetch(text.replace('https://app.example', base), init)
    })
    await samples.clientSetup({ currentAccessToken: async () => null }, realFetch).browser.organizations.create({
      name: 'Acme',
    })
  })
  afterAll(async () => {
    vi.unstubAllGlobals()
    await new Promise((resolve) => server?.close(resolve))
    await host?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const asUser = (username: string) =>
    createOrgkitClient({ baseUrl: `${base}/api`, headers: { 'x-user-id': users[username]! } })

  it('client-readme: invites when the map allows it, then lists the members', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      await samples.clientReadme()
      expect(log.mock.calls).toEqual([
        [expect.stringMatching(/^http:\/\/localhost:3000\/invitations\/accept\?token=/)],
        ['ann@example.com', 'owner'],
      ])
      log.mockClear()
      await samples.clientReadme() // cat is invited already
      expect(log.mock.calls[0]).toEqual(['Already invited'])
    } finally {
      log.mockRestore()
    }
  })

  it('client-setup: a browser client, an API-key client and a custom one', async () => {
    const key = await asUser('ann').apiKeys.create('acme', { name: 'docs', role: 'member' })
    vi.stubEnv('ORGKIT_API_KEY', key.secret)
    const seen: string[] = []
    const instrumented: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers).get('x-request-source') ?? '')
      return globalThis.fetch(input, init)
    }
    try {
      const { browser, service, custom } = samples.clientSetup(
        { currentAccessToken: async () => key.secret },
        instrumented,
      )
      expect((await browser.organizations.list()).data.map((org) => org.slug)).toEqual(['acme'])
      expect(await service.organizations.get('me')).toMatchObject({ slug: 'acme' })
      expect(await custom.members.list('me')).toMatchObject({ data: [expect.objectContaining({ role: 'owner' })] })
      expect(seen).toEqual(['billing-worker'])
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('client-errors: the status, code and message of a refusal', async () => {
    await asUser('ann').members.add('acme', { userId: users.bob!, role: 'member' })
    expect(await samples.clientErrors(asUser('bob'), users.ann!)).toMatch(/^403 forbidden: /)
    expect(await samples.clientErrors(asUser('ann'), 'usr_nobody')).toMatch(/^404 not_found: /)
    const offline = createOrgkitClient({ baseUrl: 'http://127.0.0.1:9/api' })
    expect(await samples.clientErrors(offline, users.bob!)).toBe('The server cannot be reached.')
  })

  it('client-paging: every member through the iterator, and one page at a time', async () => {
    const { emails, first, next } = await samples.clientPaging(asUser('ann'))
    expect(emails.sort()).toEqual(['ann@example.com', 'bob@example.com'])
    expect(first.data.map((member) => member.user.email)).toEqual(['ann@example.com'])
    expect(next).toBeNull()
  })

  it('client-permissions: what to show, from the map, team grants included', async () => {
    const ann = asUser('ann')
    const team = await ann.teams.create('acme', { name: 'Docs' })
    await ann.teams.members.add('acme', team.id, { userId: users.bob!, role: 'lead' })
    const bob = await samples.clientPermissions(asUser('bob'), team.id)
    expect(bob).toMatchObject({ showInviteButton: false, showTeamSettings: true, map: { role: 'member' } })
    const owner = await samples.clientPermissions(ann, team.id)
    expect(owner).toMatchObject({ showInviteButton: true, showTeamSettings: true })
    // The server agrees with what the map showed.
    await expect(asUser('bob').invitations.create('acme', { email: 'x@example.com' })).rejects.toBeInstanceOf(
      OrgkitClientError,
    )
    expect(await asUser('bob').teams.update('acme', team.id, { description: 'Writes the docs' })).toMatchObject({
      description: 'Writes the docs',
    })
  })

  it('client-bulk: several invitations at once, each answered on its own', async () => {
    // By now bob is a member and cat has a pending invitation (client-readme).
    const emails = ['Dan@Example.com', 'bob@example.com', 'cat@example.com', 'not-an-email', 'dan@example.com']
    expect(await samples.clientBulk(asUser('ann'), emails)).toEqual({
      invited: ['dan@example.com'],
      refused: [
        'bob@example.com: conflict',
        'cat@example.com: conflict',
        'not-an-email: validation_failed',
        'dan@example.com: conflict',
      ],
    })
    const pending = await asUser('ann').invitations.list('acme', { status: 'pending' })
    expect(pending.data.map((invitation) => invitation.email).sort()).toEqual(['cat@example.com', 'dan@example.com'])
    // A member may not invite: the whole request is refused and nothing is created.
    await expect(samples.clientBulk(asUser('bob'), ['eve@example.com'])).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
    })
  })
})
