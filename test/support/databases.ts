/**
 * Real databases for tests, one isolated database per call so that test files run in
 * parallel:
 * - SQLite: a fresh in-memory database (always available);
 * - PostgreSQL: a fresh schema on `ORGKIT_TEST_PG_URL`, reached through a pool whose
 *   connections have `search_path` set to it;
 * - MySQL/MariaDB: a fresh database on `ORGKIT_TEST_MYSQL_URL`, through a UTC pool.
 *
 * `ORGKIT_TEST_DIALECTS` (comma list; unset, the global setup sets it to SQLite plus the
 * servers that answer) picks the servers to test against; SQLite always runs.
 *
 * Most tests want `createTestStorage(dialect)`: a migrated orgkit storage on a fresh
 * database, with a host `users` table and `addUser` to fill it. Tests of the core that need
 * no SQL loop over `testStorages()` instead, which adds the in-memory storage
 * (`createTestStorage('memory')`) to the dialects.
 */
import { randomBytes, randomUUID } from 'node:crypto'
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
  preparedStatements,
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
import { onCitus, runDdl, scalingDdl } from './citus'
import { mysqlTestUrl, postgresTestUrl } from './servers'

export { type StorageUnderTest, type TestUser, testUser }

export type TestDialect = 'sqlite' | 'postgres' | 'mysql'

export const ALL_TEST_DIALECTS: readonly TestDialect[] = ['sqlite', 'postgres', 'mysql']

export { mysqlTestUrl, postgresTestUrl }

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
  /**
   * PostgreSQL only: hears every round trip the driver makes, one per `query` call on a
   * pooled client (BEGIN and COMMIT included), with its SQL and, for a named (prepared)
   * statement, its name. Counted under Kysely, at the driver, so a statement Kysely does not
   * log would still be heard.
   */
  onRoundTrip?: ((sql: string, name: string | undefined) => void) | undefined
  /** PostgreSQL only: the pool goes through `preparedStatements` (orgkit's statements named). */
  preparedStatements?: boolean | undefined
  /** PostgreSQL only: the pool's connections. @default 10 */
  poolSize?: number | undefined
  /** PostgreSQL only: given the pool before its first connection (a test's fault on the wire). */
  withPool?: ((pool: pg.Pool) => void) | undefined
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

async function createPostgresDatabase(options: TestDatabaseOptions): Promise<TestDatabase> {
  const { log, onRoundTrip } = options
  const url = postgresTestUrl()
  const schema = uniqueName()
  await withPostgresAdmin(url, (admin) => admin.query(`create schema "${schema}"`))
  // Guarded as a host's pool must be: a dropped connection fails its queries, not the run.
  const pool = guardPgPool(
    new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: options.poolSize ?? POOL_SIZE }),
  )
  // Counted at the driver, under the wrapper: what it sends, named or not, is what is counted.
  if (onRoundTrip !== undefined) countPgRoundTrips(pool, onRoundTrip)
  if (options.preparedStatements) preparedStatements(pool)
  options.withPool?.(pool)
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

/**
 * Calls `onRoundTrip` for every `query` a client of `pool` runs: node-postgres sends each
 * query (parse, bind, execute and sync together) and waits for the server's answer before
 * the next, so each call is one round trip. Wrapped on each new connection, before its
 * first query.
 */
export function countPgRoundTrips(
  pool: pg.Pool,
  onRoundTrip: (sql: string, name: string | undefined) => void,
): pg.Pool {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    client.query = ((...args: unknown[]) => {
      const [first] = args
      if (typeof first === 'string') onRoundTrip(first, undefined)
      else {
        const { text, name } = first as { text?: unknown; name?: unknown }
        onRoundTrip(String(text), typeof name === 'string' ? name : undefined)
      }
      return query(...args)
    }) as typeof client.query
  })
  return pool
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

/** A table of a test database, with its columns in order. */
export interface OwnTable {
  name: string
  columns: string[]
}

/**
 * The tables of the test database itself (its schema on PostgreSQL, its database on MariaDB),
 * read from the catalog by name. Not Kysely's `introspection.getTables()`: on PostgreSQL it
 * reads every schema of the shared server and fails ("schema … does not exist") when a test
 * running beside this one drops its own schema meanwhile.
 */
// biome-ignore lint/suspicious/noExplicitAny: any test database.
export async function ownTables(db: Kysely<any>, dialect: TestDialect): Promise<OwnTable[]> {
  if (dialect === 'sqlite') {
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true })
    return tables.map((table) => ({ name: table.name, columns: table.columns.map((column) => column.name) }))
  }
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ table: string; column: string }>`
          select c.relname as "table", a.attname as "column"
          from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          join pg_catalog.pg_attribute a on a.attrelid = c.oid
          where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v') and a.attnum > 0 and not a.attisdropped
          order by c.relname, a.attnum`.execute(db)
      : await sql<{ table: string; column: string }>`
          select table_name as \`table\`, column_name as \`column\`
          from information_schema.columns
          where table_schema = database()
          order by table_name, ordinal_position`.execute(db)
  const tables = new Map<string, string[]>()
  for (const { table, column } of rows) tables.set(table, [...(tables.get(table) ?? []), column])
  return [...tables].map(([name, columns]) => ({ name, columns }))
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

