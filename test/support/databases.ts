/**
 * Real databases for tests, one isolated database per call so that test files run in
 * parallel:
 * - SQLite: a fresh in-memory database (always available);
 * - PostgreSQL: a fresh schema on `ORGKIT_TEST_PG_URL`, reached through a pool whose
 *   connections have `search_path` set to it;
 * - MySQL/MariaDB: a fresh database on `ORGKIT_TEST_MYSQL_URL`, through a UTC pool.
 *
 * `ORGKIT_TEST_DIALECTS` (comma list, default `sqlite,postgres,mysql`) picks the servers
 * to test against; SQLite always runs.
 *
 * Most tests want `createTestStorage(dialect)`: a migrated orgkit storage on a fresh
 * database, with a host `users` table and `addUser` to fill it. Tests of the core that need
 * no SQL loop over `testStorages()` instead, which adds the in-memory storage
 * (`createTestStorage('memory')`) to the dialects.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  cachedStatements,
  guardMysqlPool,
  guardPgPool,
  type KyselyStorageOptions,
  kyselyStorage,
  migrateToLatest,
} from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, type LogEvent, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { createConnection, createPool } from 'mysql2'
import pg from 'pg'
import {
  memoryStorageUnderTest,
  type StorageUnderTest,
  type TestUser,
  testUser,
} from '../../packages/core/test/support/storages'

export { type StorageUnderTest, type TestUser, testUser }

export type TestDialect = 'sqlite' | 'postgres' | 'mysql'

export const ALL_TEST_DIALECTS: readonly TestDialect[] = ['sqlite', 'postgres', 'mysql']

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test'
const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/test'

/** The servers the tests use: `ORGKIT_TEST_PG_URL` and `ORGKIT_TEST_MYSQL_URL`, or the local defaults. */
export const postgresTestUrl = () => process.env.ORGKIT_TEST_PG_URL ?? DEFAULT_PG_URL
export const mysqlTestUrl = () => process.env.ORGKIT_TEST_MYSQL_URL ?? DEFAULT_MYSQL_URL

/** Enough connections that concurrency tests really run their transactions side by side. */
const POOL_SIZE = 10

/** The dialects to run, from `ORGKIT_TEST_DIALECTS`; SQLite is always among them. */
export function testDialects(): TestDialect[] {
  const configured = process.env.ORGKIT_TEST_DIALECTS?.trim()
  if (configured === undefined || configured === '') return [...ALL_TEST_DIALECTS]
  const names = configured.split(',').map((name) => name.trim().toLowerCase())
  for (const name of names) {
    if (!ALL_TEST_DIALECTS.includes(name as TestDialect)) {
      throw new Error(`ORGKIT_TEST_DIALECTS: unknown dialect ${JSON.stringify(name)} (use sqlite, postgres, mysql)`)
    }
  }
  return ALL_TEST_DIALECTS.filter((dialect) => dialect === 'sqlite' || names.includes(dialect))
}

export interface TestDatabase {
  dialect: TestDialect
  // Tests create their own tables next to orgkit's.
  // biome-ignore lint/suspicious/noExplicitAny: an untyped handle on a scratch database.
  db: Kysely<any>
  /** Closes the pool and drops the schema or database. */
  destroy(): Promise<void>
}

/** Options of a test database. */
export interface TestDatabaseOptions {
  /** Kysely's `log` hook: hears every statement the database runs (BEGIN and COMMIT included). */
  log?: ((event: LogEvent) => void) | undefined
}

const logging = (log: TestDatabaseOptions['log']) => (log === undefined ? {} : { log })

/** A fresh, empty, isolated database of the given dialect. */
export async function createTestDatabase(
  dialect: TestDialect,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  switch (dialect) {
    case 'sqlite':
      return createSqliteDatabase(options)
    case 'postgres':
      return createPostgresDatabase(options)
    case 'mysql':
      return createMysqlDatabase(options)
  }
}

function uniqueName(): string {
  return `orgkit_test_${process.pid}_${randomBytes(5).toString('hex')}`
}

