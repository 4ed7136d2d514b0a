import type { Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, event, invitation, organization } from './fixtures'

/** The audit events part of the storage conformance suite. */
export function auditConformance(t: ConformanceContext): void {
  const { page } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('audit events list newest first, filtered by action, per organization', async () => {
    const org = organization('audit-org')
    await storage.organizations.insert(org)
    const events = Array.from({ length: 5 }, (_, i) => event(org.id, i % 2 ? 'member.added' : 'member.removed', at(i)))
    await storage.audit.append(events)
    const listed = await storage.audit.list(org.id, {}, page(3))
    expect(listed.data.map((e) => e.createdAt)).toEqual([at(4), at(3), at(2)])
    expect(listed.data[0]).toEqual(events[4])
    const rest = await storage.audit.list(org.id, {}, page(3, listed.nextCursor!))
    expect(rest.data.map((e) => e.createdAt)).toEqual([at(1), at(0)])
    const back = await storage.audit.list(org.id, {}, page(3, rest.prevCursor!))
    expect(back.data).toEqual(listed.data)
    expect((await storage.audit.list(org.id, { action: 'member.added' }, page())).data).toHaveLength(2)
    expect((await storage.audit.list('org_other', {}, page())).data).toEqual([])
  })

  it('a write takes its audit events along, and writes none when it writes nothing', async () => {
    const trail = async (organizationId: string) =>
      (await storage.audit.list(organizationId, {}, page())).data.map((e) => e.action).reverse()
    const org = organization('events-along')
    const created = [event(org.id, 'organization.created', at(1)), event(org.id, 'member.added', at(2))]
    expect(await storage.organizations.insert(org, { userId: 'ann', role: 'owner' }, created)).toBe('inserted')
    expect(await trail(org.id)).toEqual(['organization.created', 'member.added'])
    expect((await storage.audit.list(org.id, {}, page())).data[1]).toEqual(created[0])
    // A taken slug writes nothing, its events included.
    const clash = organization('events-along')
    const lost = [event(clash.id, 'organization.created', at(3))]
    expect(await storage.organizations.insert(clash, { userId: 'bob', role: 'owner' }, lost)).toBe('slug_taken')
    expect(await trail(clash.id)).toEqual([])

    const bob = { organizationId: org.id, userId: 'bob', role: 'member', joinedAt: at(4) }
    expect(await storage.members.insert(bob, [event(org.id, 'member.added', at(4))])).toBe(true)
    expect(await storage.members.insert(bob, [event(org.id, 'member.rejoined', at(5))])).toBe(false)
    expect(await storage.members.updateRole(org.id, 'bob', 'admin', [event(org.id, 'member.updated', at(6))])).toBe(
      true,
    )
    expect(await storage.members.updateRole(org.id, 'cat', 'admin', [event(org.id, 'member.missing', at(7))])).toBe(
      false,
    )
    expect(await trail(org.id)).toEqual(['organization.created', 'member.added', 'member.added', 'member.updated'])
    expect((await storage.members.find(org.id, 'bob'))?.role).toBe('admin')
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(2)

    // In a transaction that rolls back, the events go with the write.
    const cat = { organizationId: org.id, userId: 'cat', role: 'member', joinedAt: at(8) }
    await expect(
      storage.transaction(async (tx) => {
        expect(await tx.members.insert(cat, [event(org.id, 'member.added', at(8))])).toBe(true)
        throw new Error('rolled back')
      }),
    ).rejects.toThrow('rolled back')
    expect(await storage.members.find(org.id, 'cat')).toBeNull()
    expect(await trail(org.id)).toHaveLength(4)
    // Several events in one write, and none.
    const three = [4, 5, 6].map((n) => event(org.id, `member.batch${n}`, at(10 + n)))
    expect(await storage.members.insert(cat, three)).toBe(true)
    expect(await storage.members.updateRole(org.id, 'cat', 'admin', [])).toBe(true)
    expect((await trail(org.id)).slice(4)).toEqual(['member.batch4', 'member.batch5', 'member.batch6'])

    // A removal takes its events along; removing a non-member writes none.
    expect(await storage.members.delete(org.id, 'cat', [event(org.id, 'member.removed', at(20))])).toBe(true)
    expect(await storage.members.delete(org.id, 'cat', [event(org.id, 'member.gone', at(21))])).toBe(false)
    expect((await trail(org.id)).slice(7)).toEqual(['member.removed'])
    expect(await storage.members.find(org.id, 'cat')).toBeNull()
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(2)
    expect((await storage.organizations.listForUser('cat', page(100))).data.map((o) => o.id)).not.toContain(org.id)
  })

  it('an invitation takes its audit events along, and a duplicate writes none', async () => {
    const org = organization('invitation-events')
    expect(await storage.organizations.insert(org)).toBe('inserted')
    const first = invitation(org.id, 'invitation-events@example.com')
    const created = [event(org.id, 'invitation.created', at(1))]
    expect(await storage.invitations.insert(first, at(0), created)).toBe('inserted')
    const again = invitation(org.id, 'invitation-events@example.com')
    expect(await storage.invitations.insert(again, at(0), [event(org.id, 'invitation.again', at(2))])).toBe('duplicate')
    const listed = await storage.audit.list(org.id, {}, page())
    expect(listed.data).toEqual(created)
    // The invitation is whole: found by id, by token, and in its addressee's pending list.
    expect((await storage.invitations.findById(first.id))?.id).toBe(first.id)
    expect((await storage.invitations.findByTokenHash(first.tokenHash))?.id).toBe(first.id)
    const pending = await storage.invitations.listPendingForEmail('invitation-events@example.com', at(0), page())
    expect(pending.data.map((i) => i.id)).toEqual([first.id])
  })

  it('the locking read may bring a host user along', async () => {
    const org = organization('lock-with-user')
    expect(await storage.organizations.insert(org, { userId: 'ann', role: 'owner' })).toBe('inserted')
    const bob = await storage.users.findById('bob')
    expect(bob?.id).toBe('bob')
    await storage.transaction(async (tx) => {
      const found = await tx.organizations.lockWithMember(org.id, 'ann', 'bob')
      expect(found?.member?.role).toBe('owner')
      // `undefined`: the storage left the user to the caller.
      if (found?.user !== undefined) expect(found.user).toEqual(bob)
      const missing = await tx.organizations.lockWithMember(org.id, 'ann', 'nobody')
      expect(missing?.member?.role).toBe('owner')
      if (missing?.user !== undefined) expect(missing.user).toBeNull()
      expect(await tx.organizations.lockWithMember('org_missing', 'ann', 'bob')).toBeNull()
    })
  })
}
