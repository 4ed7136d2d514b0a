import type { Kysely } from 'kysely'
import { type DialectName, detectDialect } from './dialects'
import type { OrganizationTables } from './organization-tables'
import { ORGKIT_TABLES, RETIRED_TABLES } from './schema'

export const DEFAULT_TABLE_PREFIX = 'orgkit_'

/** Options shared by the storage and the migrations: both must name the same tables. */
export interface OrgkitTablesOptions {
  /**
   * Prepended to the name of every table, index and constraint orgkit creates, and to its
   * migration tables. Letters, digits and `_`, at most 20 characters.
   * @default 'orgkit_'
   */
  tablePrefix?: string | undefined
  /**
   * The database behind the Kysely instance.
   * @default detected from the instance's adapter (PostgresAdapter, MysqlAdapter, SqliteAdapter)
   */
  dialect?: DialectName | undefined
}

/** The host's own user table, which orgkit reads and never writes. */
export interface UsersTableOptions {
  /** Table name, optionally schema-qualified (`auth.users`). */
  table: string
  /**
   * Column names. `id` must hold the same values the host passes as user ids; `email` is
   * compared case-insensitively. Columns left out read as `null`.
   */
  columns: {
    id: string
    email: string
    username?: string | undefined
    name?: string | undefined
    imageUrl?: string | undefined
  }
  /**
   * The type of the id column, which decides how orgkit's text ids meet it: `'text'` (any
   * character type), `'integer'` or `'bigint'` (any integer column: serial, identity,
   * auto-increment; both mean the same), `'uuid'` (PostgreSQL's and MariaDB's `uuid`; on
   * SQLite a uuid is text). Ids cross orgkit's API as strings: an integer as its decimal
   * digits, a uuid in its 36-character form. An id that no row of this type can have (`'abc'`
   * for an integer column) names no user. Checked against the catalog once, at the first
   * statement that meets the users table; a mismatch is warned about (see `logger`).
   * @default 'text'
   */
  idType?: 'text' | 'integer' | 'bigint' | 'uuid' | undefined
  /**
   * The host stores emails trimmed and lower-cased. orgkit then looks a user up by email
   * with `email = ?`, which the host's ordinary index on the column serves on every
   * database. Without it orgkit compares `lower(email) = ?`, which only an index on
   * `lower(email)` serves (PostgreSQL, SQLite), unless the column compares
   * case-insensitively already (a `_ci` collation on MariaDB, `citext` on PostgreSQL), where
   * `email = ?` is used. What the table has is read from the catalog once, and a lookup no
   * index serves is warned about with the statement that fixes it: see docs/storage.md,
   * "Looking users up by email".
   * @default false
   */
  emailNormalized?: boolean | undefined
}

// biome-ignore lint/suspicious/noExplicitAny: the host's database type is its own.
export interface KyselyStorageOptions<DB = any> extends OrgkitTablesOptions {
  /** Joined into member listings in the same query, and read by the user directory. */
  users: UsersTableOptions
  /**
   * Hears, once per storage, what the users table lacks: an index for the lookup by email,
   * or an `idType` that differs from the id column's type. Each message names the statement
   * or option that fixes it.
   * @default console
   */
  logger?: { warn(message: string): void } | undefined
  /**
   * The host's tables whose rows belong to one organization (`'projects'`, or
   * `{ table, column?, onDelete? }`; or `{ projects: 'organization_id' }`, the form the scope
   * plugin's `tables` takes). Deleting an organization deletes their rows
   * (`where organization_id = ?`), in the order listed (children before parents, when the
   * host has foreign keys between them), in the same transaction as orgkit's own rows — or
   * hands them to the table's `onDelete`. A failure there rolls the whole deletion back.
   * See docs/scoping.md, "Deleting an organization".
   * @default []
   */
  organizationTables?: OrganizationTables<DB> | undefined
  /**
   * Whether orgkit's tables are distributed (Citus, laid out as docs/scaling.md says). Only
   * deleting an organization reads it: distributed, each of its global lookup and per-user
   * rows is deleted by the key it is placed by (one statement per member, invitation and key,
   * each on one shard); otherwise each of those tables is cleared with one indexed
   * `where organization_id = ?`, whatever the organization's size.
   * @default detected once: true when the database has the `citus` extension (PostgreSQL only)
   */
  distributed?: boolean | undefined
}

/** How orgkit meets the host's id column (`'bigint'` is `'integer'`). */
export type HostIdType = 'text' | 'integer' | 'uuid'

/** Validates the prefix, which ends up in table, index and constraint names. */
export function resolvePrefix(options: OrgkitTablesOptions | undefined): string {
  const prefix = options?.tablePrefix ?? DEFAULT_TABLE_PREFIX
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(
      `@orgkit/kysely: tablePrefix ${JSON.stringify(prefix)} must be letters, digits and _, at most 20 characters.`,
    )
  }
  return prefix
}

export function resolveDialect(db: Kysely<unknown>, options: OrgkitTablesOptions | undefined): DialectName {
  return options?.dialect ?? detectDialect(db)
}

/** Logical table name → physical name, for `tableNamesPlugin`. */
export function physicalTableNames(prefix: string): Map<string, string> {
  return new Map<string, string>([...ORGKIT_TABLES, ...RETIRED_TABLES].map((table) => [table, `${prefix}${table}`]))
}

const PREFIX_PATTERN = /^[A-Za-z0-9_]{0,20}$/
const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/

/** The host's user table and columns, checked once so that queries can reference them safely. */
export interface UsersTableMapping {
  id: string
  email: string
  username: string | undefined
  name: string | undefined
  imageUrl: string | undefined
  /** See `UsersTableOptions.idType`. */
  idType: HostIdType
  /** See `UsersTableOptions.emailNormalized`. */
  emailNormalized: boolean
}

const ID_TYPES: Record<string, HostIdType> = { text: 'text', integer: 'integer', bigint: 'integer', uuid: 'uuid' }

export function resolveUsersTable(users: UsersTableOptions | undefined): { table: string; columns: UsersTableMapping } {
  if (users === undefined || typeof users.table !== 'string' || typeof users.columns !== 'object') {
    throw new Error('@orgkit/kysely: options.users must name the host user table and its columns.')
  }
  const check = (what: string, value: string | undefined, pattern: RegExp) => {
    if (value !== undefined && !pattern.test(value)) {
      throw new Error(`@orgkit/kysely: options.users.${what} ${JSON.stringify(value)} is not a plain SQL identifier.`)
    }
    return value
  }
  const column = (key: keyof UsersTableOptions['columns']) =>
    check(`columns.${key}`, users.columns[key], /^[A-Za-z_][A-Za-z0-9_$]*$/)
  const id = column('id')
  const email = column('email')
  if (id === undefined || email === undefined) {
    throw new Error('@orgkit/kysely: options.users.columns needs at least `id` and `email`.')
  }
  return {
    table: check('table', users.table, IDENTIFIER_PATTERN) as string,
    columns: {
      id,
      email,
      username: column('username'),
      name: column('name'),
      imageUrl: column('imageUrl'),
      idType: resolveIdType(users.idType),
      emailNormalized: users.emailNormalized === true,
    },
  }
}

function resolveIdType(idType: unknown): HostIdType {
  if (idType === undefined) return 'text'
  const resolved = typeof idType === 'string' && Object.hasOwn(ID_TYPES, idType) ? ID_TYPES[idType] : undefined
  if (resolved === undefined) {
    throw new Error(
      `@orgkit/kysely: options.users.idType ${JSON.stringify(idType)} must be 'text', 'integer', 'bigint' or 'uuid'.`,
    )
  }
  return resolved
}
