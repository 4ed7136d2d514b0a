import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely'
import type { DialectName } from './dialects'
import type { HostIdType, UsersTableMapping } from './options'

/**
 * How orgkit meets the host's users table: its id column, whatever its type, and its email
 * column, whatever its collation.
 *
 * orgkit's own `user_id` columns are text on every database, and ids cross its API as
 * strings. Each statement that meets the host's table compares like with like, converting
 * orgkit's side where the host's table is looked up by its key (a member page: the host's
 * primary key serves `u.id = <member's id as the host's type>`), and the host's side where
 * orgkit's table is looked up by a host user found otherwise (the invitee, found by email:
 * orgkit's member key serves `m.user_id = <the host's id as text>`).
 */

/**
 * An id as the host's column holds it, in the text form orgkit keeps (`'42'`, a lower- or
 * upper-case uuid), or `null` when no row of that type can have it (`'abc'`, `'042'` or a
 * number beyond 64 bits for an integer column, a malformed uuid): such an id names no user,
 * and is never sent to a database that would reject it.
 */
export function hostIdValue(idType: HostIdType, id: string): string | null {
  switch (idType) {
    case 'text':
      return id
    case 'integer':
      return INTEGER_ID.test(id) && BigInt(id) >= INT64_MIN && BigInt(id) <= INT64_MAX ? id : null
    case 'uuid':
      return UUID_ID.test(id) ? id : null
  }
}

/** Decimal, as the databases print it: no sign but `-`, no leading zero. */
const INTEGER_ID = /^(0|-?[1-9][0-9]{0,18})$/
const UUID_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** The SQL pieces that compare orgkit's text ids with the host's id column, per dialect and type. */
export interface HostIdSql {
  /** `value` (a text parameter, already checked by `hostIdValue`) as the host's id type. */
  fromParameter(value: unknown): RawBuilder<unknown>
  /**
   * One of orgkit's text id columns as the host's id type, `NULL` where the text is no id of
   * that type: a join on the host's key from it seeks the host's primary key, and never
   * fails on a malformed id (PostgreSQL's cast would).
   */
  fromOrgkitColumn(column: RawBuilder<unknown>): RawBuilder<unknown>
  /** The host's id column as text, as orgkit's columns hold ids: a join from it seeks orgkit's keys. */
  asText(hostColumn: RawBuilder<unknown>): RawBuilder<unknown>
}

export function hostIdSql(dialect: DialectName, idType: HostIdType): HostIdSql {
  const same = (value: RawBuilder<unknown>) => value
  if (idType === 'text' || (idType === 'uuid' && dialect === 'sqlite')) {
    // Text on both sides (a uuid is text on SQLite).
    return { fromParameter: (value) => sql`${value}`, fromOrgkitColumn: same, asText: same }
  }
  switch (dialect) {
    case 'postgres':
      // `int4 = int8` is in the integer operator family, so a bigint serves both widths.
      return idType === 'integer'
        ? {
            fromParameter: (value) => sql`cast(${value} as bigint)`,
            fromOrgkitColumn: (column) =>
              sql`case when ${column} ~ ${sql.lit(INTEGER_ID.source)} then case when cast(${column} as numeric) between ${sql.lit(String(INT64_MIN))} and ${sql.lit(String(INT64_MAX))} then cast(${column} as bigint) end end`,
            asText: (column) => sql`cast(${column} as text)`,
          }
        : {
            fromParameter: (value) => sql`cast(${value} as uuid)`,
            fromOrgkitColumn: (column) =>
              sql`case when ${column} ~ ${sql.lit(UUID_ID.source.replaceAll('a-f', 'a-fA-F'))} then cast(${column} as uuid) end`,
            asText: (column) => sql`cast(${column} as text)`,
          }
    case 'mysql': {
      // orgkit's columns are utf8mb4_bin: the host's id as text in that collation, so the
      // comparison is the column's own and its index serves it.
      const asText = (column: RawBuilder<unknown>) =>
        sql`cast(${column} as char character set utf8mb4) collate utf8mb4_bin`
      return idType === 'integer'
        ? {
            // MariaDB compares a string constant with an integer column as that integer.
            fromParameter: (value) => sql`${value}`,
            // CAST never fails on MariaDB ('12abc' → 12, with a warning): only a text that
            // reads back unchanged is that integer.
            fromOrgkitColumn: (column) =>
              sql`case when ${asText(sql`cast(${column} as signed)`)} = ${column} then cast(${column} as signed) end`,
            asText,
          }
        : // MariaDB's uuid type compares with a string as a uuid, and a malformed one matches none.
          { fromParameter: (value) => sql`${value}`, fromOrgkitColumn: same, asText }
    }
    case 'sqlite':
      return {
        fromParameter: (value) => sql`${value}`,
        // CAST reads a leading number ('12abc' → 12): only a text that reads back unchanged.
        fromOrgkitColumn: (column) =>
          sql`case when cast(cast(${column} as integer) as text) = ${column} then cast(${column} as integer) end`,
        asText: (column) => sql`cast(${column} as text)`,
      }
  }
}

