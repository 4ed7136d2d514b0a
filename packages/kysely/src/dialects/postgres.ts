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
  isTransient: (error) => someCause(error, (e) => TRANSIENT_CODES.has(String(errorCodes(e).code))),
  isConnectionLost: (error) => someCause(error, isConnectionLost),
  columnTypes: { timestamp: 'timestamptz', json: 'text' },
  finishCreateTable: (builder) => builder,
}
