/**
 * A storage whose database fails on demand: every statement sent on any connection —
 * BEGIN, COMMIT and ROLLBACK included, which Kysely's drivers send as statements on the
 * connection — is counted, and the Nth one can be made to throw instead of being sent.
 *
 * The fault sits in a Kysely `Driver` wrapper, below everything orgkit does, so the code
 * under test is the code a host runs: the same storage, transactions and retry loop. The
 * injected error is deliberately not transient and not a lost connection (see
 * `mayRunAgain` in packages/kysely/src/transaction.ts): the storage must pass it on
 * instead of running the transaction again, so what the database holds afterwards is what
 * one failed attempt left behind.
 */
import { randomBytes } from 'node:crypto'
import { guardMysqlPool, guardPgPool, kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  type QueryResult,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'
import { onCitus } from './citus'
import {
  createUsersTable,
  insertUser,
  mysqlTestUrl,
  postgresTestUrl,
  TEST_USERS_TABLE,
  type TestDatabase,
  type TestDialect,
  type TestStorage,
  withMysqlAdmin,
  withPostgresAdmin,
} from './databases'

/** The error a planned fault throws: no driver code, so no storage retries it. */
export class InjectedFault extends Error {
  constructor(
    readonly statement: number,
    readonly sql: string,
  ) {
    super(`injected fault at statement ${statement}: ${sql}`)
    this.name = 'InjectedFault'
  }
}

/** What one recording saw: the statements in the order they were sent, and the fault, if one fired. */
export interface StatementTrace {
  statements: string[]
  /** The statement number (1-based) that was made to fail, once it did. */
  failedAt: number | null
  /** Whether a COMMIT was sent successfully before the fault (the change is then in the database). */
  committedBeforeFault: boolean
}

/**
 * Counts and fails statements. Idle until `record` is called, so set-up, snapshots and
 * restores are neither counted nor failed.
 */
export class StatementFaults {
  #recording = false
  #failAt: number | null = null
  #statements: string[] = []
  #failedAt: number | null = null
  #committedBeforeFault = false

  /** Starts counting from zero; with `failAt`, the statement of that number throws `InjectedFault`. */
  record(failAt: number | null = null): void {
    this.#recording = true
    this.#failAt = failAt
    this.#statements = []
    this.#failedAt = null
    this.#committedBeforeFault = false
  }

  /** Stops counting and returns what was seen. */
  stop(): StatementTrace {
    this.#recording = false
    this.#failAt = null
    return {
      statements: this.#statements,
      failedAt: this.#failedAt,
      committedBeforeFault: this.#committedBeforeFault,
    }
  }

  /** Called before each statement is sent: counts it, and throws if it is the planned one. */
  beforeStatement(sql: string): void {
    if (!this.#recording) return
    this.#statements.push(sql)
    const number = this.#statements.length
    if (number === this.#failAt && this.#failedAt === null) {
      // One fault per recording: the ROLLBACK that follows must reach the database.
      this.#failedAt = number
      throw new InjectedFault(number, sql)
    }
  }

  /** Called after a statement succeeded. */
  afterStatement(sql: string): void {
    if (this.#recording && this.#failedAt === null && /^\s*commit\b/i.test(sql)) this.#committedBeforeFault = true
  }
}

/** A connection that reports each statement to `faults` before and after sending it. */
class FaultyConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    readonly faults: StatementFaults,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.faults.beforeStatement(query.sql)
    const result = await this.inner.executeQuery<R>(query)
    this.faults.afterStatement(query.sql)
    return result
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.faults.beforeStatement(query.sql)
    return this.inner.streamQuery<R>(query, chunkSize)
  }
}

/**
 * Wraps a driver so that every connection it hands out is a `FaultyConnection`. Kysely's
 * drivers send BEGIN, COMMIT and ROLLBACK through `connection.executeQuery`, so giving them
 * the wrapper counts those too; `releaseConnection` gets the driver's own connection back,
 * which it needs to return it to its pool.
 */
class FaultyDriver implements Driver {
  readonly #wrapped = new WeakMap<DatabaseConnection, FaultyConnection>()

  constructor(
    readonly inner: Driver,
    readonly faults: StatementFaults,
  ) {}

  init(): Promise<void> {
    return this.inner.init()
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection()
    let wrapped = this.#wrapped.get(connection)
    if (wrapped === undefined) {
      wrapped = new FaultyConnection(connection, this.faults)
      this.#wrapped.set(connection, wrapped)
    }
    return wrapped
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings)
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection)
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection)
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection))
  }

  destroy(): Promise<void> {
    return this.inner.destroy()
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof FaultyConnection ? connection.inner : connection
}

