/**
 * Round-trip budgets on PostgreSQL: how many times each common operation waits for the
 * server, counted in the driver (every `query` a pooled node-postgres client runs, BEGIN and
 * COMMIT included; see `countPgRoundTrips`). Over a network each one costs the network's
 * round-trip time, whatever the statement does. The target is 4 for a write (BEGIN, the
 * statement that authorizes and locks, one statement that writes, COMMIT) and 2 for a read
 * (1 where the organization is addressed by id); each budget's comment names what costs the
 * trips above it. docs/storage.md lists the budgets; the statement budgets, on every
 * dialect, are in statement-budgets.test.ts.
 */
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { authorizeRequest } from '@orgkit/core/http'
import { type Kysely, type LogEvent, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage, type TestUser, testDialects } from '../../../test/support/databases'

/** The budgets, in round trips on PostgreSQL, after warm-up (compiled roles cached). */
const roundTrips = {
  /** Target 1: the organization with the caller's membership, in one statement. */
  canById: 1,
  /**
   * Target 1 by id, 2 by slug; by slug 1 too (was 2): on one server the slug's lookup row is
   * joined to the organization (`organizations.findWithMember`). Distributed, it is read
   * first (a slug and an organization are on different shards on Citus).
   */
  canBySlug: 1,
  /**
   * Target 4: 4 by slug (was 5), as by id: the slug's lookup row is joined into the lock
   * with the member the change is about (`organizations.lockWithTargetBySlug`).
   */
  changeRoleBySlug: 4,
  /**
   * Target 4: 2 by slug (was 3), as by id. The read the add is decided on finds the
   * organization through its slug's lookup row, joined in; the checked write follows.
   */
  addMemberBySlug: 2,
  /**
   * Target 1: the permission map, the organization with the caller's membership and their
   * team memberships in one statement (`organizations.findWithMemberships`).
   */
  permissionsById: 1,
  /**
   * Target 1: the organization with the caller's membership and, for a member, the page,
   * in one statement (`members.listWithMember`); the role is checked on what it read, and
   * the page dropped if the check refuses.
   */
  memberPageById: 1,
  /** Target 2: by slug, the slug's lookup first. */
  memberPageBySlug: 2,
  /** Target 1: one member with their user, read as the page is (`members.findWithCaller`). */
  memberById: 1,
  /**
   * Target 1: a page of the organization's teams, invitations, API keys, audit trail,
   * domains, join requests or invitation links read as a member page is, with the
   * organization and the caller's membership (`organizations.findWithMemberAndPage`).
   */
  organizationPageById: 1,
  /** Target 2: by slug, the slug's lookup first. */
  organizationPageBySlug: 2,
  /**
   * Target 1: a team by id or slug, with the organization, the caller's membership and the
   * caller's membership of the team (`organizations.findWithMemberAndTeam`).
   */
  teamById: 1,
  /**
   * Target 1: the team's members page (or one of them) with the team, keyed in the statement
   * by the team it found, whether named by id or slug (`findWithMemberAndTeam` with a read).
   */
  teamMembersById: 1,
  /**
   * Target 2: a page of the user's own index (`user_memberships`, sharded by user), then
   * those organizations with the role (sharded by organization): two shards, two trips.
   */
  myOrganizations: 2,
  /**
   * Target 2: the key's prefix lookup (sharded by prefix), the key (by organization), the
   * organization with the creator's membership. Three shard keys; the authorization takes
   * the organization the authentication read.
   */
  apiKeyRequest: 3,
  /**
   * Target 4, beaten: one statement of data-modifying CTEs (the slug's claim, then the
   * creator's count, then the organization, the owner's membership and `user_memberships`
   * entry and the audit events, each written only if the slug was free), committing on its
   * own: nothing can refuse it after the claim, and no `before` hook runs, so no BEGIN and
   * COMMIT.
   */
  createOrganization: 1,
  /**
   * Under a per-user limit: BEGIN, the statement (its count now an upsert conditional on the
   * limit), COMMIT. A refusal at the limit comes after the slug's claim, which must then be
   * taken back (below): the transaction holds the two together.
   */
  createOrganizationUnderLimit: 3,
  /**
   * Refused at the per-user limit: BEGIN, the statement (whose slug claim wrote its row but
   * whose count did not), the slug's claim deleted (the storage writes nothing when it
   * refuses), ROLLBACK.
   */
  createOrganizationAtLimit: 4,
  /**
   * Target 4, beaten: the organization with the caller's membership and the added user (the
   * host's table: no member without a user), read without a lock, on which the add is
   * decided; then one statement committing on its own that locks the organization and the
   * caller's membership, checks them as decided (roles' version, caller's role, room under
   * the limit) and writes the membership, its `user_memberships` entry, the kept member
   * count and the audit event (`members.insertIfUnchanged`). Had they changed: the add
   * under the lock after it (BEGIN, the lock, the write, COMMIT).
   */
  addMember: 2,
  /**
   * Target 4, met: BEGIN, the lock with the caller's membership and the member's with their
   * user (both locked after the organization, so read as committed once its lock is
   * granted: who may grant what, the rules on owners), one statement writing the update and
   * its audit event, COMMIT.
   */
  changeRole: 4,
  /**
   * Target 4: 5. The member comes with the lock, as for a role change. Beyond it: the
   * member's API keys revoked (the event counts them, so they go first), and, when an owner
   * goes, one more to count the owners (the last owner stays; not here). The membership, the
   * kept count, the `user_memberships` entry, the team memberships and their teams' counts
   * and the audit event are one statement.
   */
  removeMember: 5,
  /**
   * Target 4: 5. The new owner comes with the lock, as for a role change. Beyond it: two
   * role changes (the new owner's, then the caller's, which carries the audit event).
   */
  transferOwnership: 5,
  /**
   * Target 4: 4 (was 6), by slug. The slug's lookup row is joined into the lock
   * (`organizations.lockWithMemberBySlug`), and the addressee's membership and the
   * inviter's user are read in the statement that writes the invitation
   * (`invitations.insertUnlessMember`: no invitation to a member; the answer's `invitedBy`),
   * with its id and token lookup rows, the addressee's `email_invitations` entry and the
   * audit event.
   */
  invite: 4,
  /**
   * Target 2: an invitation's preview. The token's lookup row (its own shard), then the
   * organization with the invitation and its inviter's user (`organizations.findWithInvitation`).
   */
  preview: 2,
  /**
   * Target 4: 4 (was 5). The lock finds the invitation through the token's lookup row,
   * joined in (`lockInvitationForAcceptance`), and reads it locked, so its status is known
   * before the write: the invitation's conditional update, the addressee's `email_invitations`
   * entry, the membership, its `user_memberships` entry, the kept count and the audit events
   * are one statement.
   */
  accept: 4,
}

