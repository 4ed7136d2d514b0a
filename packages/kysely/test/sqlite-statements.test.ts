import SqliteDatabase from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { cachedStatements } from '../src'

/** A better-sqlite3 database that counts the statements it prepares. */
function countingDatabase() {
  const database = new SqliteDatabase(':memory:')
  const prepared: string[] = []
  const prepare = database.prepare.bind(database)
  database.prepare = ((source: string) => {
    prepared.push(source)
    return prepare(source)
  }) as typeof database.prepare
  return { database, prepared }
}

describe('cachedStatements', () => {
  const open: Kysely<{ t: { id: number; name: string } }>[] = []
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy()
  })

  function kyselyOn(database: SqliteDatabase.Database, max?: number) {
    const db = new Kysely<{ t: { id: number; name: string } }>({
      dialect: new SqliteDialect({ database: cachedStatements(database, max === undefined ? {} : { max }) }),
    })
    open.push(db)
    return db
  }

  it('prepares each distinct query once and reuses it with new parameters', async () => {
    const { database, prepared } = countingDatabase()
    const db = kyselyOn(database)
    await db.schema
      .createTable('t')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .execute()
    for (let i = 1; i <= 20; i++)
      await db
        .insertInto('t')
        .values({ id: i, name: `n${i}` })
        .execute()
    const names: string[] = []
    for (let i = 1; i <= 20; i++) {
      const row = await db.selectFrom('t').select('name').where('id', '=', i).executeTakeFirstOrThrow()
      names.push(row.name)
    }
    expect(names).toEqual(Array.from({ length: 20 }, (_, i) => `n${i + 1}`))
    // create table, one insert shape, one select shape.
    expect(prepared.filter((s) => s.startsWith('insert'))).toHaveLength(1)
    expect(prepared.filter((s) => s.startsWith('select'))).toHaveLength(1)
  })

  it('keeps at most `max`, dropping the least recently used', async () => {
    const { database, prepared } = countingDatabase()
    const db = kyselyOn(database, 2)
    const a = () => sql`select 1 as a`.execute(db)
    const b = () => sql`select 2 as b`.execute(db)
    const c = () => sql`select 3 as c`.execute(db)
    await a()
    await b()
    await a() // a is now the most recent
    await c() // drops b
    await a()
    expect(prepared).toEqual(['select 1 as a', 'select 2 as b', 'select 3 as c'])
    await b()
    expect(prepared.at(-1)).toBe('select 2 as b')
    expect(prepared).toHaveLength(4)
  })

  it('hands out no statement that is still being iterated', () => {
    const database = new SqliteDatabase(':memory:')
    database.exec('create table t (id integer primary key); insert into t values (1), (2), (3)')
    const cached = cachedStatements(database)
    const first = cached.prepare('select id from t order by id')
    const rows = first.iterate([])
    expect(rows.next().value).toEqual({ id: 1 })
    // The first is mid-iteration: a second query of the same text gets its own statement.
    const second = cached.prepare('select id from t order by id')
    expect(second).not.toBe(first)
    expect(second.all([])).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    expect([...rows]).toEqual([{ id: 2 }, { id: 3 }])
    // Done iterating, the cached one is reused again.
    expect(cached.prepare('select id from t order by id')).toBe(first)
    cached.close()
  })

  it('streams through Kysely', async () => {
    const { database } = countingDatabase()
    const db = kyselyOn(database)
    await db.schema
      .createTable('t')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .execute()
    await db
      .insertInto('t')
      .values([1, 2, 3].map((id) => ({ id, name: `n${id}` })))
      .execute()
    const query = db.selectFrom('t').select('id').orderBy('id')
    const seen: number[] = []
    for await (const row of query.stream()) seen.push(row.id)
    expect(seen).toEqual([1, 2, 3])
    expect((await query.execute()).map((r) => r.id)).toEqual([1, 2, 3])
  })

  it('refuses a max that is not a positive integer, and closes the database it wraps', () => {
    const database = new SqliteDatabase(':memory:')
    expect(() => cachedStatements(database, { max: 0 })).toThrow(/positive integer/)
    expect(() => cachedStatements(database, { max: 1.5 })).toThrow(/positive integer/)
    cachedStatements(database).close()
    expect(database.open).toBe(false)
  })
})
