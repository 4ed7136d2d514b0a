/**
 * The hot paths' compiled queries (src/compiled.ts): compiled once per storage, so two
 * storages on one database (other prefixes, other user tables) never run each other's SQL,
 * and each run takes its own values.
 */
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { organization } from '@orgkit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase, testDialects } from '../../../test/support/databases'
import { compiled, slot } from '../src/compiled'
import type { StorageContext } from '../src/context'
import { storageDialect } from '../src/dialects'
import { hostIdSql } from '../src/host-users'

describe.each(testDialects())('compiled queries on %s', (dialect) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    for (const [table, id, email] of [
      ['people_a', 'pa', 'ann@example.com'],
      ['people_b', 'pb', 'ann@example.com'],
    ] as const) {
      await database.db.schema
        .createTable(table)
        .addColumn(`${table}_id`, 'varchar(64)', (col) => col.primaryKey())
        .addColumn('mail', 'varchar(320)', (col) => col.notNull())
        .execute()
      await database.db
        .insertInto(table)
        .values({ [`${table}_id`]: id, mail: email })
        .execute()
    }
    for (const prefix of ['ca_', 'cb_'])
      expect((await migrateToLatest(database.db, { tablePrefix: prefix })).error).toBeUndefined()
  })
  afterAll(() => database?.destroy())

  it('are compiled per storage: two prefixes and two user tables on one database stay apart', async () => {
    const a = kyselyStorage(database.db, {
      tablePrefix: 'ca_',
      users: { table: 'people_a', columns: { id: 'people_a_id', email: 'mail' } },
    })
    const b = kyselyStorage(database.db, {
      tablePrefix: 'cb_',
      users: { table: 'people_b', columns: { id: 'people_b_id', email: 'mail' } },
    })
    const inA = organization('compiled-a')
    const inB = organization('compiled-b')
    expect(await a.organizations.insert(inA, { userId: 'pa', role: 'owner' })).toBe('inserted')
    // A has compiled its statements first; B's runs of the same definitions read B's tables.
    expect((await a.organizations.findWithMember({ id: inA.id }, 'pa'))?.member?.role).toBe('owner')
    expect((await a.users.findByEmail('ANN@example.com'))?.id).toBe('pa')
    expect(await b.organizations.findById(inA.id)).toBeNull()
    expect(await b.organizations.findWithMember({ id: inA.id }, 'pa')).toBeNull()
    expect((await b.users.findByEmail('ann@example.com'))?.id).toBe('pb')
    expect(await b.organizations.insert(inB, { userId: 'pb', role: 'owner' })).toBe('inserted')
    expect(await a.organizations.findById(inB.id)).toBeNull()
    expect((await b.organizations.findById(inB.id))?.memberCount).toBe(1)
    // Each run its own values.
    expect((await a.organizations.findById(inA.id))?.slug).toBe('compiled-a')
    expect((await b.organizations.findBySlug('compiled-b'))?.id).toBe(inB.id)
    expect(await a.organizations.findBySlug('compiled-b')).toBeNull()
  })

  it('refuse a run that lacks a value or names one the query does not take', async () => {
    const context: StorageContext = {
      db: database.db as unknown as StorageContext['db'],
      dialect: storageDialect(dialect),
      users: { table: 'people_a', id: 'people_a_id', email: 'mail' } as unknown as StorageContext['users'],
      hostUsers: { id: hostIdSql(dialect, 'text'), emailLookup: 'lower', ready: async () => {} },
      inTransaction: false,
      atomic: () => Promise.reject(new Error('not used')),
      organizationTables: [],
      distributed: async () => false,
      compiled: new Map(),
    }
    const query = compiled((c) =>
      c.db
        .selectFrom('organizations')
        .select('id')
        .where('id', '=', slot<string>('id'))
        .where('slug', '=', slot<string>('slug')),
    )
    await expect(query.run(context, { id: 'org_x' })).rejects.toThrow(/no value for slug/)
    await expect(query.run(context, { id: 'org_x', slug: 'x', extra: 1 })).rejects.toThrow(/no value named extra/)
    expect(context.compiled.size).toBe(1)
  })
})
