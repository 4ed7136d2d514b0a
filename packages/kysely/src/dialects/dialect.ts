import {
  type ColumnDataType,
  type CreateTableBuilder,
  type Expression,
  type InsertQueryBuilder,
  type InsertResult,
  type IsolationLevel,
  type Kysely,
  MysqlAdapter,
  PostgresAdapter,
  type QueryResult,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  SqliteAdapter,
  sql,
} from 'kysely'

export type DialectName = 'postgres' | 'mysql' | 'sqlite'

/**
 * What differs between the three databases, in one place. Everything else in the adapter
 * is written once. Each dialect lives in its own file with the same shape
 * (`postgres.ts`, `mysql.ts`, `sqlite.ts`).
 */
export interface StorageDialect {
  readonly name: DialectName
  /** How a `Date` is bound for a timestamp column. */
  toTimestamp(date: Date): Date | string
  /** Reads a timestamp column back as a `Date`, whatever the driver returned. */
  fromTimestamp(value: Date | string): Date
  /**
   * Runs an insert that may collide with a primary or unique key and reports whether it
   * inserted. A collision never raises an error, so it never aborts the surrounding
   * transaction (which a failed statement does on PostgreSQL).
   */
  insertUnlessExists<DB, TB extends keyof DB>(query: InsertQueryBuilder<DB, TB, InsertResult>): Promise<boolean>
  /**
   * `insertUnlessExists` in two halves, for a compiled query (see compiled.ts): the
   * statement it runs (`ON CONFLICT DO NOTHING`, or the plain insert on MySQL), and what
   * running it says (a duplicate-key error on MySQL is `false`).
   */
  unlessExists<DB, TB extends keyof DB>(
    query: InsertQueryBuilder<DB, TB, InsertResult>,
  ): InsertQueryBuilder<DB, TB, InsertResult>
  inserted(run: () => Promise<QueryResult<unknown>>): Promise<boolean>
  /**
   * The keyset condition "after (at, id) in the direction of travel" over a (time, id) sort,
   * in a shape the engine turns into an index seek on the list's (…, time, id) index: the
   * row comparison `(time, id) > (at, id)` where the engine seeks on row values (PostgreSQL,
   * SQLite), a form with a plain range on `time` where it does not (MariaDB). The spelled-out
   * `time > at or (time = at and id > ?)` seeks on none of them at depth: it reads the
   * organization's rows from the start of the index (see docs/scaling.md).
   */
  keysetBeyond(
    time: RawBuilder<unknown>,
    id: RawBuilder<unknown>,
    at: Date | string,
    key: string,
    travel: 'asc' | 'desc',
  ): RawBuilder<SqlBool>
  /**
   * Adds the row lock `organizations.lock` takes, where the engine has one; `of` names the
   * tables whose rows to lock in a join, where the engine can say so (PostgreSQL, which
   * locks them in the order named).
   */
  forUpdate<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
    of?: (TB & string) | readonly (TB & string)[],
  ): SelectQueryBuilder<DB, TB, O>
  /** The isolation level orgkit's transactions ask for; `undefined` keeps the server's default. */
  readonly isolationLevel: IsolationLevel | undefined
  /**
   * A deadlock, serialization failure or lock timeout (on PostgreSQL also a stale prepared
   * statement): the transaction may simply be run again.
   */
  isTransient(error: unknown): boolean
  /**
   * The connection is gone (terminated by the server, reset, refused): whatever the
   * transaction on it had not committed is rolled back by the server.
   */
  isConnectionLost(error: unknown): boolean
  /** Column types for the migrations. */
  readonly columnTypes: {
    timestamp: ColumnDataType | Expression<unknown>
    /** JSON is stored as text (see `schema.ts`). */
    json: ColumnDataType | Expression<unknown>
  }
  /** Table options every orgkit table is created with. */
  finishCreateTable<TB extends string, C extends string>(builder: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C>
}

/**
 * Detects the dialect from the Kysely instance's adapter. A host whose `kysely` copy differs
 * from the one this package resolves (two installs) fails `instanceof` and must pass
 * `dialect` explicitly; the error says so.
 */
export function detectDialect(db: Kysely<unknown>): DialectName {
  const adapter = db.getExecutor().adapter
  if (adapter instanceof PostgresAdapter) return 'postgres'
  if (adapter instanceof MysqlAdapter) return 'mysql'
  if (adapter instanceof SqliteAdapter) return 'sqlite'
  throw new Error(
    `@orgkit/kysely: cannot tell the database from the Kysely adapter (${adapter.constructor.name}); ` +
      `pass \`dialect: 'postgres' | 'mysql' | 'sqlite'\` in the options.`,
  )
}

/** Error properties the drivers set: `code` (pg, better-sqlite3, mysql2) and `errno` (mysql2). */
export function errorCodes(error: unknown): { code: unknown; errno: unknown } {
  if (typeof error !== 'object' || error === null) return { code: undefined, errno: undefined }
  const { code, errno } = error as { code?: unknown; errno?: unknown }
  return { code, errno }
}

/** Socket errors Node reports when a database connection breaks or cannot be made. */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/** An error's `message`, or `''`. */
export function errorMessage(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined
  return typeof message === 'string' ? message : ''
}

/**
 * Follows `cause` links: the core may wrap a driver error before it reaches the retry loop.
 * Bounded, in case of a cycle.
 */
export function someCause(error: unknown, test: (error: unknown) => boolean): boolean {
  let current = error
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (test(current)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/**
 * `(time, id) > (at, key)` as a row-value comparison: PostgreSQL and SQLite (3.15 and later)
 * seek on the (…, time, id) index to the first row past the cursor.
 */
export function rowValueBeyond(
  time: RawBuilder<unknown>,
  id: RawBuilder<unknown>,
  at: Date | string,
  key: string,
  travel: 'asc' | 'desc',
): RawBuilder<SqlBool> {
  const beyond = sql.raw(travel === 'asc' ? '>' : '<')
  return sql<SqlBool>`(${time}, ${id}) ${beyond} (${at}, ${key})`
}
