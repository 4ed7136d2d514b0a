import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'

/** The user directory part of the storage conformance suite. */
export function usersConformance(t: ConformanceContext): void {
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('the user directory compares emails case-insensitively', async () => {
    expect(await storage.users.findByEmail('ann@example.com')).toEqual({
      id: 'ann',
      email: 'Ann@Example.com',
      username: 'ann',
      name: 'Ann Lee',
      imageUrl: null,
    })
    expect((await storage.users.findByEmail(' BOB@example.com '))?.id).toBe('bob')
    expect((await storage.users.findByUsername('bob_1'))?.id).toBe('bob')
    expect((await storage.users.findById('cat'))?.email).toBe('cat@example.com')
    expect(await storage.users.findById('nobody')).toBeNull()
    expect(await storage.users.findByEmail('nobody@example.com')).toBeNull()
    expect(await storage.users.findByUsername('nobody')).toBeNull()
  })
}