/**
 * The shape of the host's `users.id`, as apps have it (`kyselyStorage`'s `users.idType`):
 * - `text`: `varchar(255)`, ids given by the test (`usr_…`);
 * - `integer`: generated by the database (PostgreSQL `serial`, MariaDB `int auto_increment`,
 *   SQLite `integer primary key`);
 * - `bigint`: past 32 bits (PostgreSQL `bigint … identity`, MariaDB `bigint auto_increment`
 *   from 5,000,000,000; SQLite a `bigint` key that is not the rowid, ids given by the test);
 * - `uuid`: PostgreSQL's and MariaDB's `uuid`, `text` on SQLite; random ids given by the test.
 */
export type UserIdShape = 'text' | 'integer' | 'bigint' | 'uuid'

export const USER_ID_SHAPES: readonly UserIdShape[] = ['text', 'integer', 'bigint', 'uuid']

/** Past 2^32, so that an id that only fits 64 bits is exercised. */
const BIGINT_FIRST_ID = 5_000_000_000

/** The id column for each dialect and shape. */
function idColumn(dialect: TestDialect, shape: UserIdShape): string {
  switch (shape) {
    case 'text':
      return 'id varchar(255) primary key'
    case 'integer':
      return {
        postgres: 'id serial primary key',
        mysql: 'id int auto_increment primary key',
        sqlite: 'id integer primary key',
      }[dialect]
    case 'bigint':
      return {
        postgres: `id bigint generated by default as identity (start with ${BIGINT_FIRST_ID}) primary key`,
        mysql: 'id bigint auto_increment primary key',
        sqlite: 'id bigint primary key not null',
      }[dialect]
    case 'uuid':
      return dialect === 'sqlite' ? 'id text primary key' : 'id uuid primary key'
  }
}

/**
 * Creates a host-style `users` table: id (of `shape`), email (a plain unique index),
 * username, name, image_url, email_verified. With `emailLowerIndex` (the default), also what
 * docs/storage.md asks of a host whose emails are stored as typed: an index on lower(email),
 * where the engine has expression indexes (MariaDB has none; its default collation compares
 * case-insensitively already).
 */
export async function createUsersTable(
  database: TestDatabase,
  table = 'users',
  { shape = 'text', emailLowerIndex = true }: { shape?: UserIdShape; emailLowerIndex?: boolean } = {},
): Promise<void> {
  const { db, dialect } = database
  const autoIncrement = dialect === 'mysql' && shape === 'bigint' ? ` auto_increment = ${BIGINT_FIRST_ID}` : ''
  await sql`${sql.raw(`create table ${table} (
      ${idColumn(dialect, shape)},
      email varchar(320) not null unique,
      username varchar(100) unique,
      name varchar(255),
      image_url varchar(2048),
      email_verified boolean not null default false
    )${autoIncrement}`)}`.execute(db)
  if (emailLowerIndex && dialect !== 'mysql') {
    await db.schema.createIndex(`${table}_email_lower_idx`).on(table).expression(sql`lower(email)`).execute()
  }
}

/**
 * Inserts a user (see `testUser` for the defaults), so `insertUser(database)` alone gives a
 * fresh user. For a table of another id shape the id is the database's (integers) or a
 * random uuid, unless given.
 */
export async function insertUser(
  database: TestDatabase,
  user: Partial<TestUser> = {},
  table = 'users',
  shape: UserIdShape = 'text',
): Promise<TestUser> {
  if (shape !== 'text' && user.id === undefined) {
    const email = user.email ?? `${testUser().id}@example.test`
    if (shape === 'uuid') return insertUser(database, { ...user, id: randomUUID(), email }, table, shape)
    if (shape === 'bigint' && database.dialect === 'sqlite') {
      bigintCounter += 1
      return insertUser(database, { ...user, id: String(BIGINT_FIRST_ID + bigintCounter), email }, table, shape)
    }
    const created = testUser({ ...user, email })
    const values = userRow(database, created)
    delete values.id
    const query = database.db.insertInto(table).values(values)
    const id =
      database.dialect === 'mysql'
        ? (await query.executeTakeFirstOrThrow()).insertId
        : ((await query.returning('id').executeTakeFirstOrThrow()) as { id: unknown }).id
    return { ...created, id: String(id) }
  }
  const created = testUser(user)
  await database.db.insertInto(table).values(userRow(database, created)).execute()
  return created
}

let bigintCounter = 0

