import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { apiKey, at, organization } from './fixtures'

/** The API keys part of the storage conformance suite. */
export function apiKeysConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('a prefix is global, lookups go through it, and revoke is scoped to the organization', async () => {
    const org = organization('keys-org')
    const other = organization('keys-other')
    await storage.organizations.insert(org)
    await storage.organizations.insert(other)
    const key = apiKey(org.id, 'abcdefghijkl')
    const results = await Promise.all(
      [key, apiKey(org.id, 'abcdefghijkl'), apiKey(other.id, 'abcdefghijkl')].map((k) => storage.apiKeys.insert(k)),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = await storage.apiKeys.findByPrefix('abcdefghijkl')
    expect(winner).not.toBeNull()
    expect(await storage.apiKeys.find(winner!.organizationId, winner!.id)).toEqual(winner)
    const own = apiKey(org.id, 'ownprefix123')
    expect(await storage.apiKeys.insert(own)).toBe(true)
    expect(await storage.apiKeys.findByPrefix('ownprefix123')).toEqual(own)
    expect(await storage.apiKeys.find(other.id, own.id)).toBeNull()
    expect(await storage.apiKeys.revoke(other.id, own.id, at(1))).toBeNull()
    expect((await storage.apiKeys.revoke(org.id, own.id, at(1)))?.revokedAt).toEqual(at(1))
    expect((await storage.apiKeys.revoke(org.id, own.id, at(2)))?.revokedAt).toEqual(at(1))
    expect(await storage.apiKeys.revoke(org.id, 'key_missing', at(2))).toBeNull()
    // A revoked key still resolves, so that presenting it answers "revoked".
    expect((await storage.apiKeys.findByPrefix('ownprefix123'))?.revokedAt).toEqual(at(1))
    await storage.apiKeys.touch(other.id, own.id, at(3))
    expect((await storage.apiKeys.find(org.id, own.id))?.lastUsedAt).toBeNull()
    await storage.apiKeys.touch(org.id, own.id, at(3))
    expect((await storage.apiKeys.find(org.id, own.id))?.lastUsedAt).toEqual(at(3))
  })

  it('lists newest first, and revokeCreatedBy revokes the unrevoked keys of one creator in one organization', async () => {
    const org = await organizationWith('keys-list')
    const other = await organizationWith('keys-list-other')
    const keys = [
      apiKey(org.id, 'listprefix01', { createdAt: at(1), createdBy: 'bob' }),
      apiKey(org.id, 'listprefix02', { createdAt: at(2), createdBy: 'bob', revokedAt: at(2) }),
      apiKey(org.id, 'listprefix03', { createdAt: at(3), createdBy: 'bob' }),
      apiKey(org.id, 'listprefix04', { createdAt: at(4), createdBy: 'ann' }),
    ]
    for (const k of keys) await storage.apiKeys.insert(k)
    await storage.apiKeys.insert(apiKey(other.id, 'listprefix05', { createdBy: 'bob' }))
    const first = await storage.apiKeys.list(org.id, page(3))
    expect(first.data.map((k) => k.prefix)).toEqual(['listprefix04', 'listprefix03', 'listprefix02'])
    const rest = await storage.apiKeys.list(org.id, page(3, first.nextCursor!))
    expect(rest.data.map((k) => k.prefix)).toEqual(['listprefix01'])
    expect(await storage.apiKeys.revokeCreatedBy(org.id, 'bob', at(9))).toBe(2)
    expect(await storage.apiKeys.revokeCreatedBy(org.id, 'bob', at(10))).toBe(0)
    const revokedAt = async (prefix: string) => (await storage.apiKeys.findByPrefix(prefix))?.revokedAt
    expect(await revokedAt('listprefix01')).toEqual(at(9))
    expect(await revokedAt('listprefix02')).toEqual(at(2))
    expect(await revokedAt('listprefix04')).toBeNull()
    expect(await revokedAt('listprefix05')).toBeNull()
  })

  it('revokeWithRole revokes the unrevoked keys holding one role, in one organization, and no list key', async () => {
    const org = await organizationWith('keys-role')
    const other = await organizationWith('keys-role-other')
    const keys = [
      apiKey(org.id, 'roleprefix01', { role: 'billing' }),
      apiKey(org.id, 'roleprefix02', { role: 'billing', revokedAt: at(2) }),
      apiKey(org.id, 'roleprefix03', { role: 'member' }),
      apiKey(org.id, 'roleprefix04', { role: null, permissions: ['billing'] }),
      apiKey(other.id, 'roleprefix05', { role: 'billing' }),
    ]
    for (const k of keys) expect(await storage.apiKeys.insert(k)).toBe(true)
    expect(await storage.apiKeys.revokeWithRole(org.id, 'billing', at(9))).toBe(1)
    expect(await storage.apiKeys.revokeWithRole(org.id, 'billing', at(10))).toBe(0)
    const revokedAt = async (prefix: string) => (await storage.apiKeys.findByPrefix(prefix))?.revokedAt
    expect(await revokedAt('roleprefix01')).toEqual(at(9))
    expect(await revokedAt('roleprefix02')).toEqual(at(2))
    expect(await revokedAt('roleprefix03')).toBeNull()
    expect(await revokedAt('roleprefix04')).toBeNull()
    expect(await revokedAt('roleprefix05')).toBeNull()
  })
}
