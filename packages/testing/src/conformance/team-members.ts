import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, T0, team } from './fixtures'

/** The team members part of the storage conformance suite. */
export function teamMembersConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('one membership per (team, user): exactly one of concurrent inserts wins, and the team counts it', async () => {
    const org = await organizationWith('tm-org', { ann: 'owner', bob: 'member', cat: 'member' })
    const red = team(org.id, 'red')
    await storage.teams.insert(red)
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        storage.teamMembers.insert({
          organizationId: org.id,
          teamId: red.id,
          userId: 'ann',
          role: 'lead',
          joinedAt: at(1),
        }),
      ),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const others = await Promise.all(
      ['bob', 'cat'].map((userId, i) =>
        storage.teamMembers.insert({
          organizationId: org.id,
          teamId: red.id,
          userId,
          role: 'member',
          joinedAt: at(2 + i),
        }),
      ),
    )
    expect(others).toEqual([true, true])
    expect((await storage.teams.find(org.id, red.id))?.memberCount).toBe(3)
    expect(await storage.teamMembers.find(org.id, red.id, 'ann')).toEqual({
      organizationId: org.id,
      teamId: red.id,
      userId: 'ann',
      role: 'lead',
      joinedAt: at(1),
    })
    expect((await storage.teamMembers.findWithUser(org.id, red.id, 'bob'))?.user).toEqual({
      id: 'bob',
      email: 'bob@example.com',
      username: 'bob_1',
      name: 'Bob',
      imageUrl: null,
    })
  })

  it('lists members with their users in join order, with keyset cursors both ways', async () => {
    const org = await organizationWith('tm-list', { ann: 'owner', bob: 'member', cat: 'member', ghost: 'member' })
    const red = team(org.id, 'red')
    await storage.teams.insert(red)
    // Joined out of alphabetical order, two at the same instant: the user id breaks the tie.
    const joins: [string, number][] = [
      ['cat', 1],
      ['ghost', 2],
      ['ann', 2],
      ['bob', 3],
    ]
    for (const [userId, second] of joins) {
      await storage.teamMembers.insert({
        organizationId: org.id,
        teamId: red.id,
        userId,
        role: 'member',
        joinedAt: at(second),
      })
    }
    const first = await storage.teamMembers.list(org.id, red.id, page(2))
    expect(first.data.map((m) => m.userId)).toEqual(['cat', 'ann'])
    expect(first.data[1]?.user.name).toBe('Ann Lee')
    expect(first.hasMore).toBe(true)
    const second = await storage.teamMembers.list(org.id, red.id, page(2, first.nextCursor!))
    expect(second.data.map((m) => m.userId)).toEqual(['ghost', 'bob'])
    expect(second.data[0]?.user).toEqual({ id: 'ghost', email: null, username: null, name: null, imageUrl: null })
    expect(second.hasMore).toBe(false)
    const back = await storage.teamMembers.list(org.id, red.id, page(2, second.prevCursor!))
    expect(back.data.map((m) => m.userId)).toEqual(['cat', 'ann'])
    expect(back.prevCursor).toBeNull()
  })

  it("listForUser gives one user's memberships in the organization, by join time", async () => {
    const org = await organizationWith('tm-user', { ann: 'owner' })
    const other = await organizationWith('tm-user-other', { ann: 'owner' })
    const [red, blue, green] = [team(org.id, 'red'), team(org.id, 'blue'), team(other.id, 'green')]
    for (const t of [red, blue, green]) await storage.teams.insert(t)
    const join = (organizationId: string, teamId: string, second: number) =>
      storage.teamMembers.insert({ organizationId, teamId, userId: 'ann', role: 'member', joinedAt: at(second) })
    await join(org.id, blue.id, 1)
    await join(org.id, red.id, 2)
    await join(other.id, green.id, 3)
    expect((await storage.teamMembers.listForUser(org.id, 'ann')).map((m) => m.teamId)).toEqual([blue.id, red.id])
    expect(await storage.teamMembers.listForUser(org.id, 'bob')).toEqual([])
  })

  it('updateRole and delete change only that membership, scoped to the organization', async () => {
    const org = await organizationWith('tm-change', { ann: 'owner', bob: 'member' })
    const other = await organizationWith('tm-change-other')
    const red = team(org.id, 'red')
    await storage.teams.insert(red)
    for (const userId of ['ann', 'bob']) {
      await storage.teamMembers.insert({
        organizationId: org.id,
        teamId: red.id,
        userId,
        role: 'member',
        joinedAt: T0,
      })
    }
    expect(await storage.teamMembers.updateRole(org.id, red.id, 'ann', 'lead')).toBe(true)
    expect(await storage.teamMembers.updateRole(org.id, red.id, 'ann', 'lead')).toBe(true)
    expect(await storage.teamMembers.updateRole(org.id, red.id, 'cat', 'lead')).toBe(false)
    expect(await storage.teamMembers.updateRole(other.id, red.id, 'bob', 'lead')).toBe(false)
    expect((await storage.teamMembers.find(org.id, red.id, 'ann'))?.role).toBe('lead')
    expect((await storage.teamMembers.find(org.id, red.id, 'bob'))?.role).toBe('member')

    // Another organization's id reaches nothing.
    expect(await storage.teamMembers.find(other.id, red.id, 'ann')).toBeNull()
    expect(await storage.teamMembers.findWithUser(other.id, red.id, 'ann')).toBeNull()
    expect((await storage.teamMembers.list(other.id, red.id, page())).data).toEqual([])
    expect(await storage.teamMembers.delete(other.id, red.id, 'ann')).toBe(false)

    const removed = await Promise.all([1, 2, 3].map(() => storage.teamMembers.delete(org.id, red.id, 'ann')))
    expect(removed.filter(Boolean)).toHaveLength(1)
    expect(await storage.teamMembers.find(org.id, red.id, 'ann')).toBeNull()
    expect((await storage.teams.find(org.id, red.id))?.memberCount).toBe(1)
    // Leaving a team is not leaving the organization.
    expect((await storage.members.find(org.id, 'ann'))?.role).toBe('owner')
  })
}