// ── The email lookup, and what the host's table tells at start-up ─────────────────────

/**
 * How a lookup by email compares the host's column with the lower-cased address:
 * - `'column'`: `email = ?`, which the host's plain index serves. Case-insensitive because
 *   the host stores emails lower-cased (`emailNormalized`) or because the column compares
 *   case-insensitively already (a `_ci` collation on MariaDB/MySQL, `citext` on PostgreSQL).
 * - `'lower'`: `lower(email) = ?`, which only an index on `lower(email)` serves.
 */
export type EmailLookup = 'column' | 'lower'

export function emailCondition(lookup: EmailLookup, column: RawBuilder<unknown>, email: unknown): RawBuilder<SqlBool> {
  return lookup === 'column' ? sql<SqlBool>`${column} = ${email}` : sql<SqlBool>`lower(${column}) = ${email}`
}

/** What `inspectUsersTable` found. */
export interface UsersTableInspection {
  /** The form lookups by email take on this table. */
  emailLookup: EmailLookup
  /** Whether an index of the host's table serves that form. */
  emailIndexed: boolean
  /** The id column's type as the catalog names it, `undefined` when the column was not found. */
  idColumnType: string | undefined
  /** Each problem found, with the statement or option that fixes it; empty when all is well. */
  warnings: string[]
}

/**
 * Reads the catalog once for the host's users table: whether its email column compares
 * case-insensitively already, which index serves the lookup by email, and whether the id
 * column's type is the one `users.idType` declares. Catalog reads only: safe inside a
 * transaction, and on a table orgkit may not alter.
 */
export async function inspectUsersTable(
  db: Kysely<unknown>,
  dialect: DialectName,
  table: string,
  users: UsersTableMapping,
): Promise<UsersTableInspection> {
  const [schema, name] = table.includes('.') ? (table.split('.') as [string, string]) : [undefined, table]
  const facts = await CATALOG_READERS[dialect](db, schema, name, users)
  const warnings: string[] = []
  if (facts.idColumnType === undefined || facts.emailColumnType === undefined) {
    warnings.push(
      `@orgkit/kysely: the users table ${table} or its columns ${users.id}, ${users.email} were not found in the catalog; check options.users.`,
    )
  }
  const emailLookup: EmailLookup = users.emailNormalized || facts.emailComparesCaseInsensitively ? 'column' : 'lower'
  const emailIndexed = emailLookup === 'column' ? facts.emailIndexed : facts.lowerEmailIndexed
  if (facts.emailColumnType !== undefined && !emailIndexed) {
    warnings.push(emailIndexWarning(dialect, table, name, users, emailLookup, facts))
  }
  const detected = facts.idColumnType === undefined ? undefined : idTypeOfColumn(dialect, facts.idColumnType)
  // A uuid kept as text is served by 'uuid' where the comparisons stay text (SQLite, MariaDB).
  const fits = detected === users.idType || (users.idType === 'uuid' && detected === 'text' && dialect !== 'postgres')
  if (detected !== undefined && !fits) {
    warnings.push(
      `@orgkit/kysely: ${table}.${users.id} is ${facts.idColumnType}, but options.users.idType is '${users.idType}': ` +
        `set idType: '${detected}', or statements that meet the users table may fail or read the whole table.`,
    )
  }
  return { emailLookup, emailIndexed, idColumnType: facts.idColumnType, warnings }
}

function emailIndexWarning(
  dialect: DialectName,
  table: string,
  name: string,
  users: UsersTableMapping,
  lookup: EmailLookup,
  facts: CatalogFacts,
): string {
  const reads = `@orgkit/kysely: looking a user up by email reads the whole ${table} table (no index serves`
  if (lookup === 'column') {
    return `${reads} ${users.email} = ?). Fix: create index ${name}_${users.email}_idx on ${table} (${users.email});`
  }
  if (dialect === 'mysql') {
    // MariaDB has no expression index; a case-insensitive collation makes `email = ?` serve.
    return (
      `${reads} lower(${users.email}) = ?, and MariaDB has no expression index). Fix: store emails lower-cased ` +
      `and set options.users.emailNormalized, or give the column a case-insensitive collation: ` +
      `alter table ${table} modify ${users.email} ${facts.emailColumnType}${facts.emailNullable ? '' : ' not null'} collate utf8mb4_unicode_ci;`
    )
  }
  return `${reads} lower(${users.email}) = ?). Fix: create index ${name}_${users.email}_lower_idx on ${table} (lower(${users.email}));`
}

/** The declared id type a column of this catalog type wants, `undefined` when none fits. */
function idTypeOfColumn(dialect: DialectName, type: string): HostIdType | undefined {
  const lower = type.toLowerCase()
  if (lower === 'uuid') return dialect === 'sqlite' ? 'text' : 'uuid'
  // SQLite gives a column integer affinity when its declared type contains INT.
  if (/int|serial/.test(lower)) return 'integer'
  if (/char|text|clob|citext|string/.test(lower) || lower === '') return 'text'
  return undefined
}

