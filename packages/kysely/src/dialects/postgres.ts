import { errorCodes, errorMessage, rowValueBeyond, SOCKET_ERROR_CODES, type StorageDialect, someCause } from './dialect'

/** serialization_failure, deadlock_detected. */
const TRANSIENT_CODES = new Set(['40001', '40P01'])
/** admin_shutdown (`pg_terminate_backend`), crash_shutdown, cannot_connect_now. */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03'])
/** pg's own errors for a dead client; it gives them no code. */
const CONNECTION_LOST_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
])

/**
 * A named statement the server would not run: its tables changed so that its result would
 * (feature_not_supported from `RevalidateCachedQuery`: `cached plan must not change result
 * type`), or it is gone from the connection (invalid_sql_statement_name from
 * `FetchPreparedStatement`, after `DEALLOCATE` or `DISCARD ALL`). Told apart by the server's
 * routine, which is never translated, or the message. orgkit's statements are named only
 * through `preparedStatements`, which moves to fresh names on the first one; nothing ran, so
 * a transaction it aborted may run again.
 */
export function isStaleStatement(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, routine } = error as { code?: unknown; routine?: unknown }
  if (code === '0A000') {
    return routine === 'RevalidateCachedQuery' || errorMessage(error) === 'cached plan must not change result type'
  }
  return code === '26000' && (routine === 'FetchPreparedStatement' || / does not exist$/.test(errorMessage(error)))
}

function isConnectionLost(error: unknown): boolean {
  const code = String(errorCodes(error).code)
  return (
    CONNECTION_LOST_CODES.has(code) ||
    code.startsWith('08') || // connection_exception and its subclasses
    SOCKET_ERROR_CODES.has(code) ||
    CONNECTION_LOST_MESSAGES.has(errorMessage(error))
  )
}

export const postgresDialect: StorageDialect = {
  name: 'postgres',
  // pg binds a Date with its offset, and timestamptz stores the instant.
  toTimestamp: (date) => date,
  // pg parses timestamptz into a Date; a host that turned that parser off gets ISO-like text.
  fromTimestamp: (value) => (value instanceof Date ? value : new Date(value)),
  async insertUnlessExists(query) {
    // ON CONFLICT DO NOTHING: a concurrent inserter of the same key waits for the first to
    // commit and then inserts nothing, instead of failing with 23505, which would abort
    // the whole transaction.
    const result = await postgresDialect.unlessExists(query).executeTakeFirst()
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
  },
  unlessExists: (query) => query.onConflict((conflict) => conflict.doNothing()),
  inserted: async (run) => ((await run()).numAffectedRows ?? 0n) > 0n,
  // A row comparison is an Index Cond on the (…, time, id) index: the scan starts at the cursor.
  keysetBeyond: rowValueBeyond,
  forUpdate: (query, of) => (of === undefined ? query.forUpdate() : query.forUpdate(of)),
  // The server's default (READ COMMITTED unless the host changed it). The adapter relies on
  // row locks and conditional updates, which hold at every level; at REPEATABLE READ or
  // SERIALIZABLE PostgreSQL reports conflicts as 40001, which `transaction` retries.
  isolationLevel: undefined,
  // A stale prepared statement too: see `isStaleStatement`.
  isTransient: (error) =>
    someCause(error, (e) => TRANSIENT_CODES.has(String(errorCodes(e).code)) || isStaleStatement(e)),
  isConnectionLost: (error) => someCause(error, isConnectionLost),
  columnTypes: { timestamp: 'timestamptz', json: 'text' },
  finishCreateTable: (builder) => builder,
}