/**
 * Distributed (Citus), where a statement stays on one shard: the writes on the organization's
 * shard fold as on one server, and each row placed by another key costs a statement.
 */
const distributedRoundTrips = {
  /**
   * 6: the slug's claim (its own shard) and the creator's count (the creator's shard) before
   * the organization's shard, the owner's `user_memberships` entry (the owner's shard) after.
   */
  createOrganization: 6,
  /**
   * 5: the read, then BEGIN, the checked write on the organization's shard, the
   * `user_memberships` entry (the added user's shard), COMMIT.
   */
  addMember: 5,
  /** 2: the slug's lookup row (its own shard), then the organization with the caller's membership. */
  canBySlug: 2,
  /** 4: as on one server (every row it reads and writes is on the organization's shard). */
  changeRole: 4,
  /** 6: the `user_memberships` entry (the user's shard) apart. */
  removeMember: 6,
  /** 5: as on one server (the memberships and the event are on the organization's shard). */
  transferOwnership: 5,
  /**
   * 9, by slug: the addressee read apart (the host's users with the members), then the
   * invitation's id and token lookups and the addressee's `email_invitations` entry, each on
   * its shard.
   */
  invite: 9,
  /**
   * 7: the token's lookup (its own shard) in the transaction, before the lock; the
   * `email_invitations` delete (the addressee's shard) and the `user_memberships` entry apart.
   */
  accept: 7,
}

