/** Runs the samples of docs/scoping.md (`samples.test.ts` checks that the document shows them word for word). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AnyDb,
  createAppRole,
  createScopeTables,
  ORG_A,
  ORG_B,
  seedScopeTables,
} from '../../packages/kysely/test/scoping/fixture'
import { createTestDatabase, type TestDatabase, testDialects } from '../support/databases'
import * as samples from './scoping-samples'

describe('the scoping samples', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    await createScopeTables(database.db)
    await seedScopeTables(database.db)
  })
  afterAll(() => database?.destroy())

  it('scoping-plugin and scoping-escape: one organization’s rows, then all of them on purpose', async () => {
    const { scoped, projects } = await samples.scopingPlugin(database.db, ORG_A)
    expect(projects.map((project) => project.id)).toEqual(['pa1', 'pa2'])
    const stamped = await database.db
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', 'prj_launch')
      .executeTakeFirst()
    expect(stamped?.organization_id).toBe(ORG_A)

    const { perOrganization, rows } = await samples.scopingEscape(scoped, ORG_A)
    expect(perOrganization.map((row) => [row.organization_id, Number(row.projects)])).toEqual([
      [ORG_A, 3],
      [ORG_B, 2],
    ])
    expect(rows.map((row) => row.id)).toEqual(['pa1', 'pa2', 'prj_launch'])
  })
})

describe.runIf(testDialects().includes('postgres'))('the Row Level Security samples', () => {
  let database: TestDatabase
  let app: { db: AnyDb; drop(): Promise<void> }

  beforeAll(async () => {
    database = await createTestDatabase('postgres')
    await createScopeTables(database.db)
    await seedScopeTables(database.db)
    app = await createAppRole(database.db)
  })
  afterAll(async () => {
    await app?.drop()
    await database?.destroy()
  })

  it('scoping-rls-migration, scoping-rls-startup and scoping-rls-request', async () => {
    await expect(samples.scopingRlsStartup(app.db)).rejects.toThrow(/projects has Row Level Security disabled/)
    await samples.scopingRlsMigration(database.db)
    await samples.scopingRlsStartup(app.db)
    expect((await samples.scopingRlsRequest(app.db, ORG_B)).map((task) => task.id)).toEqual(['tb1', 'tb2'])
    // Without the request's setting, the application's role reads nothing.
    expect(await app.db.selectFrom('tasks').selectAll().execute()).toEqual([])
  })
})
