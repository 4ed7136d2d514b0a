/** Runs the request and deletion samples of docs/scoping.md (`samples.test.ts` checks the document shows them). */
import type { AddressInfo } from 'node:net'
import { createOrgkit } from '@orgkit/core'
import { kyselyStorage } from '@orgkit/kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createScopeTables, ORG_A, seedScopeTables } from '../../packages/kysely/test/scoping/fixture'
import { createTestStorage, type TestStorage } from '../support/databases'
import * as samples from './lifecycle-samples'

describe('the request and deletion samples of docs/scoping.md', () => {
  let env: TestStorage

  beforeAll(async () => {
    env = await createTestStorage('sqlite')
    await createScopeTables(env.db)
    await seedScopeTables(env.db)
    for (const table of ['invoices', 'archived_invoices']) {
      await env.db.schema
        .createTable(table)
        .addColumn('id', 'varchar(64)')
        .addColumn('organization_id', 'varchar(64)')
        .execute()
    }
    await env.db.schema
      .createTable('deletion_log')
      .addColumn('organization_id', 'varchar(64)')
      .addColumn('name', 'varchar(64)')
      .execute()
    await env.addUser({ id: 'ann', email: 'ann@example.com' })
  })
  afterAll(() => env?.destroy())

  it('scoping-request: the route lists its organization’s projects, the job counts them', async () => {
    const orgkit = createOrgkit({
      storage: kyselyStorage(env.db, { users: { table: 'users', columns: { id: 'id', email: 'email' } } }),
      permissions: ['projects.read'],
    })
    const org = await orgkit.as({ type: 'user', userId: 'ann' }).organizations.create({ name: 'Acme' })
    await env.db.insertInto('projects').values({ id: 'acme1', organization_id: org.id, name: 'Rocket' }).execute()
    const { app, countProjects } = samples.scopingRequest(env.db, orgkit, (req) => ({
      type: 'user',
      userId: String(req.headers['x-user-id']),
    }))
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const response = await fetch(`http://127.0.0.1:${port}/orgs/acme/projects`, { headers: { 'x-user-id': 'ann' } })
      expect(await response.json()).toEqual([{ id: 'acme1', name: 'Rocket' }])
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    expect(Number((await countProjects(ORG_A)).n)).toBe(2)
  })

  it('scoping-delete: the tables go with the organization, the invoices to the archive, the hook logs it', async () => {
    const { orgkit, scoped } = samples.scopingDelete(env.db)
    const org = await orgkit.as({ type: 'user', userId: 'ann' }).organizations.create({ name: 'Doomed' })
    await orgkit.runInOrganization(org.id, async () => {
      await scoped.insertInto('projects').values({ id: 'd1', name: 'Doomed project' }).execute()
      await scoped.insertInto('tasks').values({ id: 'd1t', project_id: 'd1', title: 'last', points: 1 }).execute()
      await scoped.insertInto('invoices').values({ id: 'inv1' }).execute()
    })
    await orgkit.as({ type: 'user', userId: 'ann' }).organizations.delete(org.id)
    const left = async (table: string) =>
      (await env.db.selectFrom(table).select('id').where('organization_id', '=', org.id).execute()).map((r) => r.id)
    expect([await left('projects'), await left('tasks'), await left('invoices')]).toEqual([[], [], []])
    expect(await left('archived_invoices')).toEqual(['inv1'])
    expect(await env.db.selectFrom('deletion_log').selectAll().execute()).toEqual([
      { organization_id: org.id, name: 'Doomed' },
    ])
  })
})
