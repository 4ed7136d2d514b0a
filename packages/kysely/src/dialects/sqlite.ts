import { errorCodes, rowValueBeyond, type StorageDialect, someCause } from './dialect'

export const sqliteDialect: StorageDialect = {
  name: 'sqlite',
  // ISO-8601 text, always `toISOString()`'s fixed width and `Z`: text order is time order,
  // so comparisons and keyset pagination work on the strings.
  toTimestamp: (date) => date.toISOString(),
  fromTimestamp: (value) => (value instanceof Date ? value : new Date(value)),
  async insertUnlessExists(query) {
    const result = await sqliteDialect.unlessExists(query).executeTakeFirst()
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n
  },
  // ON CONFLICT DO NOTHING rather than INSERT OR IGNORE, which would also swallow
  // NOT NULL and CHECK violations.
  unlessExists: (query) => query.onConflict((conflict) => conflict.doNothing()),
  inserted: async (run) => ((await run()).numAffectedRows ?? 0n) > 0n,
  // Row values (SQLite 3.15 and later) seek: `SEARCH … USING INDEX … ((time,id)>(?,?))`.
  keysetBeyond: rowValueBeyond,
  // SQLite has no row locks and needs none here: Kysely's SQLite driver holds a single
  // connection and hands it to one transaction at a time, so orgkit's transactions in a
  // process already run one after another. Between processes sharing a file, SQLite's
  // database lock serializes writers and reports SQLITE_BUSY, which `transaction` retries.
  forUpdate: (query) => query,
  isolationLevel: undefined,
  isTransient: (error) => someCause(error, (e) => String(errorCodes(e).code).startsWith('SQLITE_BUSY')),
  // An embedded database has no connection to lose.
  isConnectionLost: () => false,
  columnTypes: { timestamp: 'text', json: 'text' },
  finishCreateTable: (builder) => builder,
}
