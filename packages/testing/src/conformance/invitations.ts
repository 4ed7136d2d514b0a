import { hashSecret, type InvitationRecord, type Storage } from '@orgkit/core'
import { beforeAll, expect, it } from 'vitest'
import type { ConformanceContext } from './context'
import { at, event, invitation, organization, T0 } from './fixtures'

/** The host's user `ann`, as the suite adds her (see context.ts), and as an invitation's inviter reads. */
const ANN = { id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee', imageUrl: null }

/** The invitations part of the storage conformance suite. */
export function invitationsConformance(t: ConformanceContext): void {
  const { page, organizationWith } = t
  let storage: Storage
  beforeAll(() => {
    storage = t.storage
  })

  it('one pending per email, transitions given to exactly one caller, lookups by token and id', async () => {
    const org = organization('invite-org')
    await storage.organizations.insert(org)
    const first = invitation(org.id, 'dan@example.com')
    const racing = await Promise.all(
      [first, invitation(org.id, 'dan@example.com'), invitation(org.id, 'dan@example.com')].map((i) =>
        storage.invitations.insert(i, T0),
      ),
    )
    expect(racing.filter((r) => r === 'inserted')).toHaveLength(1)
    const stored = (await storage.invitations.list(org.id, { status: 'pending' }, T0, page())).data
    expect(stored).toHaveLength(1)
    // Listed with its inviter from the host's users.
    const { inviter, ...pending } = stored[0]!
    expect(inviter).toEqual(ANN)
    expect(await storage.invitations.findByTokenHash(pending.tokenHash)).toEqual(pending)
    expect(await storage.invitations.findById(pending.id)).toEqual(pending)
    const place = { organizationId: org.id, id: pending.id }
    expect(await storage.invitations.locate({ tokenHash: pending.tokenHash })).toEqual(place)
    expect(await storage.invitations.locate({ id: pending.id })).toEqual(place)
    expect(await storage.invitations.locate({ tokenHash: hashSecret('not a token') })).toBeNull()
    expect(await storage.invitations.locate({ id: 'inv_missing' })).toBeNull()
    expect(await storage.invitations.find(org.id, pending.id)).toEqual(pending)
    expect(await storage.invitations.find('org_other', pending.id)).toBeNull()
    expect(await storage.invitations.countPending(org.id, T0)).toBe(1)
    expect(await storage.invitations.countPending('org_other', T0)).toBe(0)
    expect(
      await storage.invitations.transition('org_other', pending.id, {
        to: 'revoked',
        respondedBy: null,
        now: at(1),
      }),
    ).toBe(false)

    const transitions = ['accepted', 'declined', 'revoked', 'accepted', 'revoked'] as const
    const outcomes = await Promise.all(
      transitions.map((to) =>
        storage.invitations.transition(org.id, pending.id, { to, respondedBy: 'dan', now: at(1) }),
      ),
    )
    expect(outcomes.filter((moved) => moved)).toHaveLength(1)
    const final = await storage.invitations.find(org.id, pending.id)
    expect(final).toEqual({
      ...pending,
      status: transitions[outcomes.indexOf(true)],
      respondedBy: 'dan',
      updatedAt: at(1),
    })
    expect(await storage.invitations.countPending(org.id, at(1))).toBe(0)
    // Once it left pending, the email's slot is free again.
    expect(await storage.invitations.insert(invitation(org.id, 'dan@example.com'), at(2))).toBe('inserted')

    // Past its expiry, a pending invitation cannot transition, and a new one may replace it.
    const stale = invitation(org.id, 'eve@example.com', { expiresAt: at(10) })
    await storage.invitations.insert(stale, T0)
    expect(
      await storage.invitations.transition(org.id, stale.id, { to: 'accepted', respondedBy: 'eve', now: at(11) }),
    ).toBe(false)
    expect(await storage.invitations.insert(invitation(org.id, 'eve@example.com'), at(11))).toBe('inserted')
    expect((await storage.invitations.find(org.id, stale.id))?.status).toBe('expired')
    const rotated = await storage.invitations.rotateToken(org.id, stale.id, {
      tokenHash: 'x'.repeat(64),
      expiresAt: at(99),
      now: at(12),
    })
    expect(rotated).toBeNull()
  })

  it('accept: the invitation accepted with its membership, counted and indexed, with its events, only in a transaction', async () => {
    expect('accept' in storage.invitations).toBe(false)
    const org = await organizationWith('accept-org', { ann: 'owner' })
    const sent = invitation(org.id, 'dan@example.com', { role: 'admin' })
    expect(await storage.invitations.insert(sent, T0)).toBe('inserted')
    const dan = { organizationId: org.id, userId: 'dan', role: 'admin', joinedAt: at(10) }
    const trail = [event(org.id, 'invitation.accepted', at(10)), event(org.id, 'member.added', at(10))]
    expect(await storage.transaction((tx) => tx.invitations.accept(sent.id, dan, trail))).toBe('accepted')
    expect(await storage.invitations.find(org.id, sent.id)).toEqual({
      ...sent,
      status: 'accepted',
      respondedBy: 'dan',
      updatedAt: at(10),
    })
    // Out of the addressee's pending index, in the user's index, counted, with both events.
    const pending = await storage.invitations.listPendingForEmail('dan@example.com', at(10), page())
    expect(pending.data.map((i) => i.id)).not.toContain(sent.id)
    expect(await storage.members.find(org.id, 'dan')).toEqual(dan)
    const mine = await storage.organizations.listForUser('dan', page())
    expect(mine.data.find((o) => o.id === org.id)?.role).toBe('admin')
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(2)
    const written = (await storage.audit.list(org.id, {}, page())).data.map((e) => e.id)
    expect(written.sort()).toEqual(trail.map((e) => e.id).sort())

    // Settled: not again, not past its expiry, not in another organization; nothing written.
    const again = { ...dan, joinedAt: at(11) }
    const other = await organizationWith('accept-other')
    const stale = invitation(org.id, 'cat@example.com', { expiresAt: at(20) })
    expect(await storage.invitations.insert(stale, T0)).toBe('inserted')
    const cat = { organizationId: org.id, userId: 'cat', role: 'member', joinedAt: at(21) }
    const [twice, late, elsewhere] = await storage.transaction(async (tx) => [
      await tx.invitations.accept(sent.id, again, [event(org.id, 'x', at(11))]),
      await tx.invitations.accept(stale.id, cat, [event(org.id, 'x', at(21))]),
      await tx.invitations.accept(sent.id, { ...cat, organizationId: other.id }, [event(other.id, 'x', at(21))]),
    ])
    expect([twice, late, elsewhere]).toEqual(['settled', 'settled', 'settled'])
    expect(await storage.invitations.find(org.id, stale.id)).toEqual(stale)
    expect(await storage.members.find(org.id, 'cat')).toBeNull()
    expect(await storage.members.find(other.id, 'cat')).toBeNull()
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(2)
    expect((await storage.audit.list(org.id, {}, page())).data).toHaveLength(2)
    expect((await storage.audit.list(other.id, {}, page())).data).toHaveLength(0)

    // A member already: 'duplicate', the membership untouched, and the caller's rollback
    // leaves the invitation pending.
    const forAnn = invitation(org.id, 'ann@example.com')
    expect(await storage.invitations.insert(forAnn, T0)).toBe('inserted')
    const refused = new Error('refused')
    const duplicate = storage.transaction(async (tx) => {
      const outcome = await tx.invitations.accept(
        forAnn.id,
        { organizationId: org.id, userId: 'ann', role: 'member', joinedAt: at(12) },
        [event(org.id, 'x', at(12))],
      )
      expect(outcome).toBe('duplicate')
      expect((await tx.members.find(org.id, 'ann'))?.role).toBe('owner')
      throw refused
    })
    await expect(duplicate).rejects.toBe(refused)
    expect(await storage.invitations.find(org.id, forAnn.id)).toEqual(forAnn)
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(2)
    expect((await storage.audit.list(org.id, {}, page())).data).toHaveLength(2)
  })

  it('accept: of concurrent accepts and a revoke of one invitation exactly one moves it', async () => {
    const org = await organizationWith('accept-race', { ann: 'owner' })
    const sent = invitation(org.id, 'bob@example.com')
    expect(await storage.invitations.insert(sent, T0)).toBe('inserted')
    const accepting = (userId: string) =>
      storage.transaction((tx) =>
        tx.invitations.accept(sent.id, { organizationId: org.id, userId, role: 'member', joinedAt: at(5) }, [
          event(org.id, 'member.added', at(5)),
        ]),
      )
    const revoking = () =>
      storage.transaction((tx) =>
        tx.invitations.transition(org.id, sent.id, { to: 'revoked', respondedBy: null, now: at(5) }),
      )
    const accepters = ['bob', 'cat', 'dan']
    const [accepts, revokes] = await Promise.all([
      Promise.all(accepters.map(accepting)),
      Promise.all([revoking(), revoking()]),
    ])
    const members = accepters.filter((_, i) => accepts[i] === 'accepted')
    expect(members.length + revokes.filter((moved) => moved).length).toBe(1)
    expect(accepts.filter((outcome) => outcome === 'settled')).toHaveLength(3 - members.length)
    // The winner's membership alone: a loser wrote none, nor an event.
    expect((await storage.invitations.find(org.id, sent.id))?.status).toBe(
      members.length === 1 ? 'accepted' : 'revoked',
    )
    for (const userId of accepters) {
      expect((await storage.members.find(org.id, userId)) !== null).toBe(members.includes(userId))
    }
    expect((await storage.organizations.findById(org.id))?.memberCount).toBe(1 + members.length)
    expect((await storage.audit.list(org.id, {}, page())).data).toHaveLength(members.length)
  })

  it('the same email may be pending in two organizations', async () => {
    const a = await organizationWith('invite-a')
    const b = await organizationWith('invite-b')
    expect(await storage.invitations.insert(invitation(a.id, 'fay@example.com'), T0)).toBe('inserted')
    expect(await storage.invitations.insert(invitation(b.id, 'fay@example.com'), T0)).toBe('inserted')
    expect(await storage.invitations.insert(invitation(a.id, 'fay@example.com'), T0)).toBe('duplicate')
  })

  it('rotateToken replaces the hash and expiry of a pending invitation; the old hash stops resolving', async () => {
    const org = await organizationWith('invite-rotate')
    const sent = invitation(org.id, 'gus@example.com')
    await storage.invitations.insert(sent, T0)
    const change = { tokenHash: hashSecret('fresh'), expiresAt: at(7200), now: at(60) }
    expect(await storage.invitations.rotateToken('org_other', sent.id, change)).toBeNull()
    const rotated = await storage.invitations.rotateToken(org.id, sent.id, change)
    expect(rotated).toEqual({ ...sent, tokenHash: change.tokenHash, expiresAt: at(7200), updatedAt: at(60) })
    expect(await storage.invitations.findByTokenHash(sent.tokenHash)).toBeNull()
    expect(await storage.invitations.findByTokenHash(change.tokenHash)).toEqual(rotated)
    await storage.invitations.transition(org.id, sent.id, { to: 'revoked', respondedBy: null, now: at(61) })
    expect(await storage.invitations.rotateToken(org.id, sent.id, { ...change, tokenHash: hashSecret('x') })).toBeNull()
  })

  it('lists newest first by status, pending past expiry counting as expired', async () => {
    const org = await organizationWith('invite-list')
    const old = invitation(org.id, 'i1@example.com', { createdAt: at(1), expiresAt: at(50) })
    const live = invitation(org.id, 'i2@example.com', { createdAt: at(2) })
    const gone = invitation(org.id, 'i3@example.com', { createdAt: at(3) })
    const newest = invitation(org.id, 'i4@example.com', { createdAt: at(4) })
    for (const i of [old, live, gone, newest]) await storage.invitations.insert(i, at(4))
    await storage.invitations.transition(org.id, gone.id, { to: 'declined', respondedBy: 'x', now: at(5) })
    const now = at(100)
    const ids = async (status?: 'pending' | 'expired' | 'declined') =>
      (await storage.invitations.list(org.id, status === undefined ? {} : { status }, now, page())).data.map(
        (i) => i.id,
      )
    expect(await ids()).toEqual([newest.id, gone.id, live.id, old.id])
    expect(await ids('pending')).toEqual([newest.id, live.id])
    expect(await ids('expired')).toEqual([old.id])
    expect(await ids('declined')).toEqual([gone.id])
    const first = await storage.invitations.list(org.id, {}, now, page(3))
    expect(first.data.map((i) => i.id)).toEqual([newest.id, gone.id, live.id])
    const rest = await storage.invitations.list(org.id, {}, now, page(3, first.nextCursor!))
    expect(rest.data.map((i) => i.id)).toEqual([old.id])
    expect(await storage.invitations.countPending(org.id, now)).toBe(2)
  })

  it('insertUnlessMember (where the storage has it): findInvitee and insert in one step, under the lock', async (test) => {
    expect('insertUnlessMember' in storage.invitations).toBe(false)
    const has = await storage.transaction(async (tx) => tx.invitations.insertUnlessMember !== undefined)
    if (!has) return test.skip()
    const org = await organizationWith('invite-unless-member', { ann: 'owner', cat: 'member' })
    const write = (sent: InvitationRecord, inviterId: string, now = T0) =>
      storage.transaction(async (tx) => {
        expect(await tx.organizations.lock(org.id)).not.toBeNull()
        const trail = [event(org.id, 'invitation.created', now)]
        return { trail, ...(await tx.invitations.insertUnlessMember?.(sent, now, trail, inviterId)) }
      })
    const trail = async () => (await storage.audit.list(org.id, {}, page())).data.map((e) => e.id)

    // A member (the host's email differs in case): refused, nothing written.
    const toCat = invitation(org.id, 'cat@example.com')
    expect(await write(toCat, 'ann')).toMatchObject({ outcome: 'member', inviter: ANN })
    expect(await storage.invitations.find(org.id, toCat.id)).toBeNull()
    expect(await storage.invitations.locate({ id: toCat.id })).toBeNull()
    expect(await storage.invitations.locate({ tokenHash: toCat.tokenHash })).toBeNull()
    const catsPending = await storage.invitations.listPendingForEmail('cat@example.com', T0, page())
    expect(catsPending.data.filter((i) => i.organizationId === org.id)).toEqual([])
    expect(await trail()).toEqual([])

    // No member: written as `insert` writes it, its event with it; an inviter the host's
    // table lacks reads as none.
    const toDan = invitation(org.id, 'dan@example.com', { invitedBy: 'ghost' })
    const written = await write(toDan, 'ghost')
    expect(written).toMatchObject({ outcome: 'inserted', inviter: null })
    expect(await storage.invitations.find(org.id, toDan.id)).toEqual(toDan)
    const place = { organizationId: org.id, id: toDan.id }
    expect(await storage.invitations.locate({ id: toDan.id })).toEqual(place)
    expect(await storage.invitations.locate({ tokenHash: toDan.tokenHash })).toEqual(place)
    const pending = await storage.invitations.listPendingForEmail('dan@example.com', T0, page())
    expect(pending.data.filter((i) => i.organizationId === org.id).map((i) => i.id)).toEqual([toDan.id])
    expect(await trail()).toEqual(written.trail.map((e) => e.id))

    // A second for the same email: a duplicate, nothing written; a stranger's email: written.
    const again = invitation(org.id, 'dan@example.com')
    expect(await write(again, 'ann')).toMatchObject({ outcome: 'duplicate', inviter: ANN })
    expect(await storage.invitations.find(org.id, again.id)).toBeNull()
    const toStranger = invitation(org.id, 'nobody@example.com')
    expect(await write(toStranger, 'ann')).toMatchObject({ outcome: 'inserted', inviter: ANN })
    expect(await trail()).toHaveLength(2)

    // Past the pending one's expiry, its slot is released for the new one.
    const later = at(8 * 24 * 3600)
    expect(toDan.expiresAt.getTime()).toBeLessThan(later.getTime())
    const renewed = invitation(org.id, 'dan@example.com', { createdAt: later, expiresAt: at(9 * 24 * 3600) })
    expect(await write(renewed, 'ann', later)).toMatchObject({ outcome: 'inserted' })
    expect((await storage.invitations.find(org.id, toDan.id))?.status).toBe('expired')

    // Dan joins while the lock is waited for: the membership committed when it is granted
    // refuses the invitation.
    const toDanAgain = invitation(org.id, 'dan@example.com', { createdAt: later, expiresAt: at(9 * 24 * 3600) })
    expect(
      await storage.invitations.transition(org.id, renewed.id, { to: 'revoked', respondedBy: 'ann', now: later }),
    ).toBe(true)
    let held!: () => void
    const holding = new Promise<void>((resolve) => {
      held = resolve
    })
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const joining = storage.transaction(async (tx) => {
      expect(await tx.organizations.lock(org.id)).not.toBeNull()
      expect(await tx.members.insert({ organizationId: org.id, userId: 'dan', role: 'member', joinedAt: later })).toBe(
        true,
      )
      held()
      await released
    })
    await holding
    const inviting = write(toDanAgain, 'ann', later)
    // Caught now, awaited below: a failure must not go unhandled while the first commits.
    inviting.catch(() => undefined)
    await t.untilWaitingForLock()
    release()
    await joining
    expect(await inviting).toMatchObject({ outcome: 'member', inviter: ANN })
    expect(await storage.invitations.find(org.id, toDanAgain.id)).toBeNull()
  })

  it('findWithInvitation (where the storage has it): the organization, the invitation and its inviter in one read', async (test) => {
    const findWithInvitation = storage.organizations.findWithInvitation?.bind(storage.organizations)
    if (findWithInvitation === undefined) return test.skip()
    const org = await organizationWith('previewed')
    const other = await organizationWith('previewed-other')
    const byAnn = invitation(org.id, 'pam@example.com', { createdAt: at(1) })
    const byGhost = invitation(org.id, 'pat@example.com', { createdAt: at(2), invitedBy: 'ghost' })
    for (const i of [byAnn, byGhost]) await storage.invitations.insert(i, at(2))
    const organization = await storage.organizations.findById(org.id)
    expect(await findWithInvitation(org.id, byAnn.id)).toEqual({ organization, invitation: byAnn, inviter: ANN })
    // An inviter the host's table lacks reads as none; the invitation is still there.
    expect(await findWithInvitation(org.id, byGhost.id)).toEqual({ organization, invitation: byGhost, inviter: null })
    // Another organization's invitation, an unknown id and an unknown organization are none.
    expect(await findWithInvitation(other.id, byAnn.id)).toBeNull()
    expect(await findWithInvitation(org.id, 'inv_missing')).toBeNull()
    expect(await findWithInvitation('org_missing', byAnn.id)).toBeNull()
    // As stored after a transition.
    await storage.invitations.transition(org.id, byAnn.id, { to: 'declined', respondedBy: 'pam', now: at(3) })
    expect((await findWithInvitation(org.id, byAnn.id))?.invitation).toEqual(
      await storage.invitations.find(org.id, byAnn.id),
    )
  })

  it("listPendingForEmail finds an address's unexpired pending invitations across organizations", async () => {
    const a = await organizationWith('pending-a')
    const b = await organizationWith('pending-b')
    const c = await organizationWith('pending-c')
    const fromA = invitation(a.id, 'ivy@example.com', { createdAt: at(1) })
    const fromB = invitation(b.id, 'ivy@example.com', { createdAt: at(2), invitedBy: 'ghost' })
    const expired = invitation(c.id, 'ivy@example.com', { createdAt: at(3), expiresAt: at(10) })
    for (const i of [fromA, fromB, expired]) await storage.invitations.insert(i, at(3))
    await storage.invitations.insert(invitation(a.id, 'other@example.com'), at(3))
    const listed = await storage.invitations.listPendingForEmail(' IVY@example.com', at(20), page())
    // Each with its inviter; one the host's table lacks reads with null fields.
    const byAnn = { ...fromA, inviter: ANN }
    const byGhost = { ...fromB, inviter: { id: 'ghost', email: null, username: null, name: null, imageUrl: null } }
    expect(listed.data).toEqual([byGhost, byAnn])
    const one = await storage.invitations.listPendingForEmail('ivy@example.com', at(20), page(1))
    expect(one.data).toEqual([byGhost])
    const two = await storage.invitations.listPendingForEmail('ivy@example.com', at(20), page(1, one.nextCursor!))
    expect(two.data).toEqual([byAnn])
    expect((await storage.invitations.list(b.id, {}, at(20), page())).data).toEqual([byGhost])
    await storage.invitations.transition(b.id, fromB.id, { to: 'accepted', respondedBy: 'ivy', now: at(21) })
    expect((await storage.invitations.listPendingForEmail('ivy@example.com', at(21), page())).data).toEqual([byAnn])
  })

  it('revokePendingWithRole revokes the pending invitations granting one role, expired ones too, in one organization', async () => {
    const org = await organizationWith('invite-role')
    const other = await organizationWith('invite-role-other')
    const live = invitation(org.id, 'r1@example.com', { role: 'billing' })
    const lapsed = invitation(org.id, 'r2@example.com', { role: 'billing', expiresAt: at(10) })
    const settled = invitation(org.id, 'r3@example.com', { role: 'billing' })
    const otherRole = invitation(org.id, 'r4@example.com', { role: 'member' })
    const elsewhere = invitation(other.id, 'r1@example.com', { role: 'billing' })
    for (const i of [live, lapsed, settled, otherRole, elsewhere]) {
      expect(await storage.invitations.insert(i, T0)).toBe('inserted')
    }
    await storage.invitations.transition(org.id, settled.id, { to: 'declined', respondedBy: 'x', now: at(5) })
    expect(await storage.invitations.revokePendingWithRole(org.id, 'billing', at(20))).toBe(2)
    expect(await storage.invitations.revokePendingWithRole(org.id, 'billing', at(21))).toBe(0)
    const status = async (organizationId: string, id: string) =>
      (await storage.invitations.find(organizationId, id))?.status
    expect(await status(org.id, live.id)).toBe('revoked')
    expect(await storage.invitations.find(org.id, lapsed.id)).toMatchObject({ status: 'revoked', updatedAt: at(20) })
    expect(await status(org.id, settled.id)).toBe('declined')
    expect(await status(org.id, otherRole.id)).toBe('pending')
    expect(await status(other.id, elsewhere.id)).toBe('pending')
    // Revoked as a transition leaves it: off the addressee's pending list, still found by its token.
    const pending = await storage.invitations.listPendingForEmail('r1@example.com', at(1), page())
    expect(pending.data.map((i) => i.id)).toEqual([elsewhere.id])
    expect((await storage.invitations.findByTokenHash(live.tokenHash))?.status).toBe('revoked')
    // The email may be invited again.
    expect(await storage.invitations.insert(invitation(org.id, 'r1@example.com'), at(22))).toBe('inserted')
  })
}