function userRow(database: TestDatabase, user: TestUser): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    name: user.name,
    image_url: user.imageUrl,
    // better-sqlite3 binds no booleans.
    email_verified: database.dialect === 'sqlite' ? Number(user.emailVerified) : user.emailVerified,
  }
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
  /**
   * How many sessions on this storage's database wait for a lock right now (see
   * `lockWaiters`); absent on SQLite, whose transactions run one at a time.
   */
  lockWaiters?: (() => Promise<number>) | undefined
}

/**
 * How many sessions wait for a lock on a table of `db`'s own (PostgreSQL: its schema;
 * MariaDB: its database), as the server's lock views show them: what a concurrency test
 * polls to know that a transaction really waits for another one's lock before it lets
 * the other commit. `undefined` on SQLite, which has no sessions to wait.
 */
export function lockWaiters(
  // biome-ignore lint/suspicious/noExplicitAny: an untyped handle on a scratch database.
  db: Kysely<any>,
  dialect: TestDialect,
): (() => Promise<number>) | undefined {
  const count = async (query: ReturnType<typeof sql<{ waiting: number | string }>>) =>
    Number((await query.execute(db)).rows[0]?.waiting ?? 0)
  switch (dialect) {
    case 'sqlite':
      return undefined
    case 'postgres':
      // A backend that has read a table of this schema in its transaction holds a lock on
      // the table (or, on Citus, on its shard) until it ends; one of those waiting for a lock.
      return () =>
        count(sql`select count(*) as waiting from pg_stat_activity a
          where a.wait_event_type = 'Lock' and a.pid <> pg_backend_pid() and exists (
            select 1 from pg_locks l join pg_class c on c.oid = l.relation
            where l.pid = a.pid and l.granted and c.relnamespace = current_schema()::regnamespace)`)
    case 'mysql':
      // InnoDB's own report, which is live: its `information_schema.innodb_trx` is a cache
      // that polling more often than every 100 ms keeps from ever being refreshed.
      return async () => {
        const sessions = await sql<{
          id: number
        }>`select id from information_schema.processlist where db = database()`.execute(db)
        const ids = new Set(sessions.rows.map((row) => Number(row.id)))
        const status = await sql<{ Status: string }>`show engine innodb status`.execute(db)
        return (status.rows[0]?.Status ?? '').split('\n---TRANSACTION ').filter((transaction) => {
          const thread = /MariaDB thread id (\d+)|MySQL thread id (\d+)/.exec(transaction)
          return transaction.includes('\nLOCK WAIT ') && thread !== null && ids.has(Number(thread[1] ?? thread[2]))
        }).length
      }
  }
}

/** How `createTestStorage` shapes its database and storage. */
export interface TestStorageOptions {
  tablePrefix?: string
  /** The host's `users.id` (see `UserIdShape`); the storage is told with `users.idType`. @default 'text' */
  userIds?: UserIdShape
  /** Hears the storage's warnings (see `KyselyStorageOptions.logger`). @default console */
  logger?: KyselyStorageOptions['logger']
  /** Tells the storage its tables are distributed (see `KyselyStorageOptions.distributed`). @default detected */
  distributed?: boolean | undefined
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
  options?: TestStorageOptions & TestDatabaseOptions,
): Promise<TestStorage>
/** `'memory'`: the in-memory storage of `@orgkit/testing`. */
export function createTestStorage(name: TestStorageName): Promise<StorageUnderTest>
export async function createTestStorage(
  name: TestStorageName,
  options: TestStorageOptions & TestDatabaseOptions = {},
): Promise<StorageUnderTest> {
  if (name === 'memory') return memoryStorageUnderTest()
  const dialect = name
  const database = await createTestDatabase(dialect, {
    log: options.log,
    onRoundTrip: options.onRoundTrip,
    preparedStatements: options.preparedStatements,
    poolSize: options.poolSize,
    withPool: options.withPool,
  })
  try {
    const shape = options.userIds ?? 'text'
    await createUsersTable(database, 'users', { shape })
    const { error } = await migrateToLatest(database.db, { tablePrefix: options.tablePrefix })
    if (error) throw error
    // On a Citus cluster: orgkit's tables distributed as docs/scaling.md says.
    if (dialect === 'postgres' && onCitus() && options.tablePrefix === undefined) {
      await runDdl(database.db, scalingDdl('### The DDL'))
    }
    const created: TestStorage = {
      name: dialect,
      dialect,
      db: database.db,
      storage: kyselyStorage(database.db, {
        users: { ...TEST_USERS_TABLE, idType: shape },
        tablePrefix: options.tablePrefix,
        logger: options.logger,
        distributed: options.distributed,
      }),
      addUser: (user) => insertUser(database, user, 'users', shape),
      destroy: () => database.destroy(),
      lockWaiters: lockWaiters(database.db, dialect),
    }
    return created
  } catch (error) {
    await database.destroy()
    throw error
  }
}
