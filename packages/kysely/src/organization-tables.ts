import { type Kysely, sql, type Transaction } from 'kysely'
import type { DialectName } from './dialects'
import { ORGANIZATION_SETTING } from './scoping'

/**
 * One of the host's tables whose rows belong to one organization (`projects`, `invoices`):
 * deleting the organization deletes them, in the same transaction as orgkit's own rows.
 */
// biome-ignore lint/suspicious/noExplicitAny: the host's database type is its own.
export interface OrganizationTableOptions<DB = any> {
  /** The table, optionally schema-qualified (`billing.invoices`). */
  table: string
  /** The column holding the organization's id. @default 'organization_id' */
  column?: string | undefined
  /**
   * Instead of deleting the rows: the host's own handling of them (move them to an archive,
   * anonymize them, delete them in an order its foreign keys need), run inside the
   * deletion's transaction with the host's Kysely instance on it. When it returns, no row
   * of the organization may be left in the table: if one is, the deletion fails and rolls
   * back, the organization and every row included. A throw rolls it back the same way.
   */
  onDelete?: ((transaction: Transaction<DB>, organizationId: string) => Promise<void>) | undefined
}

/** A table name, or its options. */
// biome-ignore lint/suspicious/noExplicitAny: the host's database type is its own.
export type OrganizationTable<DB = any> = string | OrganizationTableOptions<DB>

/**
 * The host's organization-owned tables: a list of names or `{ table, column?, onDelete? }`,
 * or a map from table name to its organization column (the form the scope plugin's `tables`
 * also takes, so one declaration can serve both).
 */
// biome-ignore lint/suspicious/noExplicitAny: the host's database type is its own.
export type OrganizationTables<DB = any> = readonly OrganizationTable<DB>[] | Readonly<Record<string, string>>

/** The checked form of one `OrganizationTable`. */
export interface ResolvedOrganizationTable {
  table: string
  column: string
  // biome-ignore lint/suspicious/noExplicitAny: called with the host's transaction.
  onDelete: ((transaction: Transaction<any>, organizationId: string) => Promise<void>) | undefined
}

const DEFAULT_ORGANIZATION_COLUMN = 'organization_id'

const TABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/
const COLUMN_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/

/**
 * Checks `organizationTables` once, when the storage is made: a mistake (a name that is not
 * a plain identifier, one of orgkit's own tables, a table listed twice, an `onDelete` that is
 * not a function) throws naming the entry, instead of failing the first deletion.
 */
export function resolveOrganizationTables(
  declared: OrganizationTables | undefined,
  orgkitTables: ReadonlySet<string>,
): ResolvedOrganizationTable[] {
  if (declared === undefined) return []
  if (declared === null || typeof declared !== 'object') {
    throw new Error(
      '@orgkit/kysely: options.organizationTables must list table names (or { table, column?, onDelete? }), or map each table to its column.',
    )
  }
  const tables: readonly OrganizationTable[] = Array.isArray(declared)
    ? declared
    : Object.entries(declared).map(([table, column]) => ({ table, column }))
  const seen = new Set<string>()
  return tables.map((entry, at) => {
    const where = Array.isArray(declared)
      ? `options.organizationTables[${at}]`
      : `options.organizationTables.${(entry as OrganizationTableOptions).table}`
    const options: Partial<OrganizationTableOptions> = typeof entry === 'string' ? { table: entry } : (entry ?? {})
    const { table, column = DEFAULT_ORGANIZATION_COLUMN, onDelete } = options
    if (typeof table !== 'string' || !TABLE_PATTERN.test(table)) {
      throw new Error(`@orgkit/kysely: ${where}: ${JSON.stringify(table)} is not a plain SQL table name.`)
    }
    if (typeof column !== 'string' || !COLUMN_PATTERN.test(column)) {
      throw new Error(`@orgkit/kysely: ${where}: column ${JSON.stringify(column)} is not a plain SQL column name.`)
    }
    if (orgkitTables.has(table)) {
      throw new Error(`@orgkit/kysely: ${where}: "${table}" is one of orgkit's own tables, which it deletes itself.`)
    }
    if (seen.has(table)) throw new Error(`@orgkit/kysely: ${where}: "${table}" is listed twice.`)
    seen.add(table)
    if (onDelete !== undefined && typeof onDelete !== 'function') {
      throw new Error(`@orgkit/kysely: ${where}: onDelete must be a function.`)
    }
    return { table, column, onDelete }
  })
}

/**
 * Deletes (or hands to `onDelete`) the organization's rows of each host table, in the order
 * the host listed them, on `host`: the host's own Kysely instance on the deletion's
 * transaction, without orgkit's table renaming, so that a host table may share a name with
 * one of orgkit's logical tables. Every statement names the organization
 * (`where organization_id = ?`): on Citus, with the table distributed by that column and
 * colocated with orgkit's, it runs on the organization's shard.
 */
export async function deleteOrganizationRows(
  // biome-ignore lint/suspicious/noExplicitAny: the host's transaction, typed by the host.
  host: Transaction<any>,
  tables: readonly ResolvedOrganizationTable[],
  organizationId: string,
  dialect: DialectName,
): Promise<void> {
  if (tables.length === 0) return
  // Row Level Security (enableRowLevelSecurity) hides every row of a forced table from a
  // statement without the organization's setting, so the deletion would delete nothing and
  // leave the tenant's rows behind. Set it, for this transaction only.
  if (dialect === 'postgres') {
    await sql`select set_config(${ORGANIZATION_SETTING}, ${organizationId}, true)`.execute(host)
  }
  for (const { table, column, onDelete } of tables) {
    if (onDelete === undefined) {
      await host.deleteFrom(table).where(column, '=', organizationId).execute()
      continue
    }
    await onDelete(host, organizationId)
    if (await hasRows(host, table, column, organizationId)) {
      throw new Error(
        `@orgkit/kysely: the onDelete of organization table "${table}" left rows of ${organizationId} behind; the organization's deletion is rolled back.`,
      )
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any host table.
async function hasRows(host: Kysely<any>, table: string, column: string, organizationId: string): Promise<boolean> {
  const row = await host
    .selectFrom(table)
    .select(sql<number>`1`.as('found'))
    .where(column, '=', organizationId)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