/**
 * The dialect with its driver wrapped. The adapter is the dialect's own, so orgkit detects
 * the database exactly as it would without the wrapper.
 */
export function faultyDialect(inner: Dialect, faults: StatementFaults): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => new FaultyDriver(inner.createDriver(), faults),
    // biome-ignore lint/suspicious/noExplicitAny: Kysely types these with its own Kysely<any>.
    createIntrospector: (db: Kysely<any>) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
  }
}

/** A test storage (see `createTestStorage`) whose statements `faults` counts and fails. */
export interface FaultyTestStorage extends TestStorage {
  faults: StatementFaults
}

/**
 * A fresh, migrated database with a host `users` table, reached only through a faulty
 * driver, and an orgkit storage on it. Pools are guarded as in `createTestDatabase`.
 */
export async function createFaultyTestStorage(dialect: TestDialect): Promise<FaultyTestStorage> {
  const faults = new StatementFaults()
  const database = await createFaultyDatabase(dialect, faults)
  try {
    await createUsersTable(database)
    const { error } = await migrateToLatest(database.db)
    if (error) throw error
    return {
      name: dialect,
      dialect,
      db: database.db,
      faults,
      // Told, not detected: the catalog read would run only in the first (clean) run of a
      // deletion, and every faulted run must send the statements the clean one counted.
      storage: kyselyStorage(database.db, { users: TEST_USERS_TABLE, distributed: onCitus() }),
      addUser: (user) => insertUser(database, user),
      destroy: () => database.destroy(),
    }
  } catch (error) {
    await database.destroy()
    throw error
  }
}

const POOL_SIZE = 10

async function createFaultyDatabase(dialect: TestDialect, faults: StatementFaults): Promise<TestDatabase> {
  const name = `orgkit_faults_${process.pid}_${randomBytes(5).toString('hex')}`
  switch (dialect) {
    case 'sqlite': {
      const db = new Kysely({
        dialect: faultyDialect(new SqliteDialect({ database: new SqliteDatabase(':memory:') }), faults),
      })
      return { dialect, db, destroy: () => db.destroy() }
    }
    case 'postgres': {
      const url = postgresTestUrl()
      await withPostgresAdmin(url, (admin) => admin.query(`create schema "${name}"`))
      const pool = guardPgPool(
        new pg.Pool({ connectionString: url, options: `-c search_path=${name}`, max: POOL_SIZE }),
      )
      const db = new Kysely({ dialect: faultyDialect(new PostgresDialect({ pool }), faults) })
      return {
        dialect,
        db,
        async destroy() {
          await db.destroy()
          await withPostgresAdmin(url, (admin) => admin.query(`drop schema if exists "${name}" cascade`))
        },
      }
    }
    case 'mysql': {
      const url = mysqlTestUrl()
      await withMysqlAdmin(url, `create database \`${name}\` character set utf8mb4`)
      const databaseUrl = new URL(url)
      databaseUrl.pathname = `/${name}`
      const pool = guardMysqlPool(
        createPool({ uri: databaseUrl.toString(), timezone: 'Z', connectionLimit: POOL_SIZE }),
      )
      const db = new Kysely({ dialect: faultyDialect(new MysqlDialect({ pool }), faults) })
      return {
        dialect,
        db,
        async destroy() {
          await db.destroy()
          await withMysqlAdmin(url, `drop database if exists \`${name}\``)
        },
      }
    }
  }
}
