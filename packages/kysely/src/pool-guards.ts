/**
 * Keeps a connection pool alive when the database drops its connections (a restart, a
 * failover, `pg_terminate_backend`, `KILL`, an idle timeout on a proxy).
 *
 * Node's event emitters throw an `'error'` event that nobody listens to, and the drivers
 * emit one when a connection dies: `pg` on the pool for an idle client and on the client
 * itself for a checked-out one; `mysql2` on the pool connection. Unheard, that ends the
 * process. With a listener, the dead connection is dropped from the pool (both drivers do
 * that themselves), the queries that were on it fail, and the next checkout opens a fresh
 * connection. orgkit's transactions run again when the connection was lost before COMMIT
 * was sent (see `runTransaction`).
 *
 * The drivers are described by the few methods used here, not imported.
 */

/** A connection's `'error'` event: what both drivers' connections have. */
export interface ConnectionEvents {
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** What `guardPgPool` needs of a `pg` `Pool`. */
export interface PgPoolEvents {
  on(event: 'error', listener: (error: Error, client: ConnectionEvents) => void): unknown
  on(event: 'connect', listener: (client: ConnectionEvents) => void): unknown
}

/** What `guardMysqlPool` needs of a `mysql2` `Pool` (callback or promise API). */
export interface MysqlPoolEvents {
  on(event: 'connection', listener: (connection: ConnectionEvents) => void): unknown
}

/** Called once per lost connection, with the driver's error; it must not throw. */
export type ConnectionErrorListener = (error: Error) => void

/**
 * Listens for `'error'` on a `pg` pool and on every client it opens, so that a lost
 * connection fails only the queries that were on it. Call it right after creating the
 * pool, before the first query; it returns the pool.
 *
 * ```ts
 * const pool = guardPgPool(new pg.Pool({ connectionString }), (error) => log.warn(error))
 * const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
 * ```
 */
export function guardPgPool<Pool extends PgPoolEvents>(pool: Pool, onError?: ConnectionErrorListener): Pool {
  const report = reportOncePerConnection(onError)
  // An idle client's error is re-emitted here by the pool after it removed the client.
  pool.on('error', (error, client) => report(client, error))
  // A checked-out client's error is emitted on the client only. The query on it fails by
  // itself; the client is dropped when it is released.
  pool.on('connect', (client) => client.on('error', (error) => report(client, error)))
  return pool
}

/**
 * Listens for `'error'` on every connection a `mysql2` pool opens. mysql2 removes a
 * connection from its pool on its first error with a one-time listener of its own; a later
 * error on the same dead connection ("Can't write in closed state") would be unheard.
 * Call it right after creating the pool; it returns the pool.
 *
 * ```ts
 * const pool = guardMysqlPool(mysql.createPool({ uri, timezone: 'Z' }), (error) => log.warn(error))
 * const db = new Kysely<DB>({ dialect: new MysqlDialect({ pool }) })
 * ```
 */
export function guardMysqlPool<Pool extends MysqlPoolEvents>(pool: Pool, onError?: ConnectionErrorListener): Pool {
  const report = reportOncePerConnection(onError)
  pool.on('connection', (connection) => connection.on('error', (error) => report(connection, error)))
  return pool
}

/**
 * A dying connection emits more than one error (the server's "terminating connection",
 * then the socket's end); the host hears of it once.
 */
function reportOncePerConnection(onError: ConnectionErrorListener | undefined) {
  const reported = new WeakSet<object>()
  return (connection: object, error: Error) => {
    if (onError === undefined || reported.has(connection)) return
    reported.add(connection)
    onError(error)
  }
}
