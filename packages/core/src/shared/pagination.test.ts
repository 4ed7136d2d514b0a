import { describe, expect, it } from 'vitest'
import { buildPage, decodeCursor, encodeCursor, pageInput } from './pagination'

const rows = Array.from({ length: 10 }, (_, i) => ({ n: i }))
const keyOf = (row: { n: number }) => [row.n]

/** The rows a keyset query returns for `input`, as the storage would fetch them. */
function fetch(input: ReturnType<typeof pageInput>) {
  const { cursor, limit } = input
  if (cursor?.direction === 'before') {
    return rows
      .filter((r) => r.n < (cursor.key[0] as number))
      .reverse()
      .slice(0, limit + 1)
  }
  return rows.filter((r) => !cursor || r.n > (cursor.key[0] as number)).slice(0, limit + 1)
}

describe('pagination', () => {
  it('round-trips cursors and refuses malformed ones', () => {
    const cursor = { direction: 'before' as const, key: ['2026-01-01T00:00:00.000Z', 'mem_1'] }
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor)
    for (const bad of ['', '!!', 'eyJ4IjoxfQ', Buffer.from('{"d":"a","k":[]}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'validation_failed' }))
    }
  })

  it('validates the limit', () => {
    expect(pageInput({}).limit).toBe(20)
    expect(() => pageInput({ limit: 0 })).toThrow(expect.objectContaining({ code: 'validation_failed' }))
    expect(() => pageInput({ limit: 101 })).toThrow(expect.objectContaining({ code: 'validation_failed' }))
  })

  it('walks forward and back over the same pages', () => {
    let input = pageInput({ limit: 4 })
    const first = buildPage(fetch(input), input, keyOf)
    expect(first.data.map((r) => r.n)).toEqual([0, 1, 2, 3])
    expect(first).toMatchObject({ hasMore: true, prevCursor: null })

    input = pageInput({ limit: 4, cursor: first.nextCursor! })
    const second = buildPage(fetch(input), input, keyOf)
    expect(second.data.map((r) => r.n)).toEqual([4, 5, 6, 7])

    input = pageInput({ limit: 4, cursor: second.nextCursor! })
    const third = buildPage(fetch(input), input, keyOf)
    expect(third.data.map((r) => r.n)).toEqual([8, 9])
    expect(third).toMatchObject({ hasMore: false, nextCursor: null })

    input = pageInput({ limit: 4, cursor: third.prevCursor! })
    const back = buildPage(fetch(input), input, keyOf)
    expect(back.data.map((r) => r.n)).toEqual([4, 5, 6, 7])
    input = pageInput({ limit: 4, cursor: back.prevCursor! })
    const start = buildPage(fetch(input), input, keyOf)
    expect(start.data.map((r) => r.n)).toEqual([0, 1, 2, 3])
    expect(start.prevCursor).toBeNull()
  })
})
