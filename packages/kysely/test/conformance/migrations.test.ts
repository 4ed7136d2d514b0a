import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, ownTables, type TestDatabase, testDialects } from '../../../../test/support/databases'
import { migrateToLatest } from '../../src'

describe.each(testDialects())('migrations on %s', (dialect) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
  })
  afterAll(() => database?.destroy())

  async function tableNames(): Promise<string[]> {
    return (await ownTables(database.db, dialect)).map((table) => table.name).sort()
  }

  it('puts every table, its migration tables included, under the prefix', async () => {
    const { error, results } = await migrateToLatest(database.db, { tablePrefix: 'one_' })
    expect(error).toBeUndefined()
    expect(results?.every((result) => result.status === 'Success')).toBe(true)
    const names = await tableNames()
    expect(names.length).toBeGreaterThan(2)
    expect(names.every((name) => name.startsWith('one_'))).toBe(true)
    expect(names).toContain('one_migrations')
    expect(names).toContain('one_migrations_lock')
  })

  it('runs nothing the second time', async () => {
    const before = await tableNames()
    const { error, results } = await migrateToLatest(database.db, { tablePrefix: 'one_' })
    expect(error).toBeUndefined()
    expect(results).toEqual([])
    expect(await tableNames()).toEqual(before)
  })

  it('keeps a second prefix in the same database apart from the first', async () => {
    const before = await tableNames()
    const { error } = await migrateToLatest(database.db, { tablePrefix: 'two_' })
    expect(error).toBeUndefined()
    const added = (await tableNames()).filter((name) => !before.includes(name))
    expect(added).toEqual(before.map((name) => name.replace(/^one_/, 'two_')).sort())
  })
})