/**
 * A `before` hook registered for the action: the hook must see the change, so the event is
 * written after it, in a statement of its own (one more than without the hook).
 */
const withHookRoundTrips = {
  /** The add under the lock (the hook runs in its transaction): BEGIN, the lock, the write, the event, COMMIT. */
  addMember: 5,
  /**
   * BEGIN, the statement (without its events), the events, COMMIT: the hook runs in the
   * transaction, between the write and its commit.
   */
  createOrganization: 4,
}

const onPostgres = testDialects().includes('postgres')

/**
 * Counts round trips in the driver and statements in Kysely's log, only while `expectTrips`
 * runs its operation.
 */
function tripCounter({ prepared = false } = {}) {
  const trips: string[] = []
  const named: string[] = []
  const logged: string[] = []
  let counting = false
  const onRoundTrip = (sql: string, name: string | undefined) => {
    if (!counting) return
    trips.push(sql)
    if (name !== undefined) named.push(name)
  }
  const log = (event: LogEvent) => {
    if (counting) logged.push(event.query.sql)
  }
  /**
   * Runs `fn` once to warm the caches (unless `warm` is false), then again counting its round
   * trips, and checks them against `budget`. The driver's count must equal the statements
   * Kysely logged: nothing is sent behind its back, and every statement is one trip. With
   * `prepared`, some of them went as named statements (`preparedStatements`), in the same trips,
   * unless every statement is built per call (`built`: only compiled ones are named).
   */
  async function expectTrips(
    budget: number,
    fn: () => Promise<unknown>,
    { warm = true, what = '', built = false } = {},
  ): Promise<void> {
    if (warm) await fn()
    trips.length = 0
    named.length = 0
    logged.length = 0
    counting = true
    try {
      await fn()
    } finally {
      counting = false
    }
    expect(trips.length, trips.join('\n')).toBeGreaterThan(0)
    expect(trips).toEqual(logged)
    expect(trips.length, `${what}\n${trips.join('\n')}`).toBe(budget)
    if (prepared && !built) expect(named.length, trips.join('\n')).toBeGreaterThan(0)
    else expect(named).toEqual([])
  }
  return { onRoundTrip, log, expectTrips }
}

