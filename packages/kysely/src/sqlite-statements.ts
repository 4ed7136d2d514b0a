import type { SqliteDatabase, SqliteStatement } from 'kysely'

export interface CachedStatementsOptions {
  /** How many prepared statements to keep, least recently used dropped first (default 500). */
  max?: number
}

/**
 * A SQLite database for Kysely's `SqliteDialect` that prepares each distinct SQL text once
 * and reuses the statement: Kysely's driver otherwise prepares every query it runs, BEGIN
 * and COMMIT included, and parsing and planning a statement costs as much as running a
 * small one. orgkit's queries have a fixed text per shape, so nearly every run is a hit.
 *
 * ```ts
 * const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachedStatements(new Database(file)) }) })
 * ```
 *
 * Give the result to Kysely only: a statement is shared between every query with its text,
 * so a caller that changed one's mode (`pluck`, `raw`, `expand`) would change it for all. A
 * statement still being iterated (a streamed query) is not handed out again; that query
 * gets a statement of its own. SQLite re-prepares a cached statement by itself when the
 * schema changes under it.
 */
export function cachedStatements(database: SqliteDatabase, options: CachedStatementsOptions = {}): SqliteDatabase {
  const max = options.max ?? 500
  if (!Number.isInteger(max) || max < 1) {
    throw new TypeError(`@orgkit/kysely: cachedStatements: max must be a positive integer, not ${String(options.max)}`)
  }
  const statements = new Map<string, SqliteStatement>()
  return {
    prepare(sql) {
      const cached = statements.get(sql)
      if (cached !== undefined && !isBusy(cached)) {
        // Most recently used last: a Map iterates in insertion order.
        statements.delete(sql)
        statements.set(sql, cached)
        return cached
      }
      const statement = database.prepare(sql)
      if (cached === undefined) {
        statements.set(sql, statement)
        if (statements.size > max) statements.delete(statements.keys().next().value as string)
      }
      return statement
    },
    close() {
      statements.clear()
      database.close()
    },
  }
}

/** better-sqlite3 marks a statement whose iterator is still open as `busy`. */
function isBusy(statement: SqliteStatement): boolean {
  return (statement as SqliteStatement & { busy?: boolean }).busy === true
}
