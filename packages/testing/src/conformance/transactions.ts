import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { organization, T0, team } from './fixtures'

/** The transactions part of the storage conformance suite. */
export function transactionsConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('a transaction rolls back every write when it throws', async () => {
    const org = organization('rollback')
    await expect(
      storage.transaction(async (tx) => {
        await tx.organizations.insert(org)
        await tx.members.insert({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: T0 })
        await tx.teams.insert(team(org.id, 'red'))
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await storage.organizations.findBySlug('rollback')).toBeNull()
    expect(await storage.organizations.findById(org.id)).toBeNull()
    expect(await storage.members.find(org.id, 'ann')).toBeNull()
    expect(await storage.teams.findBySlug(org.id, 'red')).toBeNull()
    // The slug was never claimed.
    expect(await storage.organizations.insert(organization('rollback'))).toBe('inserted')
  })

  it('a transaction commits every write and returns what its function returned', async () => {
    const org = organization('committed')
    const result = await storage.transaction(async (tx) => {
      await tx.organizations.insert(org)
      await tx.members.insert({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: T0 })
      // Writes are visible to later reads of the same transaction.
      return (await tx.organizations.findById(org.id))?.memberCount
    })
    expect(result).toBe(1)
    expect(await storage.organizations.findById(org.id)).toMatchObject({ memberCount: 1 })
  })

  it('concurrent transactions that each check and add under the lock never pass a limit', async () => {
    // The shape of the core's per-organization limits: lock, count, then insert.
    const org = await organizationWith('limited')
    const limit = 3
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        storage.transaction(async (tx) => {
          const locked = await tx.organizations.lock(org.id)
          if (locked === null || locked.teamCount >= limit) return false
          return tx.teams.insert(team(org.id, `limited-${i}`))
        }),
      ),
    )
    expect(attempts.filter(Boolean)).toHaveLength(limit)
    expect((await storage.organizations.findById(org.id))?.teamCount).toBe(limit)
    expect((await storage.teams.list(org.id, page())).data).toHaveLength(limit)
  })
}
