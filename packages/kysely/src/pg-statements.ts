import { createHash } from 'node:crypto'
import { isStaleStatement } from './dialects/postgres'

/**
 * The end of every SQL text `compiled` makes for PostgreSQL: how `preparedStatements`, which
 * sits under Kysely and sees a text and its parameters and nothing else, tells orgkit's
 * compiled statements from every other text. A comment, so the server ignores it.
 */
export const COMPILED_MARK = ' /* orgkit */'

/**
 * A name that depends on the text alone, so that it is the same in every process and for
 * every copy of this module: the first 16 hex digits of the text's SHA-256, as the core
 * names a personal organization's slug. `orgkit_` and 16 digits stay far below
 * PostgreSQL's 63 bytes for a name.
 */
function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** What `preparedStatements` replaces on a `pg` client: its `query`. */
export interface PgStatementClient {
  query(config: unknown, values?: unknown, callback?: unknown): unknown
}

/** What `preparedStatements` needs of a `pg` `Pool`: its `'acquire'` event, heard on every checkout. */
export interface PgStatementPool {
  on(event: 'acquire', listener: (client: PgStatementClient) => void): unknown
}

export interface PreparedStatementsOptions {
  /**
   * Hears the error with which the server refused a prepared statement (`cached plan must
   * not change result type` after a migration changed a table it reads, or `prepared
   * statement … does not exist` after `DEALLOCATE`), once per change: from then on every
   * connection of the pool prepares orgkit's statements under fresh names. It must not throw.
   */
  onStale?: ((error: Error) => void) | undefined
}

type Callback = (error: Error | undefined, result?: unknown) => void

/**
 * A node-postgres pool for Kysely's `PostgresDialect` whose clients run orgkit's compiled
 * statements as named (prepared) statements: PostgreSQL parses and analyzes each one once
 * per connection instead of on every run, and may keep a generic plan after five runs.
 * Every other text (BEGIN and COMMIT, the host's queries, orgkit's statements built per
 * call) is sent as before, unnamed, so the statements prepared on a connection are at most
 * orgkit's templates. A named statement's first run sends Parse with Bind and Execute in
 * one go and later runs send Bind and Execute: no round trip is added.
 *
 * ```ts
 * const pool = preparedStatements(guardPgPool(new pg.Pool({ connectionString })))
 * const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
 * ```
 *
 * It returns the same pool, changed: each client is wrapped on its first checkout after
 * this call (connections opened before are wrapped too), and the pool's events, `query`
 * and `end` work as before. Call it once per pool; `guardPgPool` may come before or after.
 *
 * Not through a pooler that hands one client's statements to different server connections
 * (PgBouncer in transaction or statement mode before 1.21, or without
 * `max_prepared_statements`): a prepared statement exists on the connection it was made on.
 *
 * When a table changes under a prepared statement so that its result changes (a migration
 * adds a column to a table read with `*`), PostgreSQL refuses to run it on every connection
 * that prepared it (`cached plan must not change result type`, SQLSTATE 0A000). The first
 * refusal moves the whole pool to fresh names, so no connection runs a stale name again;
 * the old statements stay on their connections, unused, until those close. The refused
 * query itself is run again once, under its fresh name, when it ran outside a transaction
 * (the wrapper follows the BEGIN, COMMIT and ROLLBACK that pass through it). Inside one
 * the transaction is already aborted, so the error is passed on: orgkit's transactions run
 * again on it, as on a serialization failure. The same holds for a statement that
 * `DEALLOCATE` or `DISCARD ALL` removed behind the driver's back (SQLSTATE 26000).
 */
export function preparedStatements<Pool extends PgStatementPool>(
  pool: Pool,
  options: PreparedStatementsOptions = {},
): Pool {
  // Bumped by the first refusal of a statement of the current names: the suffix of every
  // name from then on.
  let generation = 0
  const nameOf = (base: string, at: number) => (at === 0 ? base : `${base}_${at}`)
  const wrapped = new WeakSet<object>()
  // Each of orgkit's texts met so far with its name: one entry per compiled template and
  // variant, never a call's values, so it stops growing once every hot path has run.
  const names = new Map<string, string>()
  const taken = new Set<string>()
  const baseName = (text: string): string | undefined => {
    if (!text.endsWith(COMPILED_MARK)) return undefined
    let name = names.get(text)
    if (name === undefined) {
      name = `orgkit_${textHash(text)}`
      // Two texts of one hash (unlikely at 64 bits) still get names of their own.
      if (taken.has(name)) name = `${name}_x${taken.size}`
      taken.add(name)
      names.set(text, name)
    }
    return name
  }

  const wrap = (client: PgStatementClient) => {
    const query = client.query
    // Whether a transaction is open on this connection, from the texts sent on it.
    let inTransaction = false

    const runNamed = (text: string, base: string, values: unknown, retry: boolean): Promise<unknown> => {
      const at = generation
      const first = query.call(client, { name: nameOf(base, at), text, values }) as Promise<unknown>
      return first.then(undefined, (error: unknown) => {
        if (!isStaleStatement(error)) throw error
        if (at === generation) {
          generation++
          options.onStale?.(error as Error)
        }
        if (!retry) throw error
        return query.call(client, { name: nameOf(base, generation), text, values })
      })
    }

    client.query = (config: unknown, values?: unknown, callback?: unknown): unknown => {
      const base = typeof config === 'string' ? baseName(config) : undefined
      if (base === undefined) {
        const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text
        if (typeof text === 'string') inTransaction = transactionAfter(text, inTransaction)
        return query.call(client, config, values, callback)
      }
      let done = callback
      let parameters = values
      if (typeof values === 'function') {
        done = values
        parameters = undefined
      }
      const result = runNamed(config as string, base, parameters, !inTransaction)
      if (typeof done !== 'function') return result
      result.then(
        (value) => (done as Callback)(undefined, value),
        (error: Error) => (done as Callback)(error),
      )
      return undefined
    }
  }

  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return
    wrapped.add(client)
    wrap(client)
  })
  return pool
}

const BEGINS = /^\s*(?:begin|start\s+transaction)\b/i
const ENDS = /^\s*(?:commit|end|abort|rollback(?!\s+to\b)|prepare\s+transaction)\b/i
const CHAINS = /\band\s+chain\b/i

/** Whether a transaction is open after `text` ran, as far as its first words tell. */
function transactionAfter(text: string, open: boolean): boolean {
  if (BEGINS.test(text)) return true
  if (ENDS.test(text)) return CHAINS.test(text)
  return open
}
