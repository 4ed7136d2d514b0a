/**
 * What a storage reads from the host's users table at start-up, on each engine: the form of
 * the lookup by email that the table's own indexes serve, the warning (once, with the
 * statement that fixes it) where none does, and the fix really fixing it — the statement is
 * taken from the warning, run, and the lookup's plan then seeks an index.
 */
import { kyselyStorage } from '@orgkit/kysely'
import { CompiledQuery, type LogEvent, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase, type TestDialect, testDialects } from '../../../test/support/databases'

const USERS = 2_000

describe.each(testDialects())('the users table read at start-up on %s', (dialect) => {
  let database: TestDatabase | undefined
  const statements: CompiledQuery[] = []
  afterEach(async () => {
    await database?.destroy()
    database = undefined
    statements.length = 0
  })

  /** A users table as apps have it: emails as typed, a plain unique index on `email`. */
  async function usersTable(email = 'varchar(320) not null unique'): Promise<TestDatabase> {
    database = await createTestDatabase(dialect, {
      log: (event: LogEvent) => {
        if (event.level === 'query') statements.push(event.query)
      },
    })
    await sql
      .raw(`create table people (id varchar(64) primary key, email ${email}, name varchar(100))`)
      .execute(database.db)
    for (let i = 0; i < USERS; i += 500) {
      await database.db
        .insertInto('people')
        .values(Array.from({ length: 500 }, (_, j) => ({ id: `p${i + j}`, email: `Person${i + j}@Example.com` })))
        .execute()
    }
    await analyze(dialect, database)
    return database
  }

  function storageOn(db: TestDatabase, options: { emailNormalized?: boolean } = {}) {
    const warnings: string[] = []
    const storage = kyselyStorage(db.db, {
      users: { table: 'people', columns: { id: 'id', email: 'email', name: 'name' }, ...options },
      logger: { warn: (message) => warnings.push(message) },
    })
    return { storage, warnings }
  }

  /** The lookup by email as the storage runs it, after the start-up read. */
  async function emailLookup(storage: ReturnType<typeof storageOn>['storage']): Promise<CompiledQuery> {
    await storage.users.findByEmail('warm-up@example.com')
    statements.length = 0
    expect((await storage.users.findByEmail(' PERSON1234@example.COM '))?.id).toBe('p1234')
    const [query] = statements.filter((statement) => statement.sql.includes('people'))
    return query!
  }

  if (dialect === 'mysql') {
    it('uses the plain index where the collation is case-insensitive, and says nothing', async () => {
      const db = await usersTable()
      const { storage, warnings } = storageOn(db)
      const query = await emailLookup(storage)
      expect(query.sql).not.toContain('lower(')
      await expectIndexSeek(dialect, db, query)
      expect(warnings).toEqual([])
    })

    it('warns about a case-sensitive collation, and its statement fixes it', async () => {
      const db = await usersTable('varchar(320) collate utf8mb4_bin not null unique')
      const first = storageOn(db)
      expect((await emailLookup(first.storage)).sql).toContain('lower(')
      expect(first.warnings).toHaveLength(1)
      const fix = /Fix: .*(alter table .*;)$/.exec(first.warnings[0]!)?.[1]
      expect(fix).toBe('alter table people modify email varchar(320) not null collate utf8mb4_unicode_ci;')
      await sql.raw(fix!).execute(db.db)
      const fixed = storageOn(db)
      await expectIndexSeek(dialect, db, await emailLookup(fixed.storage))
      expect(fixed.warnings).toEqual([])
    })
  } else {
    it('warns once about emails stored as typed, and its statement fixes it', async () => {
      const db = await usersTable()
      const first = storageOn(db)
      const query = await emailLookup(first.storage)
      expect(query.sql).toContain('lower(')
      await first.storage.users.findByEmail('again@example.com')
      expect(first.warnings).toEqual([
        '@orgkit/kysely: looking a user up by email reads the whole people table (no index serves lower(email) = ?). ' +
          'Fix: create index people_email_lower_idx on people (lower(email));',
      ])
      await sql.raw('create index people_email_lower_idx on people (lower(email));').execute(db.db)
      await analyze(dialect, db)
      const fixed = storageOn(db)
      await expectIndexSeek(dialect, db, await emailLookup(fixed.storage))
      expect(fixed.warnings).toEqual([])
    })
  }

  if (dialect === 'postgres') {
    it('uses the plain index of a citext column, and says nothing', async () => {
      const db = await usersTable('varchar(320) not null')
      await sql`create extension if not exists citext`.execute(db.db)
      // The extension may live in another schema of the server's database already.
      const { rows } = await sql<{ schema: string }>`select n.nspname as schema from pg_extension e
        join pg_namespace n on n.oid = e.extnamespace where e.extname = 'citext'`.execute(db.db)
      await sql`alter table people alter column email type ${sql.id(rows[0]!.schema, 'citext')}`.execute(db.db)
      await sql`create unique index people_email_key on people (email)`.execute(db.db)
      await analyze(dialect, db)
      const { storage, warnings } = storageOn(db)
      const query = await emailLookup(storage)
      expect(query.sql).not.toContain('lower(')
      await expectIndexSeek(dialect, db, query)
      expect(warnings).toEqual([])
    })
  }

  it('warns about emails said to be normalized on a column with no index', async () => {
    const db = await usersTable('varchar(320) not null')
    const { storage, warnings } = storageOn(db, { emailNormalized: true })
    await storage.users.findByEmail('nobody@example.com')
    expect(warnings).toEqual([
      '@orgkit/kysely: looking a user up by email reads the whole people table (no index serves email = ?). ' +
        'Fix: create index people_email_idx on people (email);',
    ])
  })

  it('warns about a users table it cannot find, and keeps working with the options', async () => {
    database = await createTestDatabase(dialect)
    const warnings: string[] = []
    const storage = kyselyStorage(database.db, {
      users: { table: 'missing_people', columns: { id: 'id', email: 'email' } },
      logger: { warn: (message) => warnings.push(message) },
    })
    await expect(storage.users.findByEmail('a@example.com')).rejects.toThrow()
    expect(warnings.join('\n')).toContain('missing_people')
  })
})

async function analyze(dialect: TestDialect, database: TestDatabase): Promise<void> {
  if (dialect === 'mysql') await sql`analyze table people`.execute(database.db)
  else await sql`analyze`.execute(database.db)
}

/** The engine runs the lookup as a seek on an index of `people`, not a scan of it. */
async function expectIndexSeek(dialect: TestDialect, database: TestDatabase, query: CompiledQuery): Promise<void> {
  const explain = (prefix: string) =>
    database.db.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(`${prefix} ${query.sql}`, [...query.parameters]),
    )
  if (dialect === 'sqlite') {
    const plan = (await explain('explain query plan')).rows.map((row) => String(row.detail))
    expect(plan.join('\n')).toMatch(/SEARCH u USING (COVERING )?INDEX \S+ \((email|<expr>)=\?\)/)
  } else if (dialect === 'postgres') {
    const [row] = (await explain('explain (format json)')).rows
    const text = JSON.stringify(row?.['QUERY PLAN'])
    expect(text).toMatch(/"Node Type":"(Index Scan|Index Only Scan|Bitmap Index Scan)"/)
    expect(text).not.toContain('"Seq Scan"')
  } else {
    const [row] = (await explain('explain format=json')).rows
    const plan = JSON.stringify(JSON.parse(String(row?.EXPLAIN)))
    expect(plan).toMatch(/"access_type":"(const|ref|eq_ref|range)"/)
    expect(plan).toMatch(/"key":"email"/)
  }
}
