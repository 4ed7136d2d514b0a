import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, everyPage, team } from './fixtures'

/** The teams part of the storage conformance suite. */
export function teamsConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('a slug is unique in its organization: exactly one of concurrent inserts wins, and counts it', async () => {
    const org = await organizationWith('teams-org')
    const other = await organizationWith('teams-other')
    const contenders = Array.from({ length: 6 }, () => team(org.id, 'core'))
    const results = await Promise.all(contenders.map((t) => storage.teams.insert(t)))
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = contenders[results.indexOf(true)]!
    expect(await storage.teams.find(org.id, winner.id)).toEqual(winner)
    expect(await storage.teams.findBySlug(org.id, 'core')).toEqual(winner)
    for (const loser of contenders.filter((t) => t !== winner)) {
      expect(await storage.teams.find(org.id, loser.id)).toBeNull()
    }
    expect((await storage.organizations.findById(org.id))?.teamCount).toBe(1)
    // Another organization may use the same slug.
    expect(await storage.teams.insert(team(other.id, 'core'))).toBe(true)
    expect((await storage.organizations.findById(other.id))?.teamCount).toBe(1)
  })

  it('counts concurrent inserts of different teams exactly', async () => {
    const org = await organizationWith('many-teams')
    const teams = Array.from({ length: 8 }, (_, i) => team(org.id, `t-${i}`, { createdAt: at(i) }))
    expect((await Promise.all(teams.map((t) => storage.teams.insert(t)))).every(Boolean)).toBe(true)
    expect((await storage.organizations.findById(org.id))?.teamCount).toBe(8)
    const listed = await everyPage((p) => storage.teams.list(org.id, p), 3)
    expect(listed.map((t) => t.slug)).toEqual(teams.map((t) => t.slug))
    const first = await storage.teams.list(org.id, page(3))
    const second = await storage.teams.list(org.id, page(3, first.nextCursor!))
    const back = await storage.teams.list(org.id, page(3, second.prevCursor!))
    expect(back.data).toEqual(first.data)
  })

  it("findMany returns the organization's teams among the ids and ignores other organizations' ids", async () => {
    const org = await organizationWith('find-many')
    const other = await organizationWith('find-many-other')
    const mine = [team(org.id, 'a', { createdAt: at(1) }), team(org.id, 'b', { createdAt: at(2) })]
    const theirs = team(other.id, 'c')
    for (const t of [...mine, theirs]) await storage.teams.insert(t)
    const found = await storage.teams.findMany(org.id, [mine[0]!.id, theirs.id, 'team_missing', mine[1]!.id])
    expect(found.map((t) => t.id).sort()).toEqual(mine.map((t) => t.id).sort())
    expect(await storage.teams.findMany(org.id, [])).toEqual([])
    expect(await storage.teams.find(org.id, theirs.id)).toBeNull()
    expect(await storage.teams.findBySlug(org.id, 'c')).toBeNull()
    expect((await storage.teams.list(org.id, page())).data.map((t) => t.slug)).toEqual(['a', 'b'])
  })

  it('update applies the patch, refuses a slug taken in the organization, and is scoped to it', async () => {
    const org = await organizationWith('team-update')
    const other = await organizationWith('team-update-other')
    const red = team(org.id, 'red')
    const blue = team(org.id, 'blue')
    await storage.teams.insert(red)
    await storage.teams.insert(blue)
    await storage.teams.insert(team(other.id, 'green'))
    expect(await storage.teams.update(org.id, red.id, { slug: 'blue', name: 'Nope' }, at(5))).toBe('slug_taken')
    expect(await storage.teams.find(org.id, red.id)).toEqual(red)
    // Keeping its own slug is no conflict; another organization's slug is none either.
    const renamed = await storage.teams.update(org.id, red.id, { slug: 'red', description: 'Reds' }, at(5))
    expect(renamed).toEqual({ ...red, description: 'Reds', updatedAt: at(5) })
    const moved = await storage.teams.update(org.id, red.id, { slug: 'green' }, at(6))
    expect(moved).toEqual({ ...red, slug: 'green', description: 'Reds', updatedAt: at(6) })
    expect(await storage.teams.findBySlug(org.id, 'red')).toBeNull()
    expect(await storage.teams.findBySlug(org.id, 'green')).toEqual(moved)
    expect(await storage.teams.insert(team(org.id, 'red'))).toBe(true)
    expect(await storage.teams.update(other.id, red.id, { name: 'x' }, at(7))).toBeNull()
    expect(await storage.teams.update(org.id, 'team_missing', { name: 'x' }, at(7))).toBeNull()
  })

  it('delete removes the team and its memberships, and uncounts it', async () => {
    const org = await organizationWith('team-delete', { ann: 'owner', bob: 'member' })
    const other = await organizationWith('team-delete-other')
    const doomed = team(org.id, 'doomed')
    const kept = team(org.id, 'kept')
    await storage.teams.insert(doomed)
    await storage.teams.insert(kept)
    for (const t of [doomed, kept]) {
      await storage.teamMembers.insert({
        organizationId: org.id,
        teamId: t.id,
        userId: 'ann',
        role: 'lead',
        joinedAt: at(1),
      })
    }
    expect(await storage.teams.delete(other.id, doomed.id)).toBe(false)
    expect(await storage.teams.delete(org.id, doomed.id)).toBe(true)
    expect(await storage.teams.delete(org.id, doomed.id)).toBe(false)
    expect(await storage.teams.find(org.id, doomed.id)).toBeNull()
    expect(await storage.teamMembers.find(org.id, doomed.id, 'ann')).toBeNull()
    expect((await storage.teamMembers.listForUser(org.id, 'ann')).map((m) => m.teamId)).toEqual([kept.id])
    expect(await storage.organizations.findById(org.id)).toMatchObject({ teamCount: 1, memberCount: 2 })
    // The slug is free again.
    expect(await storage.teams.insert(team(org.id, 'doomed'))).toBe(true)
  })
}
