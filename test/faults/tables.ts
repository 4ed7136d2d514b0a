/**
 * Every orgkit table, read whole: to tell whether a failed or refused operation changed
 * anything, and to put a database back exactly as it was.
 */
import type { Kysely } from 'kysely'
import { ORGKIT_TABLES } from '../../packages/kysely/src/schema'

// biome-ignore lint/suspicious/noExplicitAny: the tests' scratch databases are untyped.
type AnyDb = Kysely<any>

/** Rows per table, as the driver returns them. */
export type TableRows = Record<string, Record<string, unknown>[]>

const physical = (table: string) => `orgkit_${table}`

export async function readTables(db: AnyDb): Promise<TableRows> {
  const tables: TableRows = {}
  for (const table of ORGKIT_TABLES) tables[table] = await db.selectFrom(physical(table)).selectAll().execute()
  return tables
}

/** A comparable form: per table, each row as JSON, sorted. Equal snapshots mean equal tables. */
export type Snapshot = Record<string, string[]>

export function toSnapshot(tables: TableRows): Snapshot {
  const snapshot: Snapshot = {}
  for (const [table, rows] of Object.entries(tables)) snapshot[table] = rows.map((row) => stableJson(row)).sort()
  return snapshot
}

export async function snapshotTables(db: AnyDb): Promise<Snapshot> {
  return toSnapshot(await readTables(db))
}

/** JSON with object keys sorted, so column order does not matter. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner) && !(inner instanceof Date)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : typeof inner === 'bigint'
        ? inner.toString()
        : inner,
  )
}

/** Empties every orgkit table and inserts `tables` again, in one transaction. */
export async function restoreTables(db: AnyDb, tables: TableRows): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ORGKIT_TABLES) {
      await trx.deleteFrom(physical(table)).execute()
      const rows = tables[table] ?? []
      if (rows.length > 0) await trx.insertInto(physical(table)).values(rows).execute()
    }
  })
}

/** The tables whose snapshots differ, with the rows only one side has: for a readable failure. */
export function diffSnapshots(before: Snapshot, after: Snapshot): Record<string, { gone: string[]; new: string[] }> {
  const diff: Record<string, { gone: string[]; new: string[] }> = {}
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[table] ?? []
    const b = after[table] ?? []
    const gone = a.filter((row) => !b.includes(row))
    const added = b.filter((row) => !a.includes(row))
    if (gone.length > 0 || added.length > 0) diff[table] = { gone, new: added }
  }
  return diff
}
