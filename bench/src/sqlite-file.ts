import { createHash } from 'node:crypto'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cachedStatements } from '@orgkit/kysely'
import SqliteDatabase from 'better-sqlite3'
import { cpuMsSince, type StatementCounter, type StatementRecording, type StatementReplay } from './measure'

type Method = 'run' | 'get' | 'all' | 'iterate'
type StatementMethod = (this: SqliteDatabase.Statement, ...args: unknown[]) => unknown

/** One statement run while recording, as it was run; `threw` stays true if it failed. */
interface Execution {
  statement: SqliteDatabase.Statement
  method: Method
  args: unknown[]
  threw: boolean
}

/** SQL given to `db.exec` while recording: not a prepared statement, so not counted, but replayed. */
interface ExecCall {
  sql: string
  threw: boolean
}

/** What a counted database's statements tick, and the log they go to while it records. */
interface Watch {
  counter: StatementCounter
  log: (Execution | ExecCall)[] | undefined
}

const watches = new WeakMap<SqliteDatabase.Database, Watch>()

/** better-sqlite3's own methods, from before they were wrapped: what the replay calls, uncounted. */
let unwrapped:
  | { statement: Record<Method, StatementMethod>; exec: (this: SqliteDatabase.Database, sql: string) => unknown }
  | undefined

/**
 * Counts every statement run on a counted database, however it was prepared (once and
 * cached, or anew): better-sqlite3's statements share one prototype, and each knows its
 * database. While the database records, each run is also logged as it was called. `exec`
 * is not counted (it runs SQL text, not a statement) but is logged, so that a replay misses
 * nothing. Wrapped once per process.
 */
function countExecutions(db: SqliteDatabase.Database): void {
  if (unwrapped !== undefined) return
  const prototype = Object.getPrototypeOf(db.prepare('select 1')) as Record<Method, StatementMethod>
  const statement = { ...prototype }
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = prototype[method]
    statement[method] = original
    prototype[method] = function (this: SqliteDatabase.Statement, ...args: unknown[]) {
      const watch = watches.get(this.database)
      watch?.counter.tick()
      if (watch?.log === undefined) return original.apply(this, args)
      const execution: Execution = { statement: this, method, args, threw: true }
      watch.log.push(execution)
      const result = original.apply(this, args)
      execution.threw = false
      return result
    }
  }
  const database = Object.getPrototypeOf(db) as { exec: (this: SqliteDatabase.Database, sql: string) => unknown }
  const exec = database.exec
  database.exec = function (this: SqliteDatabase.Database, sql: string) {
    const log = watches.get(this)?.log
    if (log === undefined) return exec.call(this, sql)
    const call: ExecCall = { sql, threw: true }
    log.push(call)
    const result = exec.call(this, sql)
    call.threw = false
    return result
  }
  unwrapped = { statement, exec }
}

/** Runs `sql` on `db` and returns its rows, uncounted and unrecorded. */
function quietly(db: SqliteDatabase.Database, sql: string): unknown[] {
  return unwrapped!.statement.all.call(db.prepare(sql)) as unknown[]
}

/** Opens a database file as the bench runs them: WAL, synchronous=NORMAL. */
function openFile(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  return db
}

/**
 * A file SQLite database as a production host would run it: WAL and synchronous=NORMAL.
 * `db` is the database itself; `cached` is what both systems are given, the same database
 * through orgkit's `cachedStatements` (each distinct SQL text prepared once, as orgkit's
 * quickstart does), so neither pays for preparing a statement per query. Every statement
 * run counts, BEGIN and COMMIT included, the same way for both. `replay` runs a measured
 * run's statements again alone (see `replayAlone`).
 */
