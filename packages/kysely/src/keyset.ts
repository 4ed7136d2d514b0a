import { buildPage, type CursorKey, OrgkitError, type Page, type PageInput } from '@orgkit/core'
import { type SelectQueryBuilder, sql } from 'kysely'
import { slot } from './compiled'
import type { StorageDialect } from './dialects'

/**
 * Keyset pagination over a (timestamp, id) sort. Every list in the adapter sorts by a
 * timestamp and breaks ties with the row's id, so the order is total and a cursor points
 * between two rows even when many share a timestamp. The cursor key is
 * `[epoch milliseconds, id]`: one encoding whatever the dialect stores.
 */
export interface KeysetSort {
  /** Qualified column references, e.g. `m.joined_at` and `m.user_id`. */
  time: string
  id: string
  /** The list's natural order. */
  order: 'asc' | 'desc'
}

/**
 * Adds the cursor condition, the order and `limit + 1` in the direction of travel, as
 * `buildPage` expects: the natural order for `after` (and the first page), the reverse for
 * `before`.
 */
export function keysetQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: KeysetSort,
  page: PageInput,
  dialect: StorageDialect,
): SelectQueryBuilder<DB, TB, O> {
  const direction = page.cursor?.direction ?? null
  const key = page.cursor === null ? null : parseKey(page.cursor.key)
  return keysetClauses(
    query,
    sort,
    direction,
    key && { at: dialect.toTimestamp(key.at), id: key.id },
    page.limit + 1,
    dialect,
  )
}

/**
 * `keysetQuery` for a compiled query (see compiled.ts): the cursor's time and id and the
 * limit are the slots `at`, `key` and `limit`, filled in by `keysetValues`. The direction
 * of travel is part of the query's shape, so each direction is a query of its own.
 */
export function keysetTemplate<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: KeysetSort,
  direction: 'after' | 'before' | null,
  dialect: StorageDialect,
): SelectQueryBuilder<DB, TB, O> {
  const beyond = direction === null ? null : { at: slot<string>('at'), id: slot<string>('key') }
  return keysetClauses(query, sort, direction, beyond, slot<number>('limit'), dialect)
}

/** The values of `keysetTemplate`'s slots for `page`. */
export function keysetValues(page: PageInput, dialect: StorageDialect): Record<string, unknown> {
  if (page.cursor === null) return { limit: page.limit + 1 }
  const key = parseKey(page.cursor.key)
  return { limit: page.limit + 1, at: dialect.toTimestamp(key.at), key: key.id }
}

function keysetClauses<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: KeysetSort,
  direction: 'after' | 'before' | null,
  beyond: { at: Date | string; id: string } | null,
  limit: number,
  dialect: StorageDialect,
): SelectQueryBuilder<DB, TB, O> {
  const reverse = direction === 'before'
  const travel = reverse ? (sort.order === 'asc' ? 'desc' : 'asc') : sort.order
  const time = sql.ref(sort.time)
  const id = sql.ref(sort.id)
  // The condition must let the engine seek to the cursor on the (…, time, id) index rather
  // than read the list from its start: its shape is the dialect's (see `keysetBeyond`).
  const paged = beyond === null ? query : query.where(dialect.keysetBeyond(time, id, beyond.at, beyond.id, travel))
  return paged.orderBy(time, travel).orderBy(id, travel).limit(limit)
}

/**
 * The one way the adapter pages: adds the keyset condition and order to `query`, runs it,
 * maps each row to its record and builds the page with cursors from `keyOf`.
 */
export async function paginate<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  sort: KeysetSort,
  page: PageInput,
  dialect: StorageDialect,
  toRecord: (row: O) => T,
  keyOf: (record: T) => { at: Date; id: string },
): Promise<Page<T>> {
  const rows = await keysetQuery(query, sort, page, dialect).execute()
  return keysetPage(rows.map(toRecord), page, keyOf)
}

/**
 * A page of a list as a value: what `paginate` takes, for `readKeysetPage` to read alone or
 * organization-pages.ts to read with the caller's membership.
 */
export interface KeysetRead<O, T> {
  // biome-ignore lint/suspicious/noExplicitAny: each list selects from its own tables.
  query: SelectQueryBuilder<any, any, O>
  sort: KeysetSort
  page: PageInput
  toRecord: (row: O) => T
  keyOf: (record: T) => { at: Date; id: string }
}

/** Reads `read`'s page. */
export function readKeysetPage<O, T>(read: KeysetRead<O, T>, dialect: StorageDialect): Promise<Page<T>> {
  return paginate(read.query, read.sort, read.page, dialect, read.toRecord, read.keyOf)
}

/** Hands the fetched rows to `buildPage` with the matching key. */
export function keysetPage<T>(rows: T[], page: PageInput, keyOf: (row: T) => { at: Date; id: string }): Page<T> {
  return buildPage(rows, page, (row) => {
    const { at, id } = keyOf(row)
    return [at.getTime(), id]
  })
}

function parseKey(key: CursorKey): { at: Date; id: string } {
  const [at, id] = key
  if (key.length !== 2 || typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string') {
    // A cursor from another list, or edited by hand: a 400, like any malformed cursor.
    throw new OrgkitError('validation_failed', 'The cursor is malformed.', {
      details: [{ path: 'query.cursor', message: 'Malformed cursor' }],
    })
  }
  return { at: new Date(at), id }
}