// The same budgets with orgkit's statements prepared: a named statement's first run sends its
// Parse with the rest, so naming adds no trip.
describe.runIf(onPostgres).each([
  { prepared: false, variant: '' },
  { prepared: true, variant: ", orgkit's statements prepared" },
])('round-trip budgets on postgres$variant', ({ prepared }) => {
  let env: TestStorage
  let orgkit: Orgkit
  let owner: Actor
  let ownerUser: TestUser
  let orgId: string
  const { onRoundTrip, log, expectTrips } = tripCounter({ prepared })

  beforeAll(async () => {
    env = await createTestStorage('postgres', { log, onRoundTrip, preparedStatements: prepared })
    orgkit = createOrgkit({ storage: env.storage, invitations: { requireVerifiedEmail: false } })
    ownerUser = await env.addUser({ name: 'Olive' })
    owner = { type: 'user', userId: ownerUser.id, email: ownerUser.email }
    orgId = (await orgkit.as(owner).organizations.create({ name: 'Trips', slug: 'trips' })).id
    for (let i = 0; i < 30; i++) {
      const user = await env.addUser()
      await orgkit.as(owner).members.add('trips', { userId: user.id, role: 'member' })
    }
  })
  afterAll(() => env?.destroy())

  it('checks a permission by id and by slug', async () => {
    await expectTrips(roundTrips.canById, () => orgkit.as(owner).can(orgId, 'members.read'))
    await expectTrips(roundTrips.canBySlug, () => orgkit.as(owner).can('trips', 'members.read'))
    // A slug no organization has: found to be none in the same one statement.
    await expectTrips(roundTrips.canBySlug, async () => {
      expect(await orgkit.as(owner).can('no-such-slug', 'members.read')).toBe(false)
    })
    await expectTrips(roundTrips.permissionsById, () => orgkit.as(owner).organizations.permissions(orgId))
    await expectTrips(roundTrips.permissionsById + 1, () => orgkit.as(owner).organizations.permissions('trips'))
  })

  it('reads a member page, and a member, with the authorization', async () => {
    const first = await orgkit.as(owner).members.list('trips', { limit: 10 })
    const cursor = first.nextCursor ?? undefined
    expect(cursor).toBeDefined()
    await expectTrips(roundTrips.memberPageById, () => orgkit.as(owner).members.list(orgId, { limit: 10, cursor }))
    await expectTrips(roundTrips.memberPageBySlug, () => orgkit.as(owner).members.list('trips', { limit: 10, cursor }))
    await expectTrips(roundTrips.memberById, () => orgkit.as(owner).members.get(orgId, ownerUser.id))
  })

  it("reads a page of each of the organization's lists with the authorization", async () => {
    const api = orgkit.as(owner)
    await api.teams.create('trips', { name: 'Crew' })
    await api.invitations.create('trips', { email: 'guest@example.com', role: 'member' })
    await api.apiKeys.create('trips', { name: 'ci', role: 'member' })
    const lists: [string, (ref: string) => Promise<{ data: unknown[] }>][] = [
      ['teams', (ref) => api.teams.list(ref)],
      ['invitations', (ref) => api.invitations.list(ref, { status: 'pending' })],
      ['API keys', (ref) => api.apiKeys.list(ref)],
      ['audit trail', (ref) => api.audit.list(ref, { limit: 5 })],
      ['domains', (ref) => api.domains.list(ref)],
      ['join requests', (ref) => api.joinRequests.list(ref)],
      ['invitation links', (ref) => api.invitationLinks.list(ref)],
    ]
    for (const [name, list] of lists) {
      await expectTrips(roundTrips.organizationPageById, () => list(orgId), { what: name, built: true })
      await expectTrips(roundTrips.organizationPageBySlug, () => list('trips'), { what: name })
    }
    // Each page was read, not only authorized: those with rows return them.
    for (const [name, list] of lists.slice(0, 4)) expect((await list(orgId)).data.length, name).toBeGreaterThan(0)
  })

  it('reads a team, its members and one of them, with the authorization', async () => {
    const api = orgkit.as(owner)
    const team = await api.teams.create(orgId, { name: 'Riders', slug: 'riders' })
    await api.teams.members.add(orgId, 'riders', { userId: ownerUser.id, role: 'lead' })
    for (const ref of [team.id, 'riders']) {
      await expectTrips(roundTrips.teamById, () => api.teams.get(orgId, ref), { what: ref })
      const built = { what: ref, built: true }
      await expectTrips(roundTrips.teamMembersById, () => api.teams.members.list(orgId, ref), built)
      await expectTrips(roundTrips.teamMembersById, () => api.teams.members.get(orgId, ref, ownerUser.id), built)
      await expectTrips(roundTrips.teamById + 1, () => api.teams.get('trips', ref), { what: ref })
    }
    expect((await api.teams.members.list(orgId, 'riders')).data.map((m) => m.userId)).toEqual([ownerUser.id])
  })

  it("lists a user's organizations", async () => {
    await expectTrips(roundTrips.myOrganizations, () => orgkit.as(owner).organizations.list({ limit: 10 }))
  })

  it('authorizes a request with an API key', async () => {
    const key = await orgkit.as(owner).apiKeys.create('trips', { name: 'ci', role: 'member' })
    await expectTrips(roundTrips.apiKeyRequest, () =>
      authorizeRequest(orgkit, 'members.read', {
        authorization: `Bearer ${key.secret}`,
        resolveActor: undefined,
        organization: orgId,
      }),
    )
  })

  it('creates an organization', async () => {
    let n = 0
    await expectTrips(roundTrips.createOrganization, () =>
      orgkit.as(owner).organizations.create({ name: `Trips ${++n}` }),
    )
  })

  it('creates an organization under a per-user limit, and is refused at it', async () => {
    const limited = createOrgkit({ storage: env.storage, limits: { organizationsPerUser: 2 } })
    const creator = await env.addUser()
    const as = limited.as({ type: 'user', userId: creator.id, email: creator.email })
    let n = 0
    await expectTrips(roundTrips.createOrganizationUnderLimit, () =>
      as.organizations.create({ name: `Limited ${++n}` }),
    )
    await expectTrips(
      roundTrips.createOrganizationAtLimit,
      () =>
        expect(as.organizations.create({ name: 'Over', slug: 'over' })).rejects.toMatchObject({
          code: 'limit_exceeded',
        }),
      { warm: false },
    )
    // Nothing of the refused organization stays: its slug is free.
    expect((await orgkit.as(owner).organizations.create({ name: 'Over', slug: 'over' })).slug).toBe('over')
  })

  it('adds a member, changes their role and removes them', async () => {
    const user = await env.addUser()
    await expectTrips(
      roundTrips.addMember,
      () => orgkit.as(owner).members.add(orgId, { userId: user.id, role: 'member' }),
      { warm: false },
    )
    await expectTrips(roundTrips.changeRole, () => orgkit.as(owner).members.update(orgId, user.id, { role: 'admin' }), {
      warm: false,
    })
    expect((await orgkit.as(owner).members.get(orgId, user.id)).role).toBe('admin')
    await expectTrips(roundTrips.removeMember, () => orgkit.as(owner).members.remove(orgId, user.id), { warm: false })
    await expect(orgkit.as(owner).members.get(orgId, user.id)).rejects.toMatchObject({ code: 'not_found' })
    // By slug, as many: the decided read finds the organization through the slug.
    const bySlug = await env.addUser()
    await expectTrips(
      roundTrips.addMemberBySlug,
      () => orgkit.as(owner).members.add('trips', { userId: bySlug.id, role: 'member' }),
      { warm: false },
    )
    expect((await orgkit.as(owner).members.get(orgId, bySlug.id)).role).toBe('member')
    await expectTrips(
      roundTrips.changeRoleBySlug,
      () => orgkit.as(owner).members.update('trips', bySlug.id, { role: 'admin' }),
      { warm: false },
    )
    expect((await orgkit.as(owner).members.get(orgId, bySlug.id)).role).toBe('admin')
  })

  it('transfers ownership, and back', async () => {
    const heir = await env.addUser()
    await orgkit.as(owner).members.add(orgId, { userId: heir.id, role: 'member' })
    await expectTrips(
      roundTrips.transferOwnership,
      () => orgkit.as(owner).organizations.transferOwnership(orgId, { userId: heir.id }),
      { warm: false },
    )
    const heirActor = { type: 'user' as const, userId: heir.id, email: heir.email }
    await expectTrips(
      roundTrips.transferOwnership,
      () => orgkit.as(heirActor).organizations.transferOwnership(orgId, { userId: ownerUser.id }),
      { warm: false },
    )
    expect((await orgkit.as(owner).members.get(orgId, ownerUser.id)).role).toBe('owner')
    expect((await orgkit.as(owner).members.get(orgId, heir.id)).role).toBe('admin')
  })

  it('creates an invitation by slug and accepts it', async () => {
    const invitee = await env.addUser()
    let token = ''
    await expectTrips(
      roundTrips.invite,
      async () => {
        token = (await orgkit.as(owner).invitations.create('trips', { email: invitee.email, role: 'member' })).token
      },
      { warm: false },
    )
    const addressee = { type: 'user' as const, userId: invitee.id, email: invitee.email }
    await expectTrips(roundTrips.preview, () => orgkit.as(addressee).invitations.preview({ token }))
    expect(await orgkit.as(addressee).invitations.preview({ token })).toMatchObject({
      organization: { id: orgId },
      email: invitee.email,
      invitedBy: { userId: ownerUser.id, name: 'Olive' },
    })
    await expectTrips(roundTrips.accept, () => orgkit.as(addressee).invitations.accept({ token }), { warm: false })
    expect((await orgkit.as(owner).members.get(orgId, invitee.id)).role).toBe('member')
    // Every row of the one statement written: the invitation accepted and out of the
    // addressee's index, the membership in the user's, and both events.
    const [invitation] = (await orgkit.as(owner).invitations.list('trips', { limit: 1 })).data
    expect(invitation).toMatchObject({ email: invitee.email, status: 'accepted' })
    expect((await orgkit.as(addressee).invitations.mine()).data).toEqual([])
    expect((await orgkit.as(addressee).organizations.list()).data.map((o) => o.id)).toEqual([orgId])
    const trail = await orgkit.as(owner).audit.list(orgId, { limit: 2 })
    expect(trail.data.map((e) => e.action).sort()).toEqual(['invitation.accepted', 'member.added'])
  })
})