export function openSqliteFile(
  name: string,
  counter: StatementCounter,
): { db: SqliteDatabase.Database; cached: SqliteDatabase.Database; replay: StatementReplay; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), `orgkit-bench-${name}-`))
  const file = join(dir, `${name}.sqlite`)
  const db = openFile(file)
  countExecutions(db)
  const watch: Watch = { counter, log: undefined }
  watches.set(db, watch)
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
  let copies = 0
  const replay: StatementReplay = {
    start() {
      if (watch.log !== undefined) throw new Error(`${name}: already recording`)
      // Everything into the main file and the WAL emptied, then the file's bytes copied: the
      // copy has the same pages, and both start the run with an empty WAL.
      const [checkpoint] = quietly(db, 'pragma wal_checkpoint(TRUNCATE)') as { busy: number }[]
      if (checkpoint?.busy !== 0) throw new Error(`${name}: the WAL checkpoint before a recorded run did not complete`)
      const copy = join(dir, `copy-${copies++}.sqlite`)
      copyFileSync(file, copy)
      const log: (Execution | ExecCall)[] = []
      watch.log = log
      const remove = () => {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${copy}${suffix}`, { force: true })
      }
      const recording: StatementRecording = {
        replay() {
          watch.log = undefined
          try {
            return replayAlone(log, copy, db)
          } finally {
            remove()
          }
        },
        discard() {
          watch.log = undefined
          remove()
        },
      }
      return recording
    },
  }
  return {
    db,
    cached,
    replay,
    close() {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * The recorded statements, run again in order straight through better-sqlite3 on the copy
 * of the database taken before they first ran: no ORM and nothing of the system that sent
 * them. Each distinct SQL text is prepared once, before the timer starts (as the systems'
 * cached statements are); each runs with the method and arguments it was run with, BEGIN
 * and COMMIT included, and a statement that failed must fail again. Afterwards the copy
 * must hold what the original holds, or the replay was not the same work.
 */
function replayAlone(
  log: readonly (Execution | ExecCall)[],
  copyFile: string,
  original: SqliteDatabase.Database,
): { ms: number; cpuMs: number; statements: number } {
  const copy = openFile(copyFile)
  try {
    const prepared = new Map<string, SqliteDatabase.Statement>()
    const steps = log.map((entry) => {
      if (!('statement' in entry)) return entry
      const sql = entry.statement.source
      let statement = prepared.get(sql)
      if (statement === undefined) {
        statement = copy.prepare(sql)
        prepared.set(sql, statement)
      }
      return {
        statement,
        call: unwrapped!.statement[entry.method],
        iterate: entry.method === 'iterate',
        args: entry.args,
        threw: entry.threw,
      }
    })
    const { exec } = unwrapped!
    let statements = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    for (const step of steps) {
      try {
        if (!('call' in step)) {
          exec.call(copy, step.sql)
          continue
        }
        statements++
        const result = step.call.apply(step.statement, step.args)
        // Read to the end: a recorded iteration is replayed in full, at the place it started.
        if (step.iterate) for (const _ of result as Iterable<unknown>);
      } catch (error) {
        if (step.threw) continue
        throw error
      }
      if (step.threw) throw new Error(`replayed alone, a statement succeeded that had failed: ${sqlOf(step)}`)
    }
    const ms = performance.now() - start
    const cpuMs = cpuMsSince(cpu)
    if (copy.inTransaction) throw new Error('the replayed statements left a transaction open')
    const execs = steps.length - statements
    if (execs > 0) console.error(`    (${execs} db.exec call(s) replayed too; they are not counted as statements)`)
    sameContents(original, copy)
    return { ms, cpuMs, statements }
  } finally {
    copy.close()
  }
}

const sqlOf = (step: { sql: string } | { statement: SqliteDatabase.Statement }) =>
  'sql' in step ? step.sql : step.statement.source

/** Throws unless both databases have the same tables with the same rows in the same order. */
function sameContents(a: SqliteDatabase.Database, b: SqliteDatabase.Database): void {
  const fingerprint = (db: SqliteDatabase.Database) => {
    const tables = quietly(
      db,
      "select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name",
    ) as { name: string }[]
    return new Map(
      tables.map(({ name }) => {
        const hash = createHash('sha256')
        let rows = 0
        const all = db.prepare(`select * from "${name.replaceAll('"', '""')}"`).raw(true)
        for (const row of unwrapped!.statement.iterate.call(all) as Iterable<unknown[]>) {
          hash.update(JSON.stringify(row))
          rows++
        }
        return [name, `${rows} rows, ${hash.digest('hex')}`]
      }),
    )
  }
  const left = fingerprint(a)
  const right = fingerprint(b)
  for (const name of new Set([...left.keys(), ...right.keys()])) {
    if (left.get(name) !== right.get(name)) {
      throw new Error(
        `replayed alone, the statements left table ${name} different: ${right.get(name)} against ${left.get(name)}`,
      )
    }
  }
}
