/**
 * The storage conformance suite: every repository of the storage port held to the
 * guarantee its doc comment states. It talks to the repositories directly, below the
 * core's services, so an implementation that breaks a guarantee fails here even where a
 * service would happen to hide it.
 *
 * Any implementation of `Storage` runs it with one call in a test file:
 *
 * ```ts
 * runStorageConformance('my-storage', async () => ({ storage, addUser, destroy }))
 * ```
 *
 * It imports nothing but the core and vitest, so it says nothing about how rows are kept.
 * Concurrency checks start their calls together (`Promise.all`): an implementation that
 * only passes them when calls happen to run one after the other fails on a real server.
 */
import {
  type ApiKeyRecord,
  type AuditEventRecord,
  type CustomRoleRecord,
  createId,
  hashSecret,
  type InvitationRecord,
  type OrganizationRecord,
  type Page,
  type PageInput,
  pageInput,
  type Storage,
  type TeamRecord,
} from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runEnrollmentConformance } from './enrollment-conformance'

/** A host user as the suite adds them; the storage's user directory must then find it. */
export interface ConformanceUser {
  id: string
  email: string
  username: string | null
  name: string | null
}

/** What the suite needs from an implementation: a fresh, empty storage and its host users. */
export interface ConformanceEnv {
  storage: Storage
  /** Adds a user to the host's users, as the host application would. */
  addUser(user: ConformanceUser): Promise<unknown>
  /** Releases whatever `make` opened. */
  destroy(): Promise<void>
}

const T0 = new Date('2026-01-01T00:00:00.000Z')
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

