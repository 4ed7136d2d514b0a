/**
 * `scopedDb(db, { tables })`: the scope plugin bound to the request's organization
 * (`runInOrganization`), read each time a query runs. Fails closed outside any organization;
 * two overlapping units of work, forced to interleave with deferred promises, each read and
 * write their own organization's rows.
 */
import { runInOrganization } from '@orgkit/core'
import { scopedDb } from '@orgkit/kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase, testDialects } from '../../../test/support/databases'
import { type AnyDb, createScopeTables, ORG_A, ORG_B, SCOPED_TABLES, seedScopeTables } from './scoping/fixture'

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe.each(testDialects())('scopedDb on %s', (dialect) => {
  let database: TestDatabase
  let scoped: AnyDb

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    await createScopeTables(database.db)
    await seedScopeTables(database.db)
    scoped = scopedDb(database.db, { tables: SCOPED_TABLES })
  })
  afterAll(() => database?.destroy())

  const projectIds = () =>
    scoped
      .selectFrom('projects')
      .select('id')
      .orderBy('id')
      .execute()
      .then((rows) => rows.map((row) => row.id))

  it('refuses every query outside an organization, before sending it', async () => {
    await expect(projectIds()).rejects.toMatchObject({ code: 'internal', message: /no organization is set/ })
    await expect(scoped.deleteFrom('projects').execute()).rejects.toMatchObject({ code: 'internal' })
    // Nothing was deleted.
    expect(await database.db.selectFrom('projects').select('id').execute()).toHaveLength(4)
  })

  it('reads the organization each query runs in, through await and timers', async () => {
    expect(await runInOrganization(ORG_A, projectIds)).toEqual(['pa1', 'pa2'])
    expect(await runInOrganization({ id: ORG_B }, projectIds)).toEqual(['pb1', 'pb2'])
    const later = await runInOrganization(
      ORG_B,
      () => new Promise<string[]>((resolve, reject) => setTimeout(() => projectIds().then(resolve, reject), 0)),
    )
    expect(later).toEqual(['pb1', 'pb2'])
  })

  it('keeps two interleaved units of work apart, writes included', async () => {
    const parkedA = deferred()
    const goA = deferred()
    const work = (organizationId: string, id: string, parked?: ReturnType<typeof deferred>, go?: Promise<void>) =>
      runInOrganization(organizationId, async () => {
        const before = await projectIds()
        parked?.resolve()
        await go
        await scoped.insertInto('projects').values({ id, name: id, owner_id: null }).execute()
        return { before, after: await projectIds() }
      })
    const a = work(ORG_A, 'pa9', parkedA, goA.promise)
    await parkedA.promise
    // B runs from start to end while A is parked between its read and its write.
    const b = await work(ORG_B, 'pb9')
    goA.resolve()
    expect(await a).toEqual({ before: ['pa1', 'pa2'], after: ['pa1', 'pa2', 'pa9'] })
    expect(b).toEqual({ before: ['pb1', 'pb2'], after: ['pb1', 'pb2', 'pb9'] })
    const stamped = await database.db
      .selectFrom('projects')
      .select(['id', 'organization_id'])
      .where('id', 'in', ['pa9', 'pb9'])
      .orderBy('id')
      .execute()
    expect(stamped).toEqual([
      { id: 'pa9', organization_id: ORG_A },
      { id: 'pb9', organization_id: ORG_B },
    ])
  })
})
