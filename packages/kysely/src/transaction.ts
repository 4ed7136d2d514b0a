import type { Kysely, Transaction } from 'kysely'
import type { StorageDialect } from './dialects'

/**
 * How often a transaction runs before a failure that allows running it again is passed on.
 * Such failures are expected under contention — InnoDB picks a deadlock victim among
 * concurrent inserters of one unique key, for instance — and running the transaction
 * again is the documented cure. A lost connection is one too, as long as COMMIT was not
 * sent (see `mayRunAgain`).
 */
export const MAX_TRANSACTION_ATTEMPTS = 6

/**
 * Runs `fn` in a transaction at the dialect's isolation level, running it again on a
 * failure that `mayRunAgain` allows, with a short, jittered, growing pause so that the
 * contenders do not collide again in lockstep (and a pool has a moment to replace a dead
 * connection). Anything else is re-thrown after the rollback.
 */
export async function runTransaction<DB, T>(
  db: Kysely<DB>,
  dialect: StorageDialect,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    // Set once `fn` has returned: from then on Kysely sends COMMIT.
    let committing = false
    try {
      const builder = db.transaction()
      const configured =
        dialect.isolationLevel === undefined ? builder : builder.setIsolationLevel(dialect.isolationLevel)
      return await configured.execute(async (trx) => {
        const result = await fn(trx)
        committing = true
        return result
      })
    } catch (error) {
      if (attempt >= MAX_TRANSACTION_ATTEMPTS || !mayRunAgain(dialect, error, committing)) throw error
      await pause(attempt)
    }
  }
}

/**
 * Whether a failed transaction may simply be run again: only when the database certainly
 * did not commit it.
 *
 * - A deadlock, serialization failure, lock timeout or SQLITE_BUSY: the database rolled the
 *   transaction back (or never started it) and says so.
 * - A lost connection before COMMIT was sent (while connecting, at BEGIN, or in any
 *   statement of `fn`): a transaction whose connection is gone is rolled back by the
 *   server, so nothing of it was committed. The error Kysely passes on may be the
 *   ROLLBACK's on the dead connection rather than the statement's; both mean the same.
 * - A lost connection once COMMIT was sent: the server may have committed before the
 *   connection went, and the answer was lost with it. Running `fn` again could apply a
 *   mutation twice (a second organization, a second audit event), so the error is passed
 *   on and the caller gets a failure (HTTP 500 `internal`) for a change that may or may
 *   not have happened — never half of one, since the transaction is atomic either way.
 */
function mayRunAgain(dialect: StorageDialect, error: unknown, committing: boolean): boolean {
  if (dialect.isTransient(error)) return true
  return !committing && dialect.isConnectionLost(error)
}

/**
 * Runs one statement outside any transaction, where it commits on its own, with the retries
 * `runTransaction` makes: again on a failure the database rolled it back for, and again on
 * a lost connection. Unlike a transaction's statements before COMMIT, a statement that
 * commits alone may have committed before its connection went, so this is only for a
 * statement that cannot take effect twice (its rows keyed by an id chosen before the first
 * run) and whose effect a later run can recognise: `run` is told (`afterLoss`) when an
 * earlier run may have taken effect, and must then report that effect as its own. The
 * statement may even still be running on the lost connection, and commit only later:
 * `run` recognises it by what its own run then finds (a later run waits for the earlier
 * one's uncommitted rows under a unique key, and finds them committed).
 */
export async function runAlone<T>(dialect: StorageDialect, run: (afterLoss: boolean) => Promise<T>): Promise<T> {
  let afterLoss = false
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(afterLoss)
    } catch (error) {
      const lost = dialect.isConnectionLost(error)
      if (attempt >= MAX_TRANSACTION_ATTEMPTS || !(lost || dialect.isTransient(error))) throw error
      afterLoss ||= lost
      await pause(attempt)
    }
  }
}

function pause(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** attempt)
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling))
}