export function organization(slug: string, overrides: Partial<OrganizationRecord> = {}): OrganizationRecord {
  return {
    id: createId('organization'),
    slug,
    name: slug,
    type: 'team',
    description: null,
    logoUrl: null,
    websiteUrl: null,
    industry: null,
    visibility: 'private',
    memberCount: 0,
    teamCount: 0,
    contactEmail: null,
    contactPhone: null,
    timezone: null,
    metadata: { plan: 'pro' },
    privateMetadata: { secret: 1 },
    createdBy: 'ann',
    rolesVersion: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

export function invitation(
  organizationId: string,
  email: string,
  overrides: Partial<InvitationRecord> = {},
): InvitationRecord {
  return {
    id: createId('invitation'),
    organizationId,
    email,
    role: 'member',
    teamIds: [],
    status: 'pending',
    tokenHash: hashSecret(createId('invitation')),
    expiresAt: at(3600),
    invitedBy: 'ann',
    createdAt: T0,
    updatedAt: T0,
    respondedBy: null,
    ...overrides,
  }
}

export function apiKey(organizationId: string, prefix: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: createId('apiKey'),
    organizationId,
    name: 'key',
    prefix,
    secretHash: hashSecret(prefix),
    role: 'member',
    permissions: [],
    createdBy: 'ann',
    createdAt: T0,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  }
}

export function event(organizationId: string, action: string, createdAt: Date): AuditEventRecord {
  return {
    id: createId('event'),
    organizationId,
    action,
    actor: { type: 'user', id: 'ann' },
    target: { type: 'organization', id: organizationId },
    changes: { n: 1 },
    createdAt,
  }
}

export function team(organizationId: string, slug: string, overrides: Partial<TeamRecord> = {}): TeamRecord {
  return {
    id: createId('team'),
    organizationId,
    slug,
    name: slug,
    description: null,
    memberCount: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

export function customRole(
  organizationId: string,
  key: string,
  overrides: Partial<CustomRoleRecord> = {},
): CustomRoleRecord {
  return {
    id: createId('role'),
    organizationId,
    key,
    name: key,
    description: null,
    permissions: ['organization:read'],
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

/** Every row of a list, page after page, checking that each page keeps to its limit. */
async function everyPage<T>(list: (page: PageInput) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const rows: T[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const current = await list(pageInput({ limit, cursor }))
    expect(current.data.length).toBeLessThanOrEqual(limit)
    rows.push(...current.data)
    if (current.nextCursor === null) return rows
    cursor = current.nextCursor
  }
  throw new Error('the list never ended')
}

/** Registers the suite under `describe('storage conformance on <name>')`, on one storage from `make`. */
export function runStorageConformance(name: string, make: () => Promise<ConformanceEnv>): void {
  describe(`storage conformance on ${name}`, () => {
    let env: ConformanceEnv
    let storage: Storage
    const page = (limit = 20, cursor?: string) => pageInput({ limit, cursor })

    beforeAll(async () => {
      env = await make()
      storage = env.storage
      await env.addUser({ id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee' })
      await env.addUser({ id: 'bob', email: 'bob@example.com', username: 'bob_1', name: 'Bob' })
      await env.addUser({ id: 'cat', email: 'cat@example.com', username: 'cat%', name: 'Cat' })
      await env.addUser({ id: 'dan', email: 'dan@example.com', username: 'dan', name: 'Dan' })
    })
    afterAll(() => env?.destroy())

    /** A fresh organization, stored, with `members` added in the order given (one second apart). */
    async function organizationWith(slug: string, members: Record<string, string> = {}) {
      const org = organization(slug)
      expect(await storage.organizations.insert(org)).toBe(true)
      let second = 0
      for (const [userId, role] of Object.entries(members)) {
        second += 1
        expect(await storage.members.insert({ organizationId: org.id, userId, role, joinedAt: at(second) })).toBe(true)
      }
      return org
    }

    describe('organizations', () => {
      it('a slug is claimed by exactly one of concurrent inserts, and the record round-trips', async () => {
        const contenders = Array.from({ length: 8 }, () => organization('contested'))
        const results = await Promise.all(contenders.map((o) => storage.organizations.insert(o)))
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = contenders[results.indexOf(true)]!
        expect(await storage.organizations.findBySlug('contested')).toEqual(winner)
        expect(await storage.organizations.findById(winner.id)).toEqual(winner)
        expect(await storage.organizations.findIdBySlug('contested')).toBe(winner.id)
        expect(await storage.organizations.findIdBySlug('uncontested')).toBeNull()
        for (const loser of contenders.filter((o) => o !== winner)) {
          expect(await storage.organizations.findById(loser.id)).toBeNull()
        }
      })

      it('a slug change frees the old slug, refuses a taken one, and writes nothing then', async () => {
        const a = organization('alpha')
        const b = organization('beta')
        expect(await storage.organizations.insert(a)).toBe(true)
        expect(await storage.organizations.insert(b)).toBe(true)
        expect(await storage.organizations.update(a.id, { slug: 'beta', name: 'Renamed' }, at(5))).toBe('slug_taken')
        expect(await storage.organizations.findById(a.id)).toEqual(a)
        expect((await storage.organizations.findBySlug('beta'))?.id).toBe(b.id)
        const renamed = await storage.organizations.update(a.id, { slug: 'alpha-2' }, at(5))
        expect(renamed).toMatchObject({ id: a.id, slug: 'alpha-2', name: 'alpha', updatedAt: at(5) })
        expect(await storage.organizations.findBySlug('alpha')).toBeNull()
        expect((await storage.organizations.findBySlug('alpha-2'))?.id).toBe(a.id)
        expect(await storage.organizations.insert(organization('alpha'))).toBe(true)
        expect(await storage.organizations.update('org_missing', { name: 'x' }, at(5))).toBeNull()
      })

      it('update applies only the fields given, null clearing a field, and keeps the counts', async () => {
        const org = await organizationWith('patched', { ann: 'owner' })
        const updated = await storage.organizations.update(
          org.id,
          { description: 'About', metadata: { plan: 'team' }, industry: null, visibility: 'public' },
          at(9),
        )
        expect(updated).toEqual({
          ...org,
          description: 'About',
          metadata: { plan: 'team' },
          visibility: 'public',
          memberCount: 1,
          updatedAt: at(9),
        })
        expect(await storage.organizations.findById(org.id)).toEqual(updated)
      })

      it('bumpRolesVersion counts up by one per call, concurrent calls included', async () => {
        const org = await organizationWith('versioned')
        await Promise.all(Array.from({ length: 4 }, () => storage.organizations.bumpRolesVersion(org.id, at(7))))
        expect(await storage.organizations.findById(org.id)).toMatchObject({ rolesVersion: 4, updatedAt: at(7) })
      })

      it('listAll pages every organization oldest first, by creation time then id', async () => {
        const late = [organization('late-b', { createdAt: at(500) }), organization('late-a', { createdAt: at(400) })]
        for (const o of late) await storage.organizations.insert(o)
        const all = await everyPage((p) => storage.organizations.listAll(p), 2)
        const keys = all.map((o) => [o.createdAt.getTime(), o.id] as const)
        const sorted = [...keys].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))
        expect(keys).toEqual(sorted)
        expect(new Set(all.map((o) => o.id)).size).toBe(all.length)
        const ids = all.map((o) => o.id)
        expect(ids.indexOf(late[1]!.id)).toBeLessThan(ids.indexOf(late[0]!.id))
      })

      it('listForUser gives the organizations in the order the user joined them, with the role', async () => {
        const first = await organizationWith('joined-first')
        const second = await organizationWith('joined-second')
        await storage.members.insert({ organizationId: second.id, userId: 'dan', role: 'owner', joinedAt: at(20) })
        await storage.members.insert({ organizationId: first.id, userId: 'dan', role: 'member', joinedAt: at(30) })
        const one = await storage.organizations.listForUser('dan', page(1))
        expect(one.data.map((o) => [o.slug, o.role])).toEqual([['joined-second', 'owner']])
        const two = await storage.organizations.listForUser('dan', page(1, one.nextCursor!))
        expect(two.data.map((o) => [o.slug, o.role])).toEqual([['joined-first', 'member']])
        expect(two.data[0]).toMatchObject({ id: first.id, memberCount: 1 })
        expect(two.hasMore).toBe(false)
        expect((await storage.organizations.listForUser('nobody', page())).data).toEqual([])
      })

      it('lock and claimCreatorSlot exist only on the repositories of a transaction', async () => {
        expect('lock' in storage.organizations).toBe(false)
        expect('claimCreatorSlot' in storage.organizations).toBe(false)
        const org = await organizationWith('lockable')
        const locked = await storage.transaction((tx) => tx.organizations.lock(org.id))
        expect(locked).toEqual(org)
        expect(await storage.transaction((tx) => tx.organizations.lock('org_missing'))).toBeNull()
      })

      it('lockWithMember: the locked organization with the membership of the user named, only in a transaction', async () => {
        expect('lockWithMember' in storage.organizations).toBe(false)
        const org = await organizationWith('lock-with-member', { erin: 'admin' })
        const [withErin, withFay, missing] = await storage.transaction(async (tx) => [
          await tx.organizations.lockWithMember(org.id, 'erin'),
          await tx.organizations.lockWithMember(org.id, 'fay'),
          await tx.organizations.lockWithMember('org_missing', 'erin'),
        ])
        expect(withErin?.organization).toEqual(await storage.organizations.findById(org.id))
        expect(withErin?.member).toEqual(await storage.members.find(org.id, 'erin'))
        expect(withErin?.member?.role).toBe('admin')
        expect(withFay).toEqual({ organization: withErin?.organization, member: null })
        expect(missing).toBeNull()
      })

      it("lockForAcceptance: the locked organization with an invitation, its inviter's membership and the user, only in a transaction", async () => {
        expect('lockForAcceptance' in storage.organizations).toBe(false)
        const org = await organizationWith('lock-for-acceptance', { erin: 'admin' })
        const other = await organizationWith('lock-for-acceptance-other')
        const sent = invitation(org.id, 'dan@example.com', { invitedBy: 'erin', teamIds: ['team_a', 'team_b'] })
        const orphaned = invitation(org.id, 'cat@example.com', { invitedBy: 'fay' })
        for (const each of [sent, orphaned]) expect(await storage.invitations.insert(each, T0)).toBe('inserted')
        const [forDan, forStranger, fromFormerMember, elsewhere, missing] = await storage.transaction(async (tx) => [
          await tx.organizations.lockForAcceptance(org.id, sent.id, 'dan'),
          await tx.organizations.lockForAcceptance(org.id, sent.id, 'nobody'),
          await tx.organizations.lockForAcceptance(org.id, orphaned.id, 'cat'),
          await tx.organizations.lockForAcceptance(other.id, sent.id, 'dan'),
          await tx.organizations.lockForAcceptance('org_missing', sent.id, 'dan'),
        ])
        expect(forDan).toEqual({
          organization: await storage.organizations.findById(org.id),
          invitation: await storage.invitations.find(org.id, sent.id),
          inviter: await storage.members.find(org.id, 'erin'),
          user: await storage.users.findById('dan'),
        })
        expect(forDan?.invitation.teamIds).toEqual(['team_a', 'team_b'])
        expect(forDan?.inviter?.role).toBe('admin')
        expect(forStranger).toEqual({ ...forDan, user: null })
        expect(fromFormerMember?.inviter).toBeNull()
        expect(fromFormerMember?.user?.id).toBe('cat')
        // Another organization's invitation is as missing as a nonexistent one.
        expect(elsewhere).toBeNull()
        expect(missing).toBeNull()
      })

      it('insert with an owner writes the organization with its first member, counted', async () => {
        const org = organization('founded', { memberCount: 0 })
        expect(await storage.organizations.insert(org, { userId: 'gus', role: 'owner' })).toBe(true)
        expect((await storage.organizations.findById(org.id))?.memberCount).toBe(1)
        expect(await storage.members.find(org.id, 'gus')).toEqual({
          organizationId: org.id,
          userId: 'gus',
          role: 'owner',
          joinedAt: org.createdAt,
        })
        const mine = await everyPage((p) => storage.organizations.listForUser('gus', p), 50)
        expect(mine.find((o) => o.id === org.id)?.role).toBe('owner')
        // A taken slug writes neither the organization nor the membership.
        const clash = organization('founded')
        expect(await storage.organizations.insert(clash, { userId: 'cat', role: 'owner' })).toBe(false)
        expect(await storage.organizations.findById(clash.id)).toBeNull()
        expect(await storage.members.find(clash.id, 'cat')).toBeNull()
      })

      it('claimCreatorSlot at a limit of 0 claims nothing', async () => {
        expect(await storage.transaction((tx) => tx.organizations.claimCreatorSlot('creator-zero', 0))).toBe(false)
        expect(await storage.transaction((tx) => tx.organizations.claimCreatorSlot('creator-zero', 1))).toBe(true)
        expect(await storage.transaction((tx) => tx.organizations.claimCreatorSlot('creator-zero', 1))).toBe(false)
      })

      it('lock() holds the organization row until the transaction ends', async () => {
        const org = await organizationWith('locked')
        const order: string[] = []
        let release!: () => void
        const held = new Promise<void>((resolve) => {
          release = resolve
        })
        let locked!: () => void
        const isLocked = new Promise<void>((resolve) => {
          locked = resolve
        })
        const first = storage.transaction(async (tx) => {
          await tx.organizations.lock(org.id)
          locked()
          await held
          order.push('first commits')
        })
        await isLocked
        const second = storage.transaction(async (tx) => {
          await tx.organizations.lock(org.id)
          order.push('second locked')
        })
        await new Promise((resolve) => setTimeout(resolve, 200))
        order.push('released')
        release()
        await Promise.all([first, second])
        expect(order).toEqual(['released', 'first commits', 'second locked'])
      })

      it('claimCreatorSlot: of concurrent claims at the limit exactly the ones that fit succeed', async () => {
        const claim = (userId: string, limit: number | null) =>
          storage.transaction((tx) => tx.organizations.claimCreatorSlot(userId, limit))
        const results = await Promise.all(Array.from({ length: 7 }, () => claim('creator-1', 3)))
        expect(results.filter(Boolean)).toHaveLength(3)
        expect(await claim('creator-1', 3)).toBe(false)
        expect(await claim('creator-1', 4)).toBe(true)
        // No limit: always counted, and counted (the limit of 5 is then already reached).
        expect(await claim('creator-1', null)).toBe(true)
        expect(await claim('creator-1', 5)).toBe(false)
        // Slots are per user.
        expect(await claim('creator-2', 1)).toBe(true)
        expect(await claim('creator-2', 1)).toBe(false)
        // A claim refused inside a transaction that then commits wrote nothing either.
        expect(await claim('creator-3', 0)).toBe(false)
        expect(await claim('creator-3', 1)).toBe(true)
      })

      it('a claim rolls back with its transaction', async () => {
        await expect(
          storage.transaction(async (tx) => {
            expect(await tx.organizations.claimCreatorSlot('creator-4', 1)).toBe(true)
            throw new Error('abort')
          }),
        ).rejects.toThrow('abort')
        expect(await storage.transaction((tx) => tx.organizations.claimCreatorSlot('creator-4', 1))).toBe(true)
      })

      it('deleting a team organization gives its creator the slot back; a personal one does not', async () => {
        const claim = () => storage.transaction((tx) => tx.organizations.claimCreatorSlot('creator-5', 2))
        expect(await claim()).toBe(true)
        expect(await claim()).toBe(true)
        expect(await claim()).toBe(false)
        const personal = organization('creator-5-personal', { type: 'personal', createdBy: 'creator-5' })
        await storage.organizations.insert(personal)
        expect(await storage.organizations.delete(personal.id)).toBe(true)
        expect(await claim()).toBe(false)
        const created = organization('creator-5-team', { createdBy: 'creator-5' })
        await storage.organizations.insert(created)
        expect(await storage.organizations.delete(created.id)).toBe(true)
        expect(await claim()).toBe(true)
        expect(await claim()).toBe(false)
      })
    })

    describe('members', () => {
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
        expect((await storage.members.list(org.id, { role: 'owner' }, page())).data.map((m) => m.userId)).toEqual([
          'ann',
        ])
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

    describe('teams', () => {
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
    })

    describe('team members', () => {
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
    })

    describe('custom roles', () => {
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
    })

    describe('invitations', () => {
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
        const pending = stored[0]!
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
        expect(
          await storage.invitations.rotateToken(org.id, sent.id, { ...change, tokenHash: hashSecret('x') }),
        ).toBeNull()
      })

      it('markExpired stores the expiry only of a pending invitation past it, in its organization', async () => {
        const org = await organizationWith('invite-expire')
        const due = invitation(org.id, 'hal@example.com', { expiresAt: at(10) })
        await storage.invitations.insert(due, T0)
        await storage.invitations.markExpired(org.id, due.id, at(5))
        expect((await storage.invitations.find(org.id, due.id))?.status).toBe('pending')
        await storage.invitations.markExpired('org_other', due.id, at(20))
        expect((await storage.invitations.find(org.id, due.id))?.status).toBe('pending')
        await storage.invitations.markExpired(org.id, due.id, at(20))
        expect(await storage.invitations.find(org.id, due.id)).toMatchObject({ status: 'expired', updatedAt: at(20) })
        await storage.invitations.markExpired(org.id, due.id, at(30))
        expect(await storage.invitations.find(org.id, due.id)).toMatchObject({ status: 'expired', updatedAt: at(20) })
        // Its email may be invited again.
        expect(await storage.invitations.insert(invitation(org.id, 'hal@example.com'), at(21))).toBe('inserted')
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

      it("listPendingForEmail finds an address's unexpired pending invitations across organizations", async () => {
        const a = await organizationWith('pending-a')
        const b = await organizationWith('pending-b')
        const c = await organizationWith('pending-c')
        const fromA = invitation(a.id, 'ivy@example.com', { createdAt: at(1) })
        const fromB = invitation(b.id, 'ivy@example.com', { createdAt: at(2) })
        const expired = invitation(c.id, 'ivy@example.com', { createdAt: at(3), expiresAt: at(10) })
        for (const i of [fromA, fromB, expired]) await storage.invitations.insert(i, at(3))
        await storage.invitations.insert(invitation(a.id, 'other@example.com'), at(3))
        const listed = await storage.invitations.listPendingForEmail(' IVY@example.com', at(20), page())
        expect(listed.data).toEqual([fromB, fromA])
        const one = await storage.invitations.listPendingForEmail('ivy@example.com', at(20), page(1))
        expect(one.data).toEqual([fromB])
        const two = await storage.invitations.listPendingForEmail('ivy@example.com', at(20), page(1, one.nextCursor!))
        expect(two.data).toEqual([fromA])
        await storage.invitations.transition(b.id, fromB.id, { to: 'accepted', respondedBy: 'ivy', now: at(21) })
        expect((await storage.invitations.listPendingForEmail('ivy@example.com', at(21), page())).data).toEqual([fromA])
      })
    })

    describe('API keys', () => {
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
    })

    it('audit events list newest first, filtered by action, per organization', async () => {
      const org = organization('audit-org')
      await storage.organizations.insert(org)
      const events = Array.from({ length: 5 }, (_, i) =>
        event(org.id, i % 2 ? 'member.added' : 'member.removed', at(i)),
      )
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

    it('deleting an organization removes everything it owns, lookup rows included', async () => {
      const org = await organizationWith('doomed', { ann: 'owner', bob: 'member' })
      const survivor = await organizationWith('survivor', { ann: 'owner' })
      const red = team(org.id, 'red')
      await storage.teams.insert(red)
      await storage.teamMembers.insert({
        organizationId: org.id,
        teamId: red.id,
        userId: 'bob',
        role: 'lead',
        joinedAt: T0,
      })
      await storage.roles.insert(customRole(org.id, 'billing'))
      const inv = invitation(org.id, 'zed@example.com')
      await storage.invitations.insert(inv, T0)
      const key = apiKey(org.id, 'doomedprefix')
      await storage.apiKeys.insert(key)
      await storage.audit.append([event(org.id, 'organization.created', T0)])
      const survivorTeam = team(survivor.id, 'red')
      await storage.teams.insert(survivorTeam)
      await storage.roles.insert(customRole(survivor.id, 'billing'))
      await storage.audit.append([event(survivor.id, 'organization.created', T0)])

      expect(await storage.organizations.delete(org.id)).toBe(true)
      expect(await storage.organizations.delete(org.id)).toBe(false)
      expect(await storage.organizations.findById(org.id)).toBeNull()
      expect(await storage.organizations.findBySlug('doomed')).toBeNull()
      expect(await storage.members.find(org.id, 'ann')).toBeNull()
      expect((await storage.members.list(org.id, {}, page())).data).toEqual([])
      expect(await storage.teams.find(org.id, red.id)).toBeNull()
      expect((await storage.teams.list(org.id, page())).data).toEqual([])
      expect(await storage.teamMembers.find(org.id, red.id, 'bob')).toBeNull()
      expect(await storage.teamMembers.listForUser(org.id, 'bob')).toEqual([])
      expect(await storage.roles.list(org.id)).toEqual([])
      expect(await storage.invitations.find(org.id, inv.id)).toBeNull()
      expect(await storage.invitations.findByTokenHash(inv.tokenHash)).toBeNull()
      expect(await storage.invitations.findById(inv.id)).toBeNull()
      expect((await storage.invitations.listPendingForEmail('zed@example.com', T0, page())).data).toEqual([])
      expect(await storage.apiKeys.find(org.id, key.id)).toBeNull()
      expect(await storage.apiKeys.findByPrefix('doomedprefix')).toBeNull()
      expect((await storage.audit.list(org.id, {}, page())).data).toEqual([])
      expect((await storage.organizations.listForUser('bob', page())).data.map((o) => o.id)).not.toContain(org.id)

      // Another organization keeps what it has.
      expect(await storage.organizations.findById(survivor.id)).toMatchObject({ memberCount: 1, teamCount: 1 })
      expect(await storage.teams.find(survivor.id, survivorTeam.id)).toEqual(survivorTeam)
      expect(await storage.roles.list(survivor.id)).toHaveLength(1)
      expect((await storage.audit.list(survivor.id, {}, page())).data).toHaveLength(1)

      // The slug and the key prefix are free again.
      const reborn = organization('doomed')
      expect(await storage.organizations.insert(reborn)).toBe(true)
      expect(await storage.apiKeys.insert(apiKey(reborn.id, 'doomedprefix'))).toBe(true)
      expect(await storage.organizations.delete('org_missing')).toBe(false)
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
      expect(await storage.organizations.insert(organization('rollback'))).toBe(true)
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

    runEnrollmentConformance(() => storage)
  })
}
