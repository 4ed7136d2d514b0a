import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cachedStatements } from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import type { StatementCounter } from './measure'

/** Which counter a database's statements tick. */
const counters = new WeakMap<SqliteDatabase.Database, StatementCounter>()

/**
 * Counts every statement run on a counted database, however it was prepared (once and
 * cached, or anew): better-sqlite3's statements share one prototype, and each knows its
 * database. Wrapped once per process.
 */
function countExecutions(db: SqliteDatabase.Database): void {
  const prototype = Object.getPrototypeOf(db.prepare('select 1')) as Record<string, unknown>
  if (prototype.__orgkitBenchCounted === true) return
  prototype.__orgkitBenchCounted = true
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = prototype[method] as (this: SqliteDatabase.Statement, ...args: unknown[]) => unknown
    prototype[method] = function (this: SqliteDatabase.Statement, ...args: unknown[]) {
      counters.get(this.database)?.tick()
      return original.apply(this, args)
    }
  }
}

/**
 * A file SQLite database as a production host would run it: WAL and synchronous=NORMAL.
 * `db` is the database itself; `cached` is what both systems are given, the same database
 * through orgkit's `cachedStatements` (each distinct SQL text prepared once, as orgkit's
 * quickstart does), so neither pays for preparing a statement per query. Every statement
 * run counts, BEGIN and COMMIT included, the same way for both.
 */
export function openSqliteFile(
  name: string,
  counter: StatementCounter,
): { db: SqliteDatabase.Database; cached: SqliteDatabase.Database; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), `orgkit-bench-${name}-`))
  const db = new SqliteDatabase(join(dir, `${name}.sqlite`))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  countExecutions(db)
  counters.set(db, counter)
  const statements = cachedStatements(db)
  // The database with only `prepare` replaced: a system that inspects what it was given
  // (Better Auth tells better-sqlite3 by its methods) sees better-sqlite3.
  const cached = new Proxy(db, {
    get(target, property) {
      if (property === 'prepare') return statements.prepare
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    db,
    cached,
    close() {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