function createSqliteDatabase({ log }: TestDatabaseOptions): TestDatabase {
  // As the quickstart runs it: each distinct query prepared once.
  const database = cachedStatements(new SqliteDatabase(':memory:'))
  const db = new Kysely({ dialect: new SqliteDialect({ database }), ...logging(log) })
  return { dialect: 'sqlite', db, destroy: () => db.destroy() }
}

async function createPostgresDatabase({ log }: TestDatabaseOptions): Promise<TestDatabase> {
  const url = postgresTestUrl()
  const schema = uniqueName()
  await withPostgresAdmin(url, (admin) => admin.query(`create schema "${schema}"`))
  // Guarded as a host's pool must be: a dropped connection fails its queries, not the run.
  const pool = guardPgPool(new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: POOL_SIZE }))
  const db = new Kysely({ dialect: new PostgresDialect({ pool }), ...logging(log) })
  return {
    dialect: 'postgres',
    db,
    async destroy() {
      await db.destroy()
      await withPostgresAdmin(url, (admin) => admin.query(`drop schema if exists "${schema}" cascade`))
    },
  }
}

/** Runs statements on the server outside any test database (create/drop). */
export async function withPostgresAdmin(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await fn(client)
  } finally {
    await client.end()
  }
}

async function createMysqlDatabase({ log }: TestDatabaseOptions): Promise<TestDatabase> {
  const url = mysqlTestUrl()
  const database = uniqueName()
  await withMysqlAdmin(url, `create database \`${database}\` character set utf8mb4`)
  const databaseUrl = new URL(url)
  databaseUrl.pathname = `/${database}`
  // `timezone: 'Z'`: DATETIME values are written and read as UTC, as orgkit requires.
  const pool = guardMysqlPool(createPool({ uri: databaseUrl.toString(), timezone: 'Z', connectionLimit: POOL_SIZE }))
  const db = new Kysely({ dialect: new MysqlDialect({ pool }), ...logging(log) })
  return {
    dialect: 'mysql',
    db,
    async destroy() {
      await db.destroy()
      await withMysqlAdmin(url, `drop database if exists \`${database}\``)
    },
  }
}

/** Runs one statement on the server outside any test database (create/drop). */
export function withMysqlAdmin(url: string, statement: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const connection = createConnection({ uri: url })
    connection.query(statement, (error) => {
      connection.end()
      if (error) reject(error)
      else resolve()
    })
  })
}

/**
 * A database of its own on the dialect's server, as a `DATABASE_URL` (what the quickstarts
 * take), dropped by `drop()`. SQLite: a file in a temporary folder. Its `name` is what the
 * server's session lists show (`pg_stat_activity.datname`, `processlist.db`), so a test can
 * single out its own connections.
 */
export async function createScratchDatabaseUrl(
  dialect: TestDialect,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `orgkit_example_${process.pid}_${randomBytes(4).toString('hex')}`
  switch (dialect) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'orgkit-scratch-'))
      return {
        url: `sqlite:${join(dir, 'db.sqlite')}`,
        name,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      }
    }
    case 'postgres': {
      const admin = postgresTestUrl()
      await withPostgresAdmin(admin, (client) => client.query(`create database "${name}"`))
      const url = new URL(admin)
      url.pathname = `/${name}`
      return {
        url: url.toString(),
        name,
        // `with (force)`: a connection the test killed may still be closing.
        drop: () =>
          withPostgresAdmin(admin, (client) => client.query(`drop database if exists "${name}" with (force)`)),
      }
    }
    case 'mysql': {
      const admin = mysqlTestUrl()
      await withMysqlAdmin(admin, `create database \`${name}\` character set utf8mb4`)
      const url = new URL(admin)
      url.pathname = `/${name}`
      return { url: url.toString(), name, drop: () => withMysqlAdmin(admin, `drop database if exists \`${name}\``) }
    }
  }
}

// ── The host's users table ─────────────────────────────────────────────────────────

