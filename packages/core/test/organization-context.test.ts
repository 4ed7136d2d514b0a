import { currentOrganizationId, runInOrganization } from '@orgkit/core'
import { describe, expect, it } from 'vitest'

describe('runInOrganization', () => {
  it('sets the organization for fn and what it starts, returns its result, and restores the outer one', async () => {
    expect(currentOrganizationId()).toBeUndefined()
    const result = await runInOrganization('org_outer', async () => {
      const inner = runInOrganization({ id: 'org_inner' }, () => currentOrganizationId())
      await Promise.resolve()
      return [currentOrganizationId(), inner]
    })
    expect(result).toEqual(['org_outer', 'org_inner'])
    expect(currentOrganizationId()).toBeUndefined()
  })

  it('refuses what is not an organization id, before running anything', () => {
    let ran = false
    const run = () => {
      ran = true
    }
    for (const bad of ['acme', '', 'org_a b', undefined, null, 42, { slug: 'acme' }]) {
      expect(() => runInOrganization(bad as never, run)).toThrow(/runInOrganization takes an organization's id/)
    }
    expect(() => runInOrganization('org_a', 'nope' as never)).toThrow(/needs a function/)
    expect(ran).toBe(false)
  })
})
