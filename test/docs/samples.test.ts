import type { AddressInfo } from 'node:net'
import { createOrgkit, type Orgkit } from '@orgkit/core'
import { kyselyStorage } from '@orgkit/kysely'
import express from 'express'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  createTestStorage,
  createUsersTable,
  insertUser,
  TEST_USERS_TABLE,
  type TestDatabase,
  type TestStorage,
} from '../support/databases'
import { codeBlocks, documents, regions, where } from './doc-blocks'
import * as fastifySamples from './fastify-samples'
import * as samples from './samples'

const SAMPLES = new Map([
  ...regions(new URL('./samples.ts', import.meta.url).pathname),
  ...regions(new URL('./fastify-samples.ts', import.meta.url).pathname),
  ...regions(new URL('./getting-started.ts', import.meta.url).pathname),
  ...regions(new URL('./scoping-samples.ts', import.meta.url).pathname),
  ...regions(new URL('./lifecycle-samples.ts', import.meta.url).pathname),
  ...regions(new URL('./client-samples.ts', import.meta.url).pathname),
])
/** Guides written with this check: every TypeScript block in them is a checked sample. */
const CHECKED_DOCS = [
  'README.md',
  'docs/configuration.md',
  'docs/getting-started.md',
  'docs/permissions.md',
  'docs/core-api.md',
  'docs/scoping.md',
  'packages/core/README.md',
  'packages/kysely/README.md',
  'packages/express/README.md',
  'packages/fastify/README.md',
  'docs/client.md',
  'packages/client/README.md',
  'packages/testing/README.md',
]

describe('the code samples in the docs', () => {
  const blocks = documents().flatMap(codeBlocks)

  it('are the regions of test/docs/samples.ts, word for word, after imports that exist', async () => {
    const marked = blocks.filter((block) => block.marker?.kind === 'sample')
    expect(marked.length).toBeGreaterThan(10)
    for (const block of marked) {
      const sample = SAMPLES.get(block.marker!.name)
      expect(sample, `${where(block)}: no region "${block.marker!.name}" in test/docs/samples.ts`).toBeDefined()
      // A block may open with the imports the sample needs, then a blank line.
      const split = /^((?:import .*\n)+)\n([\s\S]*)$/.exec(block.code)
      expect(split?.[2] ?? block.code, `${where(block)} differs from region "${block.marker!.name}"`).toBe(sample)
      for (const line of split?.[1]?.trim().split('\n') ?? []) {
        const parsed = /^import (?:(\w+)|\{ (.+) \}) from '([@\w/-]+)'$/.exec(line)
        expect(parsed, `${where(block)}: an import the check cannot read: ${line}`).not.toBeNull()
        const module = (await import(parsed![3]!)) as Record<string, unknown>
        if (parsed![1]) expect(module.default, `${where(block)}: ${line}`).toBeDefined()
        for (const name of parsed![2]?.split(', ') ?? []) {
          if (name.startsWith('type ')) continue
          expect(module[name], `${where(block)}: ${parsed![3]} exports no ${name}`).toBeDefined()
        }
      }
    }
    const used = new Set(marked.map((block) => block.marker!.name))
    expect(
      [...SAMPLES.keys()].filter((name) => !used.has(name)),
      'regions no document shows',
    ).toEqual([])
  })

  it('cover every TypeScript block of the guides written with them', () => {
    for (const file of CHECKED_DOCS) {
      const unchecked = codeBlocks(file).filter((block) => block.lang === 'ts' && block.marker?.kind !== 'sample')
      expect(unchecked.map(where), `${file}: TypeScript blocks without a <!-- sample: … --> marker`).toEqual([])
    }
  })
})

/** The JSON block after `<!-- output: name -->` in a document. */
function shownOutput(file: string, name: string): unknown {
  const block = codeBlocks(file).find((b) => b.marker?.kind === 'output' && b.marker.name === name)
  expect(block, `${file}: no <!-- output: ${name} --> block`).toBeDefined()
  return JSON.parse(block!.code)
}