interface CatalogFacts {
  idColumnType: string | undefined
  emailColumnType: string | undefined
  emailNullable: boolean
  emailComparesCaseInsensitively: boolean
  /** An index whose first key is the email column. */
  emailIndexed: boolean
  /** An index whose first key is `lower(email)`. */
  lowerEmailIndexed: boolean
}

type CatalogReader = (
  db: Kysely<unknown>,
  schema: string | undefined,
  table: string,
  users: UsersTableMapping,
) => Promise<CatalogFacts>

interface ColumnRow {
  name: string
  type: string
  nullable: unknown
  collation: string | null
}

const CATALOG_READERS: Record<DialectName, CatalogReader> = {
  async postgres(db, schema, table, users) {
    const relation = schema === undefined ? `"${table}"` : `"${schema}"."${table}"`
    const { rows } = await sql<ColumnRow & { indexed: boolean; lower_indexed: boolean }>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
        null as collation,
        exists (select 1 from pg_index i where i.indrelid = a.attrelid and i.indkey[0] = a.attnum) as indexed,
        exists (select 1 from pg_index i where i.indrelid = a.attrelid and i.indkey[0] = 0
          and pg_get_indexdef(i.indexrelid, 1, false) ~ ${`^lower\\(\\(?"?${a(users.email)}"?\\)?(::text)?\\)$`}) as lower_indexed
      from pg_attribute a
      where a.attrelid = to_regclass(${relation}) and a.attname in (${users.id}, ${users.email}) and not a.attisdropped
    `.execute(db)
    const id = rows.find((row) => row.name === users.id)
    const email = rows.find((row) => row.name === users.email)
    return {
      idColumnType: id?.type,
      emailColumnType: email?.type,
      emailNullable: email?.nullable === true,
      // `citext`, or `ext.citext` where the extension's schema is not on the search path.
      emailComparesCaseInsensitively: /(^|\.)citext$/.test(email?.type ?? ''),
      emailIndexed: email?.indexed === true,
      lowerEmailIndexed: email?.lower_indexed === true,
    }
  },
  async mysql(db, schema, table, users) {
    const { rows } = await sql<ColumnRow & { indexed: unknown }>`
      select c.column_name as name, c.column_type as type, c.is_nullable = 'YES' as nullable,
        c.collation_name as collation,
        exists (select 1 from information_schema.statistics s where s.table_schema = c.table_schema
          and s.table_name = c.table_name and s.column_name = c.column_name and s.seq_in_index = 1) as indexed
      from information_schema.columns c
      where c.table_schema = ${schema === undefined ? sql`database()` : schema} and c.table_name = ${table}
        and c.column_name in (${users.id}, ${users.email})
    `.execute(db)
    const id = rows.find((row) => row.name.toLowerCase() === users.id.toLowerCase())
    const email = rows.find((row) => row.name.toLowerCase() === users.email.toLowerCase())
    return {
      idColumnType: id?.type,
      emailColumnType: email?.type,
      emailNullable: Number(email?.nullable) === 1,
      // `_ci`: case-insensitive (utf8mb4_general_ci, utf8mb4_unicode_ci, uca1400_ai_ci, …).
      emailComparesCaseInsensitively: /_ci$/i.test(email?.collation ?? ''),
      emailIndexed: Number(email?.indexed) === 1,
      lowerEmailIndexed: false,
    }
  },
  async sqlite(db, schema, table, users) {
    const prefix = schema === undefined ? '' : `"${schema}".`
    const { rows: columns } = await sql<{ name: string; type: string; notnull: number }>`
      select name, type, "notnull" from pragma_table_info(${table}${schema === undefined ? sql`` : sql`, ${schema}`})
    `.execute(db)
    // The first key of each index: a column (by name), or the SQL of an expression index.
    const { rows: indexes } = await sql<{ first: string | null; sql: string | null }>`
      select (select x.name from pragma_index_xinfo(l.name${schema === undefined ? sql`` : sql`, ${schema}`}) x where x.seqno = 0) as first,
        m.sql as sql
      from pragma_index_list(${table}${schema === undefined ? sql`` : sql`, ${schema}`}) l
      left join ${sql.raw(`${prefix}sqlite_master`)} m on m.type = 'index' and m.name = l.name
    `.execute(db)
    const id = columns.find((column) => column.name === users.id)
    const email = columns.find((column) => column.name === users.email)
    const lowerKey = new RegExp(`\\(\\s*lower\\s*\\(\\s*["\`]?${a(users.email)}["\`]?\\s*\\)`, 'i')
    return {
      idColumnType: id?.type,
      emailColumnType: email?.type,
      emailNullable: email?.notnull === 0,
      emailComparesCaseInsensitively: false,
      emailIndexed: indexes.some((index) => index.first === users.email),
      lowerEmailIndexed: indexes.some((index) => index.first === null && lowerKey.test(index.sql ?? '')),
    }
  },
}

/** A checked identifier (letters, digits, `_`, `$`) made safe for a regular expression. */
function a(identifier: string): string {
  return identifier.replaceAll('$', '\\$')
}
