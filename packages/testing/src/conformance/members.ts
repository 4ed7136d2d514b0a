import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, event, everyPage, organization, team } from './fixtures'

/** The members part of the storage conformance suite. */
export function membersConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('unique per (organization, user), isolated by organization, listed with the host users joined', async () => {
    const org = organization('members-org')
    const other = organization('other-org')
    await storage.organizations.insert(org)
    await storage.organizations.insert(other)
    const inserts = await Promise.all(
      Array.from({ length: 6 }, () =>
        storage.members.insert({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: at(1) }),
      ),
    )
    expect(inserts.filter(Boolean)).toHaveLength(1)
    await storage.members.insert({ organizationId: org.id, userId: 'bob', role: 'member', joinedAt: at(2) })
    await storage.members.insert({ organizationId: org.id, userId: 'cat', role: 'member', joinedAt: at(3) })
    await storage.members.insert({ organizationId: other.id, userId: 'bob', role: 'owner', joinedAt: at(4) })

    // Another organization's id reaches nothing.
    expect(await storage.members.find(other.id, 'ann')).toBeNull()
    expect(await storage.members.findWithUser(other.id, 'ann')).toBeNull()
    expect(await storage.members.updateRole(other.id, 'ann', 'admin')).toBe(false)
    expect(await storage.members.delete(other.id, 'cat')).toBe(false)
    expect(await storage.members.countWithRole(other.id, 'member')).toBe(0)
    expect(await storage.members.reassignRole(other.id, 'member', 'admin')).toBe(0)
    expect((await storage.members.find(org.id, 'cat'))?.role).toBe('member')
    expect(await storage.members.updateRole(org.id, 'bob', 'member')).toBe(true) // unchanged role still counts

    expect(await storage.members.find(org.id, 'ann')).toEqual({
      organizationId: org.id,
      userId: 'ann',
      role: 'owner',
      joinedAt: at(1),
    })
    const ann = await storage.members.findWithUser(org.id, 'ann')
    expect(ann?.user).toEqual({
      id: 'ann',
      email: 'Ann@Example.com',
      username: 'ann',
      name: 'Ann Lee',
      imageUrl: null,
    })
    expect(await storage.members.countWithRole(org.id, 'owner')).toBe(1)

    // An invitation's addressee by email (any case), whether they belong here, and the inviter.
    expect(await storage.members.findInvitee(org.id, ' CAT@example.com', 'ann')).toEqual({
      invitee: { id: 'cat', email: 'cat@example.com', username: 'cat%', name: 'Cat', imageUrl: null },
      isMember: true,
      inviter: { id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee', imageUrl: null },
    })
    // Cat belongs to `org`, not to `other`; Dan to neither; a stranger's email finds no one.
    expect((await storage.members.findInvitee(other.id, 'cat@example.com', 'bob')).isMember).toBe(false)
    const dan = await storage.members.findInvitee(org.id, 'dan@example.com', 'bob')
    expect([dan.invitee?.id, dan.isMember, dan.inviter?.username]).toEqual(['dan', false, 'bob_1'])
    expect(await storage.members.findInvitee(org.id, 'nobody@example.com', 'nobody')).toEqual({
      invitee: null,
      isMember: false,
      inviter: null,
    })
    // Inviting oneself: the same user on both sides.
    const self = await storage.members.findInvitee(org.id, 'ann@example.com', 'ann')
    expect([self.invitee?.id, self.isMember, self.inviter?.id]).toEqual(['ann', true, 'ann'])

    // The organization with one user's membership, by id or by slug, in one read.
    const bySlug = await storage.organizations.findWithMember({ slug: org.slug }, 'ann')
    expect(bySlug?.organization.id).toBe(org.id)
    expect(bySlug?.member).toEqual({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: at(1) })
    const notMember = await storage.organizations.findWithMember({ id: other.id }, 'cat')
    expect(notMember?.organization.id).toBe(other.id)
    expect(notMember?.member).toBeNull()
    // Bob belongs to both: each organization answers with its own membership.
    expect((await storage.organizations.findWithMember({ id: other.id }, 'bob'))?.member?.role).toBe('owner')
    expect((await storage.organizations.findWithMember({ id: org.id }, 'bob'))?.member?.role).toBe('member')
    expect(await storage.organizations.findWithMember({ slug: 'no-such-org' }, 'ann')).toBeNull()
    expect(await storage.organizations.findWithMember({ id: 'org_missing' }, 'ann')).toBeNull()

    // The count is kept by inserts and deletes, never counted on reads.
    expect(await storage.organizations.findById(org.id)).toMatchObject({ memberCount: 3, teamCount: 0 })

    const first = await storage.members.list(org.id, {}, page(2))
    expect(first.data.map((m) => m.userId)).toEqual(['ann', 'bob'])
    expect(first.hasMore).toBe(true)
    const second = await storage.members.list(org.id, {}, page(2, first.nextCursor!))
    expect(second.data.map((m) => m.userId)).toEqual(['cat'])
    expect(second.hasMore).toBe(false)
    const back = await storage.members.list(org.id, {}, page(2, second.prevCursor!))
    expect(back.data.map((m) => m.userId)).toEqual(['ann', 'bob'])
    expect((await storage.members.list(org.id, { role: 'owner' }, page())).data.map((m) => m.userId)).toEqual(['ann'])
    expect((await storage.members.list(org.id, { q: 'ANN@' }, page())).data.map((m) => m.userId)).toEqual(['ann'])
    expect((await storage.members.list(org.id, { q: 'ca' }, page())).data.map((m) => m.userId)).toEqual(['cat'])
    // A prefix, not a substring.
    expect((await storage.members.list(org.id, { q: 'lee' }, page())).data).toEqual([])
    // LIKE wildcards in q are literal characters.
    expect((await storage.members.list(org.id, { q: 'cat%' }, page())).data.map((m) => m.userId)).toEqual(['cat'])
    expect((await storage.members.list(org.id, { q: '%' }, page())).data).toEqual([])
    expect((await storage.members.list(org.id, { q: 'bob_' }, page())).data.map((m) => m.userId)).toEqual(['bob'])
    expect((await storage.members.list(org.id, { q: 'b_b' }, page())).data).toEqual([])

    const mine = await storage.organizations.listForUser('bob', page())
    expect(mine.data.map((o) => [o.slug, o.role])).toEqual([
      ['members-org', 'member'],
      ['other-org', 'owner'],
    ])
  })

  it('findWithMember reads the host user asked for, or leaves it to the caller', async () => {
    const org = await organizationWith('with-user', { ann: 'owner' })
    const found = await storage.organizations.findWithMember({ id: org.id }, 'ann', 'cat')
    expect(found?.member?.role).toBe('owner')
    // A storage may leave the user out (the core then reads it); one it reads is the host's.
    if (found?.user !== undefined) {
      expect(found.user).toEqual({ id: 'cat', email: 'cat@example.com', username: 'cat%', name: 'Cat', imageUrl: null })
      expect((await storage.organizations.findWithMember({ id: org.id }, 'ann', 'nobody'))?.user).toBeNull()
    }
    expect(await storage.organizations.findWithMember({ id: 'org_missing' }, 'ann', 'cat')).toBeNull()
    // By slug, the same answer; a slug no organization has, none.
    expect(await storage.organizations.findWithMember({ slug: org.slug }, 'ann', 'cat')).toEqual(found)
    expect(await storage.organizations.findWithMember({ slug: org.slug }, 'cat', 'cat')).toEqual({
      ...found,
      member: null,
    })
    expect(await storage.organizations.findWithMember({ slug: 'no-such-org' }, 'ann', 'cat')).toBeNull()
    // A slug given up is no longer the organization's; the new one is.
    expect(await storage.organizations.update(org.id, { slug: 'with-user-renamed' }, at(5))).not.toBe('slug_taken')
    expect(await storage.organizations.findWithMember({ slug: 'with-user' }, 'ann')).toBeNull()
    const renamed = await storage.organizations.findWithMember({ slug: 'with-user-renamed' }, 'ann')
    expect(renamed).toEqual(await storage.organizations.findWithMember({ id: org.id }, 'ann'))
    expect(renamed?.organization.slug).toBe('with-user-renamed')
  })

  it('insertIfUnchanged (where the storage has it) adds only as decided, else writes nothing', async (test) => {
    const insertIfUnchanged = storage.members.insertIfUnchanged?.bind(storage.members)
    if (insertIfUnchanged === undefined) return test.skip()
    const org = await organizationWith('decided', { ann: 'owner', bob: 'member' })
    const asDecided = { callerId: 'ann', callerRole: 'owner', rolesVersion: org.rolesVersion, memberLimit: null }
    const cat = { organizationId: org.id, userId: 'cat', role: 'member', joinedAt: at(10) }
    const trail = async () => (await storage.audit.list(org.id, {}, page())).data.map((e) => e.target.id)
    const count = async () => (await storage.organizations.findById(org.id))?.memberCount
    const added = (userId: string) => [
      { ...event(org.id, 'member.added', at(10)), target: { type: 'user', id: userId } },
    ]

    // Anything it was decided on changed: nothing written, events included.
    const changed = [
      { ...asDecided, callerRole: 'admin' },
      { ...asDecided, callerId: 'bob' },
      { ...asDecided, callerId: 'dan' },
      { ...asDecided, rolesVersion: org.rolesVersion + 1 },
      { ...asDecided, memberLimit: 2 },
    ]
    for (const decidedOn of changed) {
      expect(await insertIfUnchanged(cat, decidedOn, added('cat'))).toBe('changed')
    }
    expect(await insertIfUnchanged({ ...cat, organizationId: 'org_missing' }, asDecided)).toBe('changed')
    expect([await storage.members.find(org.id, 'cat'), await count(), await trail()]).toEqual([null, 2, []])

    // As decided: added as `insert` adds, counted, indexed, with its event.
    expect(await insertIfUnchanged(cat, { ...asDecided, memberLimit: 3 }, added('cat'))).toBe('inserted')
    expect(await storage.members.find(org.id, 'cat')).toEqual(cat)
    expect([await count(), await trail()]).toEqual([3, ['cat']])
    expect((await everyPage((p) => storage.organizations.listForUser('cat', p), 50)).map((o) => o.id)).toContain(org.id)

    // A member already: `duplicate`, nothing written; and the limit counts the new member.
    expect(await insertIfUnchanged({ ...cat, role: 'admin' }, asDecided, added('cat'))).toBe('duplicate')
    const dan = { ...cat, userId: 'dan' }
    expect(await insertIfUnchanged(dan, { ...asDecided, memberLimit: 3 }, added('dan'))).toBe('changed')
    expect([(await storage.members.find(org.id, 'cat'))?.role, await count(), await trail()]).toEqual([
      'member',
      3,
      ['cat'],
    ])
  })

  it('listWithMember (where the storage has it) answers as findWithMember and list, a page only for a member', async (test) => {
    const listWithMember = storage.members.listWithMember?.bind(storage.members)
    if (listWithMember === undefined) return test.skip()
    const org = await organizationWith('paged', { ann: 'owner', bob: 'member', cat: 'admin', ghost: 'member' })
    const other = await organizationWith('paged-other', { dan: 'owner' })
    const same = async (userId: string, filter: { role?: string; q?: string }, input: ReturnType<typeof page>) => {
      const found = await listWithMember(org.id, userId, filter, input)
      expect(found?.organization).toEqual(await storage.organizations.findById(org.id))
      expect(found?.member).toEqual((await storage.organizations.findWithMember({ id: org.id }, userId))?.member)
      expect(found?.page).toEqual(await storage.members.list(org.id, filter, input))
      return found!.page!
    }
    const first = await same('bob', {}, page(2))
    expect(first.data.map((m) => m.userId)).toEqual(['ann', 'bob'])
    const second = await same('bob', {}, page(2, first.nextCursor!))
    expect(second.data.map((m) => [m.userId, m.user.name])).toEqual([
      ['cat', 'Cat'],
      ['ghost', null],
    ])
    expect((await same('bob', {}, page(2, second.prevCursor!))).data.map((m) => m.userId)).toEqual(['ann', 'bob'])
    expect((await same('ann', { role: 'admin' }, page())).data.map((m) => m.userId)).toEqual(['cat'])
    expect((await same('ann', { q: 'ANN@' }, page())).data.map((m) => m.userId)).toEqual(['ann'])
    // A member's empty page is an empty page, not none.
    expect((await same('ann', { role: 'no-such-role' }, page())).data).toEqual([])
    // No page for a non-member, whatever the organization holds; another organization's
    // member is no member here.
    const stranger = await listWithMember(org.id, 'dan', {}, page())
    expect(stranger?.organization.id).toBe(org.id)
    expect([stranger?.member, stranger?.page]).toEqual([null, null])
    expect((await listWithMember(other.id, 'dan', {}, page()))?.page?.data.map((m) => m.userId)).toEqual(['dan'])
    expect(await listWithMember('org_missing', 'ann', {}, page())).toBeNull()
  })

  it('findWithCaller (where the storage has it) answers as findWithMember and findWithUser, a member only for a member', async (test) => {
    const findWithCaller = storage.members.findWithCaller?.bind(storage.members)
    if (findWithCaller === undefined) return test.skip()
    const org = await organizationWith('found', { ann: 'owner', bob: 'member', ghost: 'member' })
    const other = await organizationWith('found-other', { dan: 'owner', cat: 'member' })
    for (const [callerId, userId] of [
      ['bob', 'ann'],
      ['ann', 'ghost'],
      ['ann', 'ann'],
    ] as const) {
      const found = await findWithCaller(org.id, callerId, userId)
      expect(found?.organization).toEqual(await storage.organizations.findById(org.id))
      expect(found?.member).toEqual(await storage.members.find(org.id, callerId))
      expect(found?.target).toEqual(await storage.members.findWithUser(org.id, userId))
      expect(found?.target?.userId).toBe(userId)
    }
    expect((await findWithCaller(org.id, 'ann', 'ghost'))?.target?.user).toEqual({
      id: 'ghost',
      email: null,
      username: null,
      name: null,
      imageUrl: null,
    })
    // No such member here (Cat is one elsewhere): no target.
    const missing = await findWithCaller(org.id, 'ann', 'cat')
    expect([missing?.member?.role, missing?.target]).toEqual(['owner', null])
    // A non-member caller learns no member, not even one that exists.
    const stranger = await findWithCaller(org.id, 'dan', 'ann')
    expect([stranger?.organization.id, stranger?.member, stranger?.target]).toEqual([org.id, null, null])
    expect((await findWithCaller(other.id, 'dan', 'cat'))?.target?.role).toBe('member')
    expect(await findWithCaller('org_missing', 'ann', 'ann')).toBeNull()
  })

  it('a member missing from the host users is listed with null fields', async () => {
    const org = await organizationWith('ghosts', { ann: 'owner', ghost: 'member' })
    const listed = await storage.members.list(org.id, {}, page())
    expect(listed.data.map((m) => m.user)).toEqual([
      { id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee', imageUrl: null },
      { id: 'ghost', email: null, username: null, name: null, imageUrl: null },
    ])
  })

  it('counts concurrent inserts of different users exactly, and deletes uncount', async () => {
    const org = await organizationWith('crowd')
    const users = Array.from({ length: 10 }, (_, i) => `crowd-${i}`)
    const results = await Promise.all(
      users.map((userId, i) =>
        storage.members.insert({ organizationId: org.id, userId, role: 'member', joinedAt: at(i) }),
      ),
    )
    expect(results.every(Boolean)).toBe(true)
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(10)
    const removed = await Promise.all(users.slice(0, 4).map((userId) => storage.members.delete(org.id, userId)))
    expect(removed.every(Boolean)).toBe(true)
    expect(await storage.members.delete(org.id, 'crowd-0')).toBe(false)
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(6)
    expect(await everyPage((p) => storage.members.list(org.id, {}, p), 4)).toHaveLength(6)
  })

  it('reassignRole moves every holder of one role to another, in this organization only', async () => {
    const org = await organizationWith('reassign', { ann: 'owner', bob: 'auditor', cat: 'auditor' })
    const other = await organizationWith('reassign-other', { bob: 'auditor' })
    expect(await storage.members.reassignRole(org.id, 'auditor', 'member')).toBe(2)
    expect(await storage.members.reassignRole(org.id, 'auditor', 'member')).toBe(0)
    expect((await storage.members.find(org.id, 'cat'))?.role).toBe('member')
    expect((await storage.members.find(org.id, 'ann'))?.role).toBe('owner')
    expect(await storage.members.countWithRole(org.id, 'member')).toBe(2)
    expect((await storage.members.find(other.id, 'bob'))?.role).toBe('auditor')
  })

  it("delete removes the user's team memberships and uncounts them from their teams", async () => {
    const org = await organizationWith('leaving', { ann: 'owner', bob: 'member' })
    const red = team(org.id, 'red')
    const blue = team(org.id, 'blue')
    await storage.teams.insert(red)
    await storage.teams.insert(blue)
    const join = (teamId: string, userId: string, second: number) =>
      storage.teamMembers.insert({ organizationId: org.id, teamId, userId, role: 'member', joinedAt: at(second) })
    await join(red.id, 'ann', 1)
    await join(blue.id, 'ann', 2)
    await join(red.id, 'bob', 3)

    expect(await storage.members.delete(org.id, 'ann')).toBe(true)
    expect(await storage.teamMembers.listForUser(org.id, 'ann')).toEqual([])
    expect(await storage.teamMembers.find(org.id, red.id, 'ann')).toBeNull()
    expect((await storage.teams.find(org.id, red.id))?.memberCount).toBe(1)
    expect((await storage.teams.find(org.id, blue.id))?.memberCount).toBe(0)
    expect((await storage.teamMembers.list(org.id, red.id, page())).data.map((m) => m.userId)).toEqual(['bob'])
    expect(await storage.organizations.findById(org.id)).toMatchObject({ memberCount: 1, teamCount: 2 })
  })
}
