import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, customRole } from './fixtures'

/** The custom roles part of the storage conformance suite. */
export function rolesConformance(t: ConformanceContext): void {
  const { organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('a key is unique in its organization, and each organization lists its own, by key', async () => {
    const org = await organizationWith('roles-org')
    const other = await organizationWith('roles-other')
    const contenders = [
      customRole(org.id, 'billing', { description: 'Pays', permissions: ['invoice:*'] }),
      customRole(org.id, 'billing', { name: 'Billing' }),
    ]
    const results = await Promise.all(contenders.map((r) => storage.roles.insert(r)))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await storage.roles.findByKey(org.id, 'billing')).toEqual(contenders[results.indexOf(true)])
    expect(await storage.roles.insert(customRole(org.id, 'auditor'))).toBe(true)
    // Another organization may use the key, and sees only its own.
    expect(await storage.roles.insert(customRole(other.id, 'billing'))).toBe(true)
    expect((await storage.roles.list(org.id)).map((r) => r.key)).toEqual(['auditor', 'billing'])
    expect((await storage.roles.list(other.id)).map((r) => r.key)).toEqual(['billing'])
    expect(await storage.roles.findByKey(org.id, 'missing')).toBeNull()
    expect(await storage.roles.list('org_missing')).toEqual([])
  })

  it('update applies the patch and sets updatedAt; delete removes; both scoped to the organization', async () => {
    const org = await organizationWith('roles-change')
    const other = await organizationWith('roles-change-other')
    const role = customRole(org.id, 'support', { description: 'Helps' })
    await storage.roles.insert(role)
    expect(await storage.roles.update(other.id, 'support', { name: 'x' }, at(5))).toBeNull()
    expect(await storage.roles.update(org.id, 'missing', { name: 'x' }, at(5))).toBeNull()
    const updated = await storage.roles.update(
      org.id,
      'support',
      { permissions: ['member:read', 'team:*'], description: null },
      at(5),
    )
    expect(updated).toEqual({
      ...role,
      permissions: ['member:read', 'team:*'],
      description: null,
      updatedAt: at(5),
    })
    expect(await storage.roles.findByKey(org.id, 'support')).toEqual(updated)
    expect(await storage.roles.delete(other.id, 'support')).toBe(false)
    expect(await storage.roles.delete(org.id, 'support')).toBe(true)
    expect(await storage.roles.delete(org.id, 'support')).toBe(false)
    expect(await storage.roles.findByKey(org.id, 'support')).toBeNull()
    expect(await storage.roles.insert(customRole(org.id, 'support'))).toBe(true)
  })
}