describe('the samples, run', () => {
  let database: TestDatabase
  let ann: { id: string }
  let bob: { id: string }

  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    await createUsersTable(database)
    ann = await insertUser(database, { email: 'ann@example.com', username: 'ann', emailVerified: true })
    bob = await insertUser(database, { email: 'bob@example.com', username: 'bob', emailVerified: true })
  })
  afterAll(async () => {
    await database?.destroy()
  })

  it('kysely-readme and core-readme: migrate, create an organization, check permissions', async () => {
    await samples.kyselyReadme(database.db)
    const { acme, bobReads, bobUpdates } = await samples.coreReadme(database.db, ann.id, bob.id)
    expect(acme).toMatchObject({ slug: 'acme-rockets', role: 'owner', memberCount: 1 })
    expect([bobReads, bobUpdates]).toEqual([true, false])
  })

  describe('on HTTP', () => {
    let orgkit: Orgkit
    beforeAll(() => {
      orgkit = createOrgkit({
        storage: kyselyStorage(database.db, { users: TEST_USERS_TABLE }),
        permissions: ['projects.read', 'billing.manage'],
      })
    })
    const as = (id: string) => ({ 'x-test-user': id })

    it('express-readme and configuration-express', async () => {
      const app = samples.expressReadme(orgkit)
      const errors: unknown[] = []
      samples.expressConfiguration(app, orgkit, { error: (e) => errors.push(e) })
      const server = app.listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      try {
        const org = await fetch(`${base}/api/organizations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...as(ann.id) },
          body: JSON.stringify({ name: 'Express Sample' }),
        })
        expect(org.status).toBe(201)
        const { id } = (await org.json()) as { id: string }
        const listed = await fetch(`${base}/organizations/express-sample/projects`, { headers: as(ann.id) })
        expect(await listed.json()).toEqual({ organizationId: id, data: [] })
        expect((await fetch(`${base}/organizations/express-sample/projects`)).status).toBe(401)
        expect((await fetch(`${base}/organizations/express-sample/projects`, { headers: as(bob.id) })).status).toBe(404)
        expect((await fetch(`${base}/billing/${id}`, { method: 'DELETE', headers: as(ann.id) })).status).toBe(204)
        expect((await fetch(`${base}/billing/${id}`, { method: 'DELETE', headers: as(bob.id) })).status).toBe(404)
        const big = await fetch(`${base}/api/organizations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...as(ann.id) },
          body: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
        })
        expect(big.status).toBe(400) // over bodyLimit
        expect(errors).toEqual([])
      } finally {
        await new Promise((resolve) => server.close(resolve))
      }
    })

    it('fastify-readme and configuration-fastify', async () => {
      const app = Fastify()
      await fastifySamples.fastifyReadme(app, orgkit)
      const errors: unknown[] = []
      const scoped = Fastify()
      await fastifySamples.fastifyConfiguration(scoped, orgkit, { error: (e) => errors.push(e) })
      const org = await app.inject({
        method: 'POST',
        url: '/api/organizations',
        headers: as(ann.id),
        payload: { name: 'Fastify Sample' },
      })
      expect(org.statusCode).toBe(201)
      const listed = await app.inject({ url: '/organizations/fastify-sample/projects', headers: as(ann.id) })
      expect(listed.json()).toEqual({ organizationId: org.json().id, data: [] })
      expect((await app.inject({ url: '/organizations/fastify-sample/projects' })).statusCode).toBe(401)
      const billing = `/billing/${org.json().id}`
      expect((await scoped.inject({ method: 'DELETE', url: billing, headers: as(ann.id) })).statusCode).toBe(204)
      expect((await scoped.inject({ method: 'DELETE', url: billing, headers: as(bob.id) })).statusCode).toBe(404)
      expect((await scoped.inject({ url: '/api/organizations', headers: as(ann.id) })).statusCode).toBe(200)
      // The plugin's bodyLimit, not Fastify's (1 MiB): 70 KiB is over it.
      const big = await scoped.inject({
        method: 'POST',
        url: '/api/organizations',
        headers: as(ann.id),
        payload: { name: 'x'.repeat(70 * 1024) },
      })
      expect(big.statusCode).toBe(400)
      expect(big.json()).toMatchObject({ error: { message: 'The request body is too large.' } })
      expect(errors).toEqual([])
      await app.close()
      await scoped.close()
    })
  })

  it('readme-in-your-app: migrate, mount, guard, map errors, call from domain code', async () => {
    await createOrgkit({ storage: kyselyStorage(database.db, { users: TEST_USERS_TABLE }) })
      .as({ type: 'user', userId: ann.id })
      .organizations.create({ name: 'Acme', slug: 'acme' })
    const app = express()
    // The host's session, standing in: `req.user` from a header.
    app.use((req, _res, next) => {
      const id = req.headers['x-test-user']
      if (typeof id === 'string') Object.assign(req, { user: { id, email: 'x@example.com', emailVerified: true } })
      next()
    })
    const updateProject: express.RequestHandler = (_req, res) => {
      res.json({ organization: res.locals.orgkit?.organization.slug })
    }
    const sent: string[] = []
    const orgkit = await samples.readmeInYourApp(
      database.db,
      app,
      { send: async (to) => void sent.push(to) },
      updateProject,
      ann.id,
    )
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const patch = (userId?: string) =>
        fetch(`${base}/projects/acme/p1`, { method: 'PATCH', headers: userId ? { 'x-test-user': userId } : {} })
      expect(await (await patch(ann.id)).json()).toEqual({ organization: 'acme' })
      expect((await patch()).status).toBe(401)
      expect((await patch(bob.id)).status).toBe(404)
      expect((await fetch(`${base}/api/organizations/acme`, { headers: { 'x-test-user': ann.id } })).status).toBe(200)
      await orgkit.as({ type: 'user', userId: ann.id }).invitations.create('acme', { email: 'dan@example.com' })
      await expect.poll(() => sent).toEqual(['dan@example.com'])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('configuration-orgkit: every option is accepted and takes effect', async () => {
    // The mail goes out after the commit; the test waits for it, not for a poll's timeout.
    let mailed!: (line: string) => void
    const sent = new Promise<string>((resolve) => {
      mailed = resolve
    })
    const orgkit = samples.fullConfiguration(database.db, { send: async (to, link) => mailed(`${to} ${link}`) })
    expect(orgkit.industries).toEqual(['software', 'hardware', 'services'])
    expect(orgkit.engine.role('billing')?.permissions).toEqual(['members.read', 'projects.read', 'billing.manage'])
    expect(orgkit.engine.role('admin')?.has('organization.delete')).toBe(false)
    const ann_ = orgkit.as({ type: 'user', userId: ann.id })
    await expect(ann_.organizations.create({ name: 'Pricing', slug: 'pricing' })).rejects.toMatchObject({
      code: 'validation_failed',
    })
    await ann_.organizations.create({ name: 'Configured' })
    // The sample's clock is the real one: the expiry is three days after some instant of the call.
    const calledAt = Date.now()
    const invitation = await ann_.invitations.create('configured', { email: 'carl@example.com' })
    const answeredAt = Date.now()
    expect(invitation.role).toBe('member')
    expect(invitation.expiresAt.getTime()).toBeGreaterThanOrEqual(calledAt + 3 * 86_400_000)
    expect(invitation.expiresAt.getTime()).toBeLessThanOrEqual(answeredAt + 3 * 86_400_000)
    expect(await sent).toBe(`carl@example.com https://app.example/join?token=${invitation.token}`)
  })

  it('configuration-kysely: a table prefix and a column mapping', async () => {
    const scratch = await createTestDatabase('sqlite')
    try {
      await scratch.db.schema
        .createTable('users')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('email', 'text')
        .addColumn('username', 'text')
        .addColumn('display_name', 'text')
        .addColumn('avatar_url', 'text')
        .execute()
      await scratch.db
        .insertInto('users')
        .values({ id: 'u1', email: 'u1@example.com', display_name: 'U One', avatar_url: 'https://img.example/u1' })
        .execute()
      const { storage, results } = await samples.kyselyConfiguration(scratch.db)
      // Every shipped migration ran, and each one succeeded.
      expect(results?.length).toBeGreaterThan(0)
      expect(results?.filter((result) => result.status !== 'Success')).toEqual([])
      const tables = await scratch.db.introspection.getTables()
      expect(tables.map((table) => table.name)).toContain('tenancy_organizations')
      const orgkit = createOrgkit({ storage })
      const created = await orgkit.as({ type: 'user', userId: 'u1' }).organizations.create({ name: 'Prefixed' })
      const members = await orgkit.as({ type: 'user', userId: 'u1' }).members.list(created.id)
      expect(members.data[0]?.user).toMatchObject({ name: 'U One', imageUrl: 'https://img.example/u1' })
    } finally {
      await scratch.destroy()
    }
  })

  it('permissions-roles and permissions-explain, with the decisions the guide shows', () => {
    const orgkit = samples.permissionRoles(kyselyStorage(database.db, { users: TEST_USERS_TABLE }))
    const { has, allowed, denied } = samples.permissionExplain(orgkit)
    expect(has).toBe(true)
    expect(allowed).toEqual(shownOutput('docs/permissions.md', 'explain-allowed'))
    expect(denied).toEqual(shownOutput('docs/permissions.md', 'explain-denied'))
    expect(orgkit.engine.role('billing')!.permissions).toEqual([
      'members.read',
      'roles.read',
      'teams.read',
      'projects.read',
      'billing.read',
      'billing.manage',
    ])
    const defaults = createOrgkit({ storage: kyselyStorage(database.db, { users: TEST_USERS_TABLE }) })
    const shown = shownOutput('docs/permissions.md', 'default-roles') as Record<string, string[]>
    expect(Object.fromEntries(defaults.engine.roles.map((role) => [role.key, [...role.permissions]]))).toEqual(shown)
    expect(shownOutput('docs/permissions.md', 'orgkit-permissions')).toEqual(defaults.engine.permissions)
  })

  describe('core API', () => {
    let t: TestStorage
    let orgkit: Orgkit
    let annId: string
    let bobId: string
    beforeAll(async () => {
      t = await createTestStorage('sqlite')
      orgkit = createOrgkit({ storage: t.storage })
      annId = (await t.addUser({ email: 'ann@example.com', emailVerified: true })).id
      bobId = (await t.addUser({ email: 'bob@example.com' })).id
    })
    afterAll(async () => {
      await t?.destroy()
    })

    it('core-api-client, core-api-paging, core-api-system, core-api-events', async () => {
      const log: string[] = []
      const stop = samples.coreApiEvents(orgkit, log)
      const { acme, admins, secret, trail } = await samples.coreApiClient(orgkit, annId, bobId)
      expect(acme.slug).toBe('acme')
      expect(admins.data.map((member) => member.userId)).toEqual([bobId])
      expect(secret).toMatch(/^ok_/)
      // Newest first: Bob's add, then Ann becoming the owner when she created the organization.
      expect(trail.data.map((event) => event.target.id)).toEqual([bobId, annId])
      expect((await samples.coreApiPaging(orgkit, annId)).sort()).toEqual([annId, bobId].sort())
      await samples.coreApiSystem(orgkit, bobId)
      expect((await orgkit.as({ type: 'system' }).members.get('acme', bobId)).role).toBe('member')
      await orgkit.as({ type: 'user', userId: annId }).members.remove('acme', bobId)
      expect(log).toEqual([
        'organization.created',
        // Ann, made owner by creating the organization, then Bob.
        'member.added',
        'member.added',
        'apikey.created',
        'member.updated',
        `${bobId} left ${acme.id} (role member)`,
        'member.removed',
      ])
      stop()
      await orgkit.as({ type: 'user', userId: annId }).organizations.update('acme', { name: 'Acme Inc' })
      expect(log).toHaveLength(7)
    })

    it('core-api-authenticate and core-api-public', async () => {
      const ann_ = orgkit.as({ type: 'user', userId: annId })
      const { secret } = await ann_.apiKeys.create('acme', { name: 'Reader', permissions: ['members.read'] })
      const { actor, grant, page } = await samples.coreApiKeys(orgkit, secret)
      expect(actor).toMatchObject({ type: 'apiKey', organizationId: grant.organization.id })
      expect(page.data.map((member) => member.userId)).toEqual([annId])
      await expect(samples.coreApiKeys(orgkit, `${secret}x`)).rejects.toMatchObject({ code: 'unauthenticated' })
      await expect(samples.coreApiPublic(orgkit)).rejects.toMatchObject({ code: 'unauthenticated' })
      await ann_.organizations.update('acme', { visibility: 'public' })
      expect(await samples.coreApiPublic(orgkit)).toMatchObject({ slug: 'acme', role: null })
    })
  })
})
