import * as z from 'zod'
import { OrgkitError } from './errors'

/**
 * Keyset pagination shared by every list. A cursor is opaque to callers: base64url of
 * `{ d, k }`, the direction of travel and the sort key of the row it points next to.
 * The storage runs the keyset query and hands its rows to `buildPage`, so every list
 * answers with the same `{ data, nextCursor, prevCursor, hasMore }`.
 */

export type CursorKey = readonly (string | number)[]

export interface Cursor {
  /** `after`: rows that sort after `key`; `before`: rows that sort before it. */
  direction: 'after' | 'before'
  key: CursorKey
}

export interface PageInput {
  /** 1..100. */
  limit: number
  cursor: Cursor | null
}

export interface Page<T> {
  data: T[]
  nextCursor: string | null
  prevCursor: string | null
  /** True when more rows follow `data` (that is, when `nextCursor` is set). */
  hasMore: boolean
}

export const DEFAULT_PAGE_LIMIT = 20
export const MAX_PAGE_LIMIT = 100

const LIMIT_MESSAGE = 'Must be a whole number from 1 to 100'

/**
 * `limit`: 1..100, a number, or, from a query string, written as a plain decimal number.
 * `z.coerce.number()` would read what `Number()` reads, so `0x10`, `1e1`, ` 16` and `16.0`
 * would all pass as numbers nobody wrote.
 */
const pageLimit = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^[1-9][0-9]*$/, LIMIT_MESSAGE)
        .transform(Number),
    ],
    { error: LIMIT_MESSAGE },
  )
  .pipe(z.number().int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(MAX_PAGE_LIMIT, LIMIT_MESSAGE))

/**
 * The page fields of every list's query, `{ limit?, cursor? }`: each area's list schema is
 * this plus its filters, and serves the core API and the HTTP query alike (validated once,
 * by the core, whose errors name `query.…`).
 */
export const pageQueryShape = {
  limit: pageLimit.optional(),
  cursor: z.string().min(1).max(1000).optional(),
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ d: cursor.direction === 'after' ? 'a' : 'b', k: cursor.key })).toString(
    'base64url',
  )
}

/** Decodes a cursor from a request; anything malformed is a `validation_failed`. */
export function decodeCursor(value: string, path = 'query.cursor'): Cursor {
  const invalid = () =>
    new OrgkitError('validation_failed', 'The cursor is malformed.', {
      details: [{ path, message: 'Malformed cursor' }],
    })
  if (value.length === 0 || value.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(value)) throw invalid()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid()
  const { d, k } = parsed as { d?: unknown; k?: unknown }
  if ((d !== 'a' && d !== 'b') || !Array.isArray(k) || k.length === 0 || k.length > 4) throw invalid()
  if (!k.every((part) => typeof part === 'string' || (typeof part === 'number' && Number.isFinite(part)))) {
    throw invalid()
  }
  return { direction: d === 'a' ? 'after' : 'before', key: k as CursorKey }
}

/** Turns `{ limit, cursor }` from a request into a `PageInput`. */
export function pageInput(input: { limit?: number | undefined; cursor?: string | undefined }): PageInput {
  const limit = input.limit ?? DEFAULT_PAGE_LIMIT
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new OrgkitError('validation_failed', 'limit must be an integer from 1 to 100.', {
      details: [{ path: 'query.limit', message: 'Must be an integer from 1 to 100' }],
    })
  }
  return { limit, cursor: input.cursor === undefined ? null : decodeCursor(input.cursor) }
}

/**
 * Builds a page from the rows a keyset query returned. The query must have fetched
 * `limit + 1` rows in the direction of travel: ascending sort order for `after` (and for
 * the first page), descending for `before`. `keyOf` gives a row's sort key.
 */
export function buildPage<T>(rows: T[], input: PageInput, keyOf: (row: T) => CursorKey): Page<T> {
  const { limit, cursor } = input
  const more = rows.length > limit
  if (cursor?.direction === 'before') {
    // Fetched nearest-first (descending); put back into sort order.
    const data = rows.slice(0, limit).reverse()
    const first = data[0]
    const last = data[data.length - 1]
    return {
      data,
      prevCursor: more && first ? encodeCursor({ direction: 'before', key: keyOf(first) }) : null,
      nextCursor: encodeCursor({ direction: 'after', key: last ? keyOf(last) : cursor.key }),
      hasMore: true,
    }
  }
  const data = rows.slice(0, limit)
  const first = data[0]
  const last = data[data.length - 1]
  return {
    data,
    nextCursor: more && last ? encodeCursor({ direction: 'after', key: keyOf(last) }) : null,
    prevCursor: cursor ? encodeCursor({ direction: 'before', key: first ? keyOf(first) : cursor.key }) : null,
    hasMore: more,
  }
}

export function mapPage<T, U>(page: Page<T>, fn: (item: T) => U): Page<U> {
  return { ...page, data: page.data.map(fn) }
}
