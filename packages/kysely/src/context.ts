import type { Kysely, Transaction } from 'kysely'
import type { CompiledQueryCache } from './compiled'
import type { StorageDialect } from './dialects'
import type { EmailLookup, HostIdSql } from './host-users'
import type { UsersTableMapping } from './options'
import type { ResolvedOrganizationTable } from './organization-tables'
import type { OrgkitDatabase } from './schema'

/** What every repository is built from. */
export interface StorageContext {
  /** The database, or the transaction the repositories were handed out for. */
  db: Kysely<OrgkitDatabase>
  dialect: StorageDialect
  users: UsersTableMapping
  /** How statements meet the host's users table; shared by the repositories of every transaction. */
  hostUsers: HostUsers
  /**
   * Whether these are a transaction's repositories (`Storage.transaction`). Outside one, a
   * method's only statement commits on its own, and a method may run one alone rather than
   * open a transaction for it.
   */
  inTransaction: boolean
  /**
   * Runs a multi-statement method atomically: inside the current transaction when there is
   * one, otherwise in a transaction of its own (with the same retries as `transaction`).
   * `host` is the same transaction on the host's own Kysely instance, without orgkit's
   * table renaming: what the host's tables are written through.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the host's database type is its own.
  atomic<T>(fn: (db: Kysely<OrgkitDatabase>, host: Transaction<any>) => Promise<T>): Promise<T>
  /** The host's tables whose rows an organization's deletion deletes (`organizationTables`). */
  organizationTables: readonly ResolvedOrganizationTable[]
  /**
   * Whether orgkit's tables are distributed (`distributed`, or the catalog read once on the
   * first call): what an organization's deletion keys its lookup and per-user rows by.
   */
  distributed(db: Kysely<OrgkitDatabase>): Promise<boolean>
  /** The storage's compiled queries (see `compiled`), shared by the repositories of every transaction. */
  compiled: CompiledQueryCache
}

/** The host's users table as the storage found it. */
export interface HostUsers {
  /** Compares orgkit's text ids with the host's id column. */
  id: HostIdSql
  /** How lookups by email compare; settled by `ready`. */
  emailLookup: EmailLookup
  /**
   * Reads the users table's catalog the first time it is called (on `db`, which may be a
   * transaction), says what it lacks once, and settles `emailLookup`. Statements that meet
   * the users table are compiled after it.
   */
  ready(db: Kysely<OrgkitDatabase>): Promise<void>
}
