import { describe, expect, it } from 'vitest'
import { createId, createSortableId, hasIdPrefix } from './ids'

describe('ids', () => {
  it('carry their prefix and 20 URL-safe characters', () => {
    expect(createId('team')).toMatch(/^team_[0-9a-z]{20}$/)
    expect(createSortableId('event')).toMatch(/^evt_[0-9a-z]{20}$/)
    expect(hasIdPrefix(createId('organization'), 'organization')).toBe(true)
  })

  it('sortable ids sort in the order they were made, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => createSortableId('event'))
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
