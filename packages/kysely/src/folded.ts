import { type RawBuilder, sql } from 'kysely'
import { type CompiledOptions, type CompiledQueryDefinition, compiled, slotRow } from './compiled'
import type { StorageContext } from './context'
import { AUDIT_COLUMNS } from './repositories/audit'
import type { OrgkitDatabase } from './schema'

/*
 * PostgreSQL: the rows of one change written in one statement of data-modifying CTEs, one
 * round trip instead of one per table. Each CTE inserts (or updates) one table; the ones
 * that must only write when the first one did select their row from it (`insert … select …
 * from <first>`), so a first write that finds its row taken (`on conflict do nothing`)
 * leaves the others unwritten too, and the statement answers how many rows the first wrote.
 *
 * On Citus a statement must stay on one shard: only tables placed by the organization
 * (the organization, its members, invitations, API keys, audit events) fold together.
 * The rows placed by another key (`user_memberships` by user, the slug and other lookups by
 * their own key) are written in statements of their own when the tables are distributed,
 * and fold in too on one server.
 */

type Table = keyof OrgkitDatabase & string

/** `name as (body)` */
export function cte(name: string, body: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`${sql.id(name)} as (${body})`
}

/**
 * `insert into table (columns) select values from source`: one row for each row `source`
 * returned (the parameters take their types from the columns they go to), or, without a
 * source, `insert into table (columns) values (…)`.
 */
export function insertRow(table: Table, row: Record<string, unknown>, source: string | null): RawBuilder<unknown> {
  const columns = sql.join(Object.keys(row).map((column) => sql.id(column)))
  const values = sql.join(Object.values(row))
  return source === null
    ? sql`insert into ${sql.table(table)} (${columns}) values (${values})`
    : sql`insert into ${sql.table(table)} (${columns}) select ${values} from ${sql.id(source)}`
}

/** `insert into table (columns) select values where condition`: the row, only where `condition` holds. */
export function insertRowWhere(
  table: Table,
  row: Record<string, unknown>,
  condition: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const columns = sql.join(Object.keys(row).map((column) => sql.id(column)))
  return sql`insert into ${sql.table(table)} (${columns}) select ${sql.join(Object.values(row))} where ${condition}`
}

/**
 * One CTE per audit event (`event0`, `event1`, …), each inserting its event for each row of
 * `source`: the events' values are named as `auditValues` names them. A CTE per event rather
 * than one multi-row `select … union all select …`: there the parameters would be text,
 * and a bare parameter in an `insert … select` takes the column's type.
 */
export function auditInserts(count: number, source: string | null): RawBuilder<unknown>[] {
  return Array.from({ length: count }, (_, i) =>
    cte(`event${i}`, insertRow('audit_events', slotRow<Record<string, unknown>>(AUDIT_COLUMNS, String(i)), source)),
  )
}

/** What a folded statement answers: how many rows its source wrote, and, when asked, its claim. */
export interface FoldedRow {
  written: string | number
  claimed?: string | number
}

/**
 * `with ctes… select count(*) as written from source`: how many rows `source` wrote; with
 * `claim`, also how many rows that CTE wrote (`claimed`), for a statement whose first write
 * can succeed while a later one, which the rest depend on, is refused.
 */
export function folded(ctes: readonly RawBuilder<unknown>[], source: string, claim?: string): RawBuilder<FoldedRow> {
  const claimed = claim === undefined ? sql`` : sql`, (select count(*) from ${sql.id(claim)}) as claimed`
  return sql<FoldedRow>`with ${sql.join(ctes)} select count(*) as written${claimed} from ${sql.id(source)}`
}

/**
 * A folded statement compiled once per storage and variant (whether distributed, how many
 * events…): `variant(key, build)` answers the same definition for the same key. `Row` is
 * what the statement answers: by default how many rows its first write wrote (`folded`).
 */
export function foldedVariants<Row = FoldedRow>(options?: CompiledOptions) {
  const definitions = new Map<string, CompiledQueryDefinition<Row>>()
  return (key: string, build: (context: StorageContext) => RawBuilder<Row>): CompiledQueryDefinition<Row> => {
    let definition = definitions.get(key)
    if (definition === undefined) {
      definition = compiled((context) => {
        const raw = build(context)
        return { compile: () => raw.compile(context.db) }
      }, options)
      definitions.set(key, definition)
    }
    return definition
  }
}

/** Runs a folded statement: whether its first write wrote its row. */
export async function runFolded(
  definition: CompiledQueryDefinition<FoldedRow>,
  context: StorageContext,
  values: object,
): Promise<boolean> {
  const { rows } = await definition.run(context, values)
  return Number(rows[0]?.written ?? 0) > 0
}

/**
 * Runs a folded statement: whether its claim wrote its row, and whether its source did. A
 * statement built without a `claim` has its source for its claim.
 */
export async function runFoldedClaim(
  definition: CompiledQueryDefinition<FoldedRow>,
  context: StorageContext,
  values: object,
): Promise<{ claimed: boolean; written: boolean }> {
  const row = (await definition.run(context, values)).rows[0]
  const written = Number(row?.written ?? 0) > 0
  return { claimed: row?.claimed === undefined ? written : Number(row.claimed) > 0, written }
}
