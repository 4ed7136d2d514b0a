import { errorCodes, type StorageDialect, someCause } from './dialect'

/** serialization_failure, deadlock_detected. */
const TRANSIENT_CODES = new Set(['40001', '40P01'])

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
    const result = await query.onConflict((conflict) => conflict.doNothing()).executeTakeFirst()
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
  },
  forUpdate: (query) => query.forUpdate(),
  // The server's default (READ COMMITTED unless the host changed it). The adapter relies on
  // row locks and conditional updates, which hold at every level; at REPEATABLE READ or
  // SERIALIZABLE PostgreSQL reports conflicts as 40001, which `transaction` retries.
  isolationLevel: undefined,
  isTransient: (error) => someCause(error, (e) => TRANSIENT_CODES.has(String(errorCodes(e).code))),
  columnTypes: { timestamp: 'timestamptz', json: 'text' },
  finishCreateTable: (builder) => builder,
}
