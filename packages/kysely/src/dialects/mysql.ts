import { type SqlBool, sql } from 'kysely'
import { errorCodes, errorMessage, SOCKET_ERROR_CODES, type StorageDialect, someCause } from './dialect'

/** ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT. */
const TRANSIENT_ERRNOS = new Set([1213, 1205])
/** ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED (MariaDB's answer to `KILL`). */
const CONNECTION_LOST_ERRNOS = new Set([1053, 1927])
/** mysql2's own codes for a connection that is gone. */
const CONNECTION_LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', ...SOCKET_ERROR_CODES])
/** mysql2's errors for a command on a connection that already failed; they carry no code. */
const CLOSED_STATE_MESSAGES = new Set([
  "Can't add new command when connection is in closed state",
  "Can't write in closed state",
])

function isConnectionLost(error: unknown): boolean {
  const { code, errno } = errorCodes(error)
  return (
    CONNECTION_LOST_ERRNOS.has(Number(errno)) ||
    CONNECTION_LOST_CODES.has(String(code)) ||
    CLOSED_STATE_MESSAGES.has(errorMessage(error))
  )
}

/** ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME. */
const DUPLICATE_ERRNOS = new Set([1062, 1586])

export const mysqlDialect: StorageDialect = {
  name: 'mysql',
  // mysql2 writes and reads DATETIME in the time zone of its `timezone` option; with
  // `timezone: 'Z'` (which the docs require) the stored values are UTC.
  toTimestamp: (date) => date,
  // With `dateStrings: true` mysql2 returns `YYYY-MM-DD HH:MM:SS.mmm`, which is UTC here.
  fromTimestamp: (value) => (value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`)),
  async insertUnlessExists(query) {
    return mysqlDialect.inserted(async () => {
      await query.execute()
      return { rows: [] }
    })
  },
  unlessExists: (query) => query,
  // MySQL's duplicate-key error rolls back only the failed statement, not the transaction,
  // so a plain INSERT is safe to try. INSERT IGNORE would also hide other errors
  // (truncation, bad values) as warnings, and ON DUPLICATE KEY UPDATE reports "matched" as
  // 1 affected row under mysql2's default FOUND_ROWS flag, so neither tells an insert from
  // a collision reliably.
  async inserted(run) {
    try {
      await run()
      return true
    } catch (error) {
      if (DUPLICATE_ERRNOS.has(Number(errorCodes(error).errno))) return false
      throw error
    }
  },
  // MariaDB does not build an index range from a row comparison: `(t, id) > (?, ?)` reads the
  // organization's rows from the start of the index and filters them. A plain bound on the
  // time column is a range it seeks to; the OR only sorts out the rows sharing the cursor's
  // time. Equivalent to the row comparison because `time >= at` holds on both sides of it.
  keysetBeyond(time, id, at, key, travel) {
    const beyond = sql.raw(travel === 'asc' ? '>' : '<')
    return sql<SqlBool>`(${time} ${beyond}= ${at} and (${time} ${beyond} ${at} or ${id} ${beyond} ${key}))`
  },
  // MariaDB has no `FOR UPDATE OF`: a join locks the rows it reads in every table.
  forUpdate: (query) => query.forUpdate(),
  // READ COMMITTED: every statement reads the latest committed rows, so a count taken after
  // `organizations.lock` sees what the previous lock holder committed. InnoDB's default
  // REPEATABLE READ would read from a snapshot that may predate the lock, and its gap locks
  // turn concurrent inserts of one unique key into deadlocks.
  isolationLevel: 'read committed',
  isTransient: (error) => someCause(error, (e) => TRANSIENT_ERRNOS.has(Number(errorCodes(e).errno))),
  isConnectionLost: (error) => someCause(error, isConnectionLost),
  columnTypes: { timestamp: 'datetime(3)', json: sql`mediumtext` },
  // utf8mb4_bin: ids, slugs and hashes compare byte for byte (the server default is often a
  // case-insensitive collation, under which host user ids `abc` and `ABC` would collide).
  // Case-insensitive matching is explicit in the queries (`lower(…)`).
  finishCreateTable: (builder) =>
    builder.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`),
}