describe.runIf(onPostgres)('round-trip budgets on postgres, distributed', () => {
  let env: TestStorage
  let orgkit: Orgkit
  let owner: Actor
  let orgId: string
  const { onRoundTrip, log, expectTrips } = tripCounter()

  beforeAll(async () => {
    // Plain PostgreSQL told its tables are distributed: the statements Citus would get.
    env = await createTestStorage('postgres', { log, onRoundTrip, distributed: true })
    orgkit = createOrgkit({ storage: env.storage, invitations: { requireVerifiedEmail: false } })
    const ownerUser = await env.addUser({ name: 'Dora' })
    owner = { type: 'user', userId: ownerUser.id, email: ownerUser.email }
    orgId = (await orgkit.as(owner).organizations.create({ name: 'Shards', slug: 'shards' })).id
    await orgkit.as(owner).members.add(orgId, { userId: (await env.addUser()).id })
  })
  afterAll(() => env?.destroy())

  it('creates an organization, adds a member, changes their role and removes them', async () => {
    let n = 0
    await expectTrips(distributedRoundTrips.createOrganization, () =>
      orgkit.as(owner).organizations.create({ name: `Shards ${++n}` }),
    )
    await expectTrips(distributedRoundTrips.canBySlug, () => orgkit.as(owner).can('shards', 'members.read'))
    const user = await env.addUser()
    await expectTrips(
      distributedRoundTrips.addMember,
      () => orgkit.as(owner).members.add(orgId, { userId: user.id, role: 'member' }),
      { warm: false },
    )
    await expectTrips(
      distributedRoundTrips.changeRole,
      () => orgkit.as(owner).members.update(orgId, user.id, { role: 'admin' }),
      { warm: false },
    )
    // Every row written where it is read: the user's organizations come from their index.
    const member = { type: 'user' as const, userId: user.id, email: user.email }
    const mine = await orgkit.as(member).organizations.list()
    expect(mine.data.map((o) => [o.id, o.role])).toEqual([[orgId, 'admin']])
    await expectTrips(distributedRoundTrips.removeMember, () => orgkit.as(owner).members.remove(orgId, user.id), {
      warm: false,
    })
    expect((await orgkit.as(member).organizations.list()).data).toEqual([])
    const trail = await orgkit.as(owner).audit.list(orgId, { limit: 3 })
    expect(trail.data.map((e) => e.action)).toEqual(['member.removed', 'member.updated', 'member.added'])
  })

  it('creates an invitation by slug and accepts it', async () => {
    const invitee = await env.addUser()
    let token = ''
    await expectTrips(
      distributedRoundTrips.invite,
      async () => {
        token = (await orgkit.as(owner).invitations.create('shards', { email: invitee.email, role: 'member' })).token
      },
      { warm: false },
    )
    // Every lookup written: the addressee finds it by email, the token resolves.
    const addressee = { type: 'user' as const, userId: invitee.id, email: invitee.email }
    const pending = await orgkit.as(addressee).invitations.mine()
    expect(pending.data.map((i) => i.organizationId)).toEqual([orgId])
    await expectTrips(distributedRoundTrips.accept, () => orgkit.as(addressee).invitations.accept({ token }), {
      warm: false,
    })
    const mine = await orgkit.as(addressee).organizations.list()
    expect(mine.data.map((o) => o.id)).toEqual([orgId])
    expect((await orgkit.as(addressee).invitations.mine()).data).toEqual([])
  })

  it('transfers ownership', async () => {
    const heir = await env.addUser()
    await orgkit.as(owner).members.add(orgId, { userId: heir.id })
    await expectTrips(
      distributedRoundTrips.transferOwnership,
      () => orgkit.as(owner).organizations.transferOwnership(orgId, { userId: heir.id }),
      { warm: false },
    )
    const mine = await orgkit.as({ type: 'user', userId: heir.id, email: heir.email }).organizations.list()
    expect(mine.data.map((o) => [o.id, o.role])).toEqual([[orgId, 'owner']])
  })
})

