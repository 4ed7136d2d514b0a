import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  can,
  createOrgkitClient,
  isOrgkitClientError,
  type OrgkitClient,
  OrgkitClientError,
  OrgkitNetworkError,
} from '@orgkit/client'
import { createDemoHost, type DemoHost } from '@orgkit/example-shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from './quickstart-suite'

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

/**
 * `@orgkit/client` against a quickstart app on a real listening server: every area of the
 * API through the client's methods, its errors, paging, API-key tokens and aborts. Each
 * app's test only says how to start it.
 */
export function describeClient(name: string, start: (host: DemoHost) => Promise<RunningApp>): void {
  describe(`@orgkit/client against the ${name} quickstart`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgkit-client-'))
    let host: DemoHost
    let app: RunningApp | undefined
    let base: string
    const users: Record<string, string> = {}

    /** The demo's sign-up, which is the host's and not orgkit's: plain fetch. */
    const signUp = async (username: string) => {
      const response = await fetch(`${base}/demo/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${username}@example.com`, username, name: username, emailVerified: true }),
      })
      const user = (await response.json()) as { id: string }
      users[username] = user.id
      return user.id
    }
    const as = (username: string): OrgkitClient =>
      createOrgkitClient({ baseUrl: `${base}/api`, headers: { 'x-user-id': users[username]! } })

    beforeAll(async () => {
      host = await createDemoHost({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, log: () => {} })
      app = await start(host)
      base = app.url
      for (const username of ['ann', 'bob', 'cat', 'dan']) await signUp(username)
    })
    afterAll(async () => {
      await app?.close()
      await host?.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('creates an organization, adds and pages through members, and searches them', async () => {
      const ann = as('ann')
      const org = await ann.organizations.create({ name: 'Acme' })
      expect(org).toMatchObject({ slug: 'acme', role: 'owner', memberCount: 1 })
      expect((await ann.organizations.list()).data.map((o) => o.slug)).toEqual(['acme'])
      expect(await ann.organizations.get('acme')).toMatchObject({ id: org.id, name: 'Acme' })
      expect((await ann.organizations.industries()).data.length).toBeGreaterThan(0)

      const bob = await ann.members.add('acme', { username: 'bob', role: 'member' })
      expect(bob).toMatchObject({ userId: users.bob, role: 'member', user: { username: 'bob' } })
      await ann.members.add(org.id, { email: 'dan@example.com', role: 'admin' })

      // One member per page: the iterator follows nextCursor to the end.
      const first = await ann.members.list('acme', { limit: 1 })
      expect(first.data).toHaveLength(1)
      expect(first.hasMore).toBe(true)
      const everyone: string[] = []
      for await (const member of ann.members.iterate('acme', { limit: 1 })) everyone.push(member.user.username ?? '')
      expect(everyone.sort()).toEqual(['ann', 'bob', 'dan'])
      expect((await ann.members.list('acme', { q: 'da' })).data.map((m) => m.userId)).toEqual([users.dan])
      expect((await ann.members.list('acme', { role: 'admin' })).data.map((m) => m.userId)).toEqual([users.dan])

      expect(await ann.members.update('acme', users.dan!, { role: 'member' })).toMatchObject({ role: 'member' })
      expect(await ann.members.remove('acme', users.dan!)).toBeUndefined()
      expect(await ann.members.get('acme', users.bob!)).toMatchObject({ role: 'member' })
    })

    it('answers the permission map, and can() reads it as the server decides', async () => {
      const ann = as('ann')
      const bob = as('bob')
      const owner = await ann.organizations.permissions('acme')
      expect(owner.role).toBe('owner')
      const member = await bob.organizations.permissions('acme')
      expect(member.role).toBe('member')
      for (const permission of ['members.read', 'members.add', 'invitations.create', 'organization.delete']) {
        expect(can(owner, permission)).toBe(
          await host.orgkit.as({ type: 'user', userId: users.ann! }).can('acme', permission),
        )
        expect(can(member, permission)).toBe(
          await host.orgkit.as({ type: 'user', userId: users.bob! }).can('acme', permission),
        )
      }
      expect(can(member, 'members.read')).toBe(true)
      expect(can(member, 'invitations.create')).toBe(false)
    })

    it('invites, previews, accepts and declines invitations', async () => {
      const ann = as('ann')
      const cat = as('cat')
      const issued = await ann.invitations.create('acme', { email: 'cat@example.com', role: 'member' })
      expect(issued.token).toEqual(expect.any(String))
      expect((await ann.invitations.list('acme', { status: 'pending' })).data.map((i) => i.id)).toEqual([issued.id])
      expect((await cat.invitations.mine()).data.map((i) => i.id)).toEqual([issued.id])
      expect(await cat.invitations.preview({ token: issued.token })).toMatchObject({
        organization: { slug: 'acme' },
        role: 'member',
      })
      const resent = await ann.invitations.resend('acme', issued.id)
      expect(resent.token).not.toBe(issued.token)
      // The old token no longer accepts: a typed error with the API's code.
      const stale = await rejection(cat.invitations.accept({ token: issued.token }))
      expect(stale).toBeInstanceOf(OrgkitClientError)
      expect(await cat.invitations.accept({ token: resent.token })).toMatchObject({ userId: users.cat, role: 'member' })
      const used = await rejection(cat.invitations.accept({ token: resent.token }))
      expect(used).toMatchObject({ status: 409, code: 'invitation_used' })

      const second = await ann.invitations.create('acme', { email: 'eve@example.com' })
      expect(await ann.invitations.revoke('acme', second.id)).toBeUndefined()
      const third = await ann.invitations.create('acme', { email: 'dan@example.com' })
      expect(await as('dan').invitations.decline({ id: third.id })).toBeUndefined()
    })

    it('manages teams, custom roles and API keys, and reads the audit trail', async () => {
      const ann = as('ann')
      const team = await ann.teams.create('acme', { name: 'Platform' })
      expect(await ann.teams.get('acme', team.slug)).toMatchObject({ id: team.id })
      expect(await ann.teams.update('acme', team.id, { description: 'Infra' })).toMatchObject({ description: 'Infra' })
      expect(await ann.teams.members.add('acme', team.id, { userId: users.bob!, role: 'lead' })).toMatchObject({
        role: 'lead',
      })
      const bobsMap = await as('bob').organizations.permissions('acme')
      expect(can(bobsMap, 'teams.update')).toBe(false)
      expect(can(bobsMap, 'teams.update', { teamId: team.id })).toBe(true)
      expect(await ann.teams.members.update('acme', team.id, users.bob!, { role: 'member' })).toMatchObject({
        role: 'member',
      })
      expect((await ann.teams.members.list('acme', team.id)).data).toHaveLength(1)
      const listed: string[] = []
      for await (const t of ann.teams.iterate('acme')) listed.push(t.slug)
      expect(listed).toEqual([team.slug])
      await ann.teams.members.remove('acme', team.id, users.bob!)
      await ann.teams.delete('acme', team.id)

      const role = await ann.roles.create('acme', { key: 'billing', name: 'Billing', permissions: ['members.read'] })
      expect(role).toMatchObject({ key: 'billing', system: false })
      expect(await ann.roles.update('acme', 'billing', { permissions: ['members.*'] })).toMatchObject({
        permissions: expect.arrayContaining(['members.add', 'members.remove']),
      })
      expect((await ann.roles.list('acme')).data.map((r) => r.key)).toEqual(
        expect.arrayContaining(['owner', 'billing']),
      )
      await ann.members.update('acme', users.cat!, { role: 'billing' })
      expect(await rejection(ann.roles.delete('acme', 'billing'))).toMatchObject({ status: 409, code: 'conflict' })
      await ann.roles.delete('acme', 'billing', { reassignTo: 'member' })

      const key = await ann.apiKeys.create('acme', { name: 'CI', role: 'member' })
      expect(key.secret).toMatch(/^ok_/)
      expect((await ann.apiKeys.list('acme')).data.map((k) => k.id)).toEqual([key.id])
      // The key as a bearer token, from a provider asked before each request.
      let asked = 0
      const machine = createOrgkitClient({
        baseUrl: `${base}/api`,
        token: async () => {
          asked += 1
          return key.secret
        },
      })
      expect(await machine.organizations.get('me')).toMatchObject({ slug: 'acme' })
      expect((await machine.members.list('me')).data.length).toBeGreaterThan(1)
      expect(asked).toBe(2)
      await ann.apiKeys.revoke('acme', key.id)
      expect(await rejection(machine.organizations.get('me'))).toMatchObject({ status: 401, code: 'unauthenticated' })

      const actions: string[] = []
      for await (const event of ann.audit.iterate('acme', { limit: 5 })) actions.push(event.action)
      expect(actions).toEqual(expect.arrayContaining(['organization.created', 'member.added', 'apikey.created']))
      expect((await ann.audit.list('acme', { action: 'team.created' })).data).toHaveLength(1)
    })

    it('throws OrgkitClientError with status, code and details for the API errors', async () => {
      const bob = as('bob')
      const forbidden = await rejection(bob.invitations.create('acme', { email: 'x@example.com' }))
      expect(forbidden).toBeInstanceOf(OrgkitClientError)
      expect(forbidden).toMatchObject({
        status: 403,
        code: 'forbidden',
        request: 'POST /organizations/acme/invitations',
      })
      expect(isOrgkitClientError(forbidden, 'forbidden')).toBe(true)
      expect(isOrgkitClientError(forbidden, 'not_found')).toBe(false)

      const invalid = (await rejection(as('ann').organizations.create({ name: '' }))) as OrgkitClientError
      expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' })
      expect(invalid.details?.[0]).toMatchObject({ message: expect.any(String) })

      expect(await rejection(bob.organizations.get('nope'))).toMatchObject({ status: 404, code: 'not_found' })
      expect(await rejection(bob.members.get('acme', 'usr_nobody'))).toMatchObject({ status: 404 })
      expect(await rejection(as('ann').organizations.create({ name: 'Acme', slug: 'acme' }))).toMatchObject({
        status: 409,
        code: 'conflict',
      })
      expect(await rejection(as('ann').organizations.leave('acme'))).toMatchObject({ status: 409, code: 'last_owner' })
      const anonymous = createOrgkitClient({ baseUrl: `${base}/api` })
      expect(await rejection(anonymous.organizations.list())).toMatchObject({ status: 401, code: 'unauthenticated' })
      // A path parameter is encoded, never a way to another route.
      expect(await rejection(bob.members.get('acme', '../organizations'))).toMatchObject({ status: 404 })
    })

    it('keeps aborts and network failures apart from API errors', async () => {
      const controller = new AbortController()
      controller.abort()
      const aborted = await rejection(as('ann').organizations.list({}, { signal: controller.signal }))
      expect(aborted).toMatchObject({ name: 'AbortError' })
      expect(aborted).not.toBeInstanceOf(OrgkitNetworkError)

      // Port 9 (discard) is closed on a test machine: the connection is refused.
      const offline = createOrgkitClient({ baseUrl: 'http://127.0.0.1:9/api' })
      const failed = await rejection(offline.organizations.list())
      expect(failed).toBeInstanceOf(OrgkitNetworkError)
      expect(failed).not.toBeInstanceOf(OrgkitClientError)
      expect((failed as OrgkitNetworkError).request).toBe('GET /organizations')

      // A page that is not orgkit's (the host's own 404 outside the mount prefix).
      const elsewhere = createOrgkitClient({ baseUrl: `${base}/not-orgkit`, headers: { 'x-user-id': users.ann! } })
      expect(await rejection(elsewhere.organizations.list())).toMatchObject({
        status: 404,
        code: 'unexpected_response',
      })
    })

    it('serves the OpenAPI document it was generated from', async () => {
      const document = (await as('ann').openApiDocument()) as { openapi: string; paths: Record<string, unknown> }
      expect(document.openapi).toMatch(/^3\.1/)
      expect(Object.keys(document.paths)).toContain('/organizations/{org}/members')
    })
  })
}
