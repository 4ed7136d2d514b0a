import * as z from 'zod'
import type { Page } from './pagination'

/** What every wire module shares: timestamps as ISO-8601 strings, and the page of every list. */

export const timestamp = z.iso.datetime()

export const iso = (date: Date): string => date.toISOString()
export const isoOrNull = (date: Date | null): string | null => (date === null ? null : date.toISOString())

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable(),
    prevCursor: z.string().nullable(),
    hasMore: z.boolean(),
  })
}

export function toPage<T, W>(page: Page<T>, serialize: (item: T) => W): Page<W> {
  return {
    data: page.data.map(serialize),
    nextCursor: page.nextCursor,
    prevCursor: page.prevCursor,
    hasMore: page.hasMore,
  }
}