describe.runIf(onPostgres)('round-trip budgets on postgres, with a before hook', () => {
  let env: TestStorage
  let orgkit: Orgkit
  let owner: Actor
  let orgId: string
  const { onRoundTrip, log, expectTrips } = tripCounter()

  beforeAll(async () => {
    env = await createTestStorage('postgres', { log, onRoundTrip })
    orgkit = createOrgkit({ storage: env.storage })
    const ownerUser = await env.addUser({ name: 'Hana' })
    owner = { type: 'user', userId: ownerUser.id, email: ownerUser.email }
    orgId = (await orgkit.as(owner).organizations.create({ name: 'Hooked', slug: 'hooked' })).id
    // Warm: the storage reads the users table's catalog once, on its first statement that meets it.
    await orgkit.as(owner).members.add(orgId, { userId: (await env.addUser()).id })
  })
  afterAll(() => env?.destroy())

  it('writes the event after the hook', async () => {
    let calls = 0
    const remove = orgkit.before('member.added', () => {
      calls++
    })
    const user = await env.addUser()
    try {
      await expectTrips(
        withHookRoundTrips.addMember,
        () => orgkit.as(owner).members.add(orgId, { userId: user.id, role: 'member' }),
        { warm: false },
      )
    } finally {
      remove()
    }
    expect(calls).toBe(1)
    const trail = await orgkit.as(owner).audit.list(orgId, { limit: 1 })
    expect(trail.data.map((e) => [e.action, e.target.id])).toEqual([['member.added', user.id]])
  })

  it('creates an organization in a transaction, for the hook to run in', async () => {
    const seen: string[] = []
    const remove = orgkit.before('organization.created', async (event, { transaction }) => {
      const db = transaction as Kysely<unknown>
      const found = await sql`select 1 from orgkit_organizations where id = ${event.organizationId}`.execute(db)
      seen.push(`organization ${found.rows.length}`)
    })
    let n = 0
    try {
      // The hook's own statement is one more, in the transaction.
      await expectTrips(withHookRoundTrips.createOrganization + 1, () =>
        orgkit.as(owner).organizations.create({ name: `Hooked ${++n}` }),
      )
    } finally {
      remove()
    }
    // Run twice (warm, then counted), each time inside its transaction.
    expect(seen).toEqual(['organization 1', 'organization 1'])
  })

  it('lets the hook see the membership, and not yet its event', async () => {
    const seen: string[] = []
    const remove = orgkit.before('member.added', async (event, { transaction }) => {
      const db = transaction as Kysely<unknown>
      const ids = sql`organization_id = ${event.organizationId} and ${sql.ref('user_id')} = ${event.target.id}`
      const member = await sql`select 1 from orgkit_members where ${ids}`.execute(db)
      const logged =
        await sql`select 1 from orgkit_audit_events where organization_id = ${event.organizationId} and target_id = ${event.target.id}`.execute(
          db,
        )
      seen.push(`member ${member.rows.length}, event ${logged.rows.length}`)
    })
    const user = await env.addUser()
    try {
      await orgkit.as(owner).members.add(orgId, { userId: user.id, role: 'member' })
    } finally {
      remove()
    }
    expect(seen).toEqual(['member 1, event 0'])
  })
})
