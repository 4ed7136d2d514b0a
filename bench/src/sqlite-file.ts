import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import type { StatementCounter } from './measure'

/**
 * A file SQLite database as a production host would run it: WAL and synchronous=NORMAL.
 * Every statement either system sends goes through `prepare` (Kysely's SQLite driver
 * prepares each query it runs, transaction control included), so wrapping it counts SQL
 * statements the same way for orgkit and for Better Auth.
 */
export function openSqliteFile(
  name: string,
  counter: StatementCounter,
): { db: SqliteDatabase.Database; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), `orgkit-bench-${name}-`))
  const db = new SqliteDatabase(join(dir, `${name}.sqlite`))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  const prepare = db.prepare.bind(db)
  db.prepare = ((source: string) => {
    counter.tick()
    return prepare(source)
  }) as typeof db.prepare
  return {
    db,
    close() {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
