/**
 * Kysely's migrator reads the catalog of every schema of a PostgreSQL database to find its
 * tables, so another connection dropping its own schema at that moment fails the statement
 * ("schema … does not exist"). `migrateToLatest` runs again in that case, and only then.
 * The race itself is made certain here: the catalog read is swapped, on chosen attempts,
 * for a statement that fails the same way on the server.
 */
import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { testDialects, withPostgresAdmin } from '../../../test/support/databases'
import { postgresTestUrl } from '../../../test/support/servers'
import { migrateToLatest } from '../src'
import { MIGRATION_ATTEMPTS } from '../src/migrations'

/** The migrator's catalog read: the only statement that names every schema of the database. */
const isCatalogRead = (text: string) => text.includes('has_schema_privilege')

/**
 * A statement the server fails with 3F000 naming `gone`: the privilege check the catalog
 * read makes, on a schema that does not exist; for the migration's own schema (which does),
 * the same error raised as the server words it.
 */
const failingRead = (gone: string, own: string) =>
  gone === own
    ? `do $$ begin raise exception using errcode = '3F000', message = 'schema "${own}" does not exist'; end $$`
    : `select has_schema_privilege('${gone}', 'USAGE')`

describe.skipIf(!testDialects().includes('postgres'))('migrations when another schema is dropped meanwhile', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  /**
   * A fresh schema and a Kysely on it whose catalog reads are answered, while `vanish` says
   * so, by a privilege check on `gone` (a schema that does not exist): the server's own
   * 3F000 error, as when a schema is dropped under the read.
   */
  async function database(vanish: (catalogRead: number) => string | undefined) {
    const url = postgresTestUrl()
    const schema = `orgkit_retry_${process.pid}_${randomBytes(4).toString('hex')}`
    await withPostgresAdmin(url, (admin) => admin.query(`create schema "${schema}"`))
    const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 2 })
    let catalogReads = 0
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      client.query = ((...args: unknown[]) => {
        const [text] = args
        if (typeof text === 'string' && isCatalogRead(text)) {
          catalogReads++
          const gone = vanish(catalogReads)
          if (gone !== undefined) return query(failingRead(gone, schema))
        }
        return query(...args)
      }) as typeof client.query
    })
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
    cleanups.push(async () => {
      await db.destroy()
      await withPostgresAdmin(url, (admin) => admin.query(`drop schema if exists "${schema}" cascade`))
    })
    return { db, schema, catalogReads: () => catalogReads }
  }

  it('runs again when the schema that vanished is another one, and then migrates', async () => {
    const { db, catalogReads } = await database((read) => (read <= 2 ? 'orgkit_dropped_elsewhere' : undefined))
    const { error, results } = await migrateToLatest(db)
    expect(error).toBeUndefined()
    expect(results?.length).toBeGreaterThan(0)
    expect(results?.every((result) => result.status === 'Success')).toBe(true)
    // Two failed reads, then the successful run's own.
    expect(catalogReads()).toBeGreaterThan(2)
  })

  it(`gives up after ${MIGRATION_ATTEMPTS} attempts, returning the error`, async () => {
    const { db, catalogReads } = await database(() => 'orgkit_dropped_elsewhere')
    const { error } = await migrateToLatest(db)
    expect(error).toMatchObject({ code: '3F000' })
    expect(catalogReads()).toBe(MIGRATION_ATTEMPTS)
  })

  it('returns at once an error about its own schema', async () => {
    let own: string | undefined
    const handle = await database(() => own)
    own = handle.schema
    const { error } = await migrateToLatest(handle.db)
    expect(error).toMatchObject({ code: '3F000', message: `schema "${own}" does not exist` })
    expect(handle.catalogReads()).toBe(1)
  })
})