/** How `createTestStorage` maps the table `createUsersTable` creates. */
export const TEST_USERS_TABLE: KyselyStorageOptions['users'] = {
  table: 'users',
  columns: { id: 'id', email: 'email', username: 'username', name: 'name', imageUrl: 'image_url' },
}

/** Creates a host-style `users` table: id, email, username, name, image_url, email_verified. */
export async function createUsersTable(database: TestDatabase, table = 'users'): Promise<void> {
  await database.db.schema
    .createTable(table)
    .addColumn('id', 'varchar(255)', (col) => col.primaryKey())
    .addColumn('email', 'varchar(320)', (col) => col.notNull().unique())
    .addColumn('username', 'varchar(100)', (col) => col.unique())
    .addColumn('name', 'varchar(255)')
    .addColumn('image_url', 'varchar(2048)')
    .addColumn('email_verified', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute()
  // What docs/storage.md asks of a host whose emails are stored as typed: an index on
  // lower(email), where the engine has expression indexes (MariaDB has none).
  if (database.dialect !== 'mysql') {
    await database.db.schema.createIndex(`${table}_email_lower_idx`).on(table).expression(sql`lower(email)`).execute()
  }
}

/**
 * Inserts a user (see `testUser` for the defaults), so `insertUser(database)` alone gives a
 * fresh user.
 */
export async function insertUser(
  database: TestDatabase,
  user: Partial<TestUser> = {},
  table = 'users',
): Promise<TestUser> {
  const created = testUser(user)
  await database.db
    .insertInto(table)
    .values({
      id: created.id,
      email: created.email,
      username: created.username,
      name: created.name,
      image_url: created.imageUrl,
      // better-sqlite3 binds no booleans.
      email_verified: database.dialect === 'sqlite' ? Number(created.emailVerified) : created.emailVerified,
    })
    .execute()
  return created
}

// ── A ready storage ────────────────────────────────────────────────────────────────

/** A storage the core's tests run on: the in-memory one, or Kysely on a real dialect. */
export type TestStorageName = 'memory' | TestDialect

/** The storages the core's tests run on: the in-memory storage, then `testDialects()`. */
export function testStorages(): TestStorageName[] {
  return ['memory', ...testDialects()]
}

/** A Kysely storage on a real database, which tests may also query directly through `db`. */
export interface TestStorage extends StorageUnderTest {
  name: TestDialect
  dialect: TestDialect
  // biome-ignore lint/suspicious/noExplicitAny: an untyped handle on a scratch database.
  db: Kysely<any>
}

/**
 * A fresh database with a host `users` table and orgkit's tables migrated, and an orgkit
 * storage on it. Call `destroy()` when done (typically in `afterAll`).
 *
 * ```ts
 * const t = await createTestStorage('postgres')
 * const alice = await t.addUser({ name: 'Alice' })
 * ```
 */
export function createTestStorage(
  dialect: TestDialect,
  options?: { tablePrefix?: string } & TestDatabaseOptions,
): Promise<TestStorage>
/** `'memory'`: the in-memory storage of `@orgkit/testing`. */
export function createTestStorage(name: TestStorageName): Promise<StorageUnderTest>
export async function createTestStorage(
  name: TestStorageName,
  options: { tablePrefix?: string } & TestDatabaseOptions = {},
): Promise<StorageUnderTest> {
  if (name === 'memory') return memoryStorageUnderTest()
  const dialect = name
  const database = await createTestDatabase(dialect, { log: options.log })
  try {
    await createUsersTable(database)
    const { error } = await migrateToLatest(database.db, { tablePrefix: options.tablePrefix })
    if (error) throw error
    const created: TestStorage = {
      name: dialect,
      dialect,
      db: database.db,
      storage: kyselyStorage(database.db, { users: TEST_USERS_TABLE, tablePrefix: options.tablePrefix }),
      addUser: (user) => insertUser(database, user),
      destroy: () => database.destroy(),
    }
    return created
  } catch (error) {
    await database.destroy()
    throw error
  }
}
