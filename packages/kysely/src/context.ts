import type { Kysely } from 'kysely'
import type { CompiledQueryCache } from './compiled'
import type { StorageDialect } from './dialects'
import type { UsersTableMapping } from './options'
import type { OrgkitDatabase } from './schema'

/** What every repository is built from. */
export interface StorageContext {
  /** The database, or the transaction the repositories were handed out for. */
  db: Kysely<OrgkitDatabase>
  dialect: StorageDialect
  users: UsersTableMapping
  /**
   * Runs a multi-statement method atomically: inside the current transaction when there is
   * one, otherwise in a transaction of its own (with the same retries as `transaction`).
   */
  atomic<T>(fn: (db: Kysely<OrgkitDatabase>) => Promise<T>): Promise<T>
  /** The storage's compiled queries (see `compiled`), shared by the repositories of every transaction. */
  compiled: CompiledQueryCache
}
