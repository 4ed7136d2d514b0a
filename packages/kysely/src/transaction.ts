import type { Kysely, Transaction } from 'kysely'
import type { StorageDialect } from './dialects'

/**
 * How often a transaction runs before a transient failure (deadlock, serialization failure,
 * lock timeout, SQLITE_BUSY) is passed on. Such failures are expected under contention —
 * InnoDB picks a deadlock victim among concurrent inserters of one unique key, for
 * instance — and running the transaction again is the documented cure.
 */
export const MAX_TRANSACTION_ATTEMPTS = 6

/**
 * Runs `fn` in a transaction at the dialect's isolation level, running it again on a
 * transient failure with a short, jittered, growing pause so that the contenders do not
 * collide again in lockstep. Anything else is re-thrown after the rollback.
 */
export async function runTransaction<DB, T>(
  db: Kysely<DB>,
  dialect: StorageDialect,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const builder = db.transaction()
      const configured =
        dialect.isolationLevel === undefined ? builder : builder.setIsolationLevel(dialect.isolationLevel)
      return await configured.execute(fn)
    } catch (error) {
      if (attempt >= MAX_TRANSACTION_ATTEMPTS || !dialect.isTransient(error)) throw error
      await pause(attempt)
    }
  }
}

function pause(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** attempt)
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling))
}
