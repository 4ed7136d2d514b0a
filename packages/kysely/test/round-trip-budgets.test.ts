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
import type { LogEvent } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage, type TestUser, testDialects } from '../../../test/support/databases'

/** The budgets, in round trips on PostgreSQL, after warm-up (compiled roles cached). */
const roundTrips = {
  /** Target 1: the organization with the caller's membership, in one statement. */
  canById: 1,
  /**
   * Target 1 by id, 2 by slug: the slug's lookup row first, never joined to the
   * organization (a slug and an organization are on different shards on Citus).
   */
  canBySlug: 2,
  /**
   * Target 2: authorizing, then the page. By slug here (orgkit's routes take either): the
   * slug's lookup costs the third.
   */
  memberPage: 3,
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
   * Target 4 (BEGIN, the creator's count as the authorize-and-lock step, the write, COMMIT):
   * 8. Beyond it, each a statement of its own: the slug's claim (its own shard on Citus; its
   * primary key decides concurrent claims), the organization, the owner's membership, the
   * owner's `user_memberships` entry (the user's shard), the audit events. The creator's
   * count is the per-user limit, an upsert on the creator's row, which locks it.
   */
  createOrganization: 8,
  /**
   * Target 4: 8. Beyond it: the user's existence (the host's table: no member without a
   * user), then the membership, its `user_memberships` entry (the user's shard), the kept
   * member count (`memberCount` flat at any size) and the audit event, one statement each.
   */
  addMember: 8,
  /**
   * Target 4: 6. Beyond it: the member read with their user (who may grant what: the rules
   * on owners and on granting a role above one's own), and the audit event apart from the update.
   */
  changeRole: 6,
  /**
   * Target 4: 11. Beyond it: the member read (who may remove whom; the last owner stays),
   * then the membership, the kept count, the `user_memberships` entry (the user's shard),
   * the teams' kept counts, the team memberships, the member's API keys revoked, and the
   * audit event, one statement each.
   */
  removeMember: 11,
  /**
   * Target 4: 10, by slug. Beyond it: the slug's lookup under the transaction (by id it
   * goes), the addressee, their membership and the inviter read in one statement (no
   * invitation to a member; the answer's `invitedBy`), then the invitation, its id and
   * token lookup rows and the addressee's `email_invitations` entry (each its own shard on
   * Citus), and the audit event.
   */
  invite: 10,
  /**
   * Target 4: 10. Beyond it: the token's lookup row, before the transaction (its own
   * shard), then the invitation's conditional update (of concurrent accepts one wins), the
   * addressee's `email_invitations` entry deleted (the addressee's shard), the membership,
   * its `user_memberships` entry, the kept count and the audit events.
   */
  accept: 10,
}

const onPostgres = testDialects().includes('postgres')

describe.runIf(onPostgres)('round-trip budgets on postgres', () => {
  let env: TestStorage
  let orgkit: Orgkit
  let owner: Actor
  let ownerUser: TestUser
  let orgId: string
  const trips: string[] = []
  const logged: string[] = []
  let counting = false
  const onRoundTrip = (sql: string) => {
    if (counting) trips.push(sql)
  }
  const log = (event: LogEvent) => {
    if (counting) logged.push(event.query.sql)
  }

  beforeAll(async () => {
    env = await createTestStorage('postgres', { log, onRoundTrip })
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

  /**
   * Runs `fn` once to warm the caches (unless `warm` is false), then again counting its round
   * trips, and checks them against `budget`. The driver's count must equal the statements
   * Kysely logged: nothing is sent behind its back, and every statement is one trip.
   */
  async function expectTrips(budget: number, fn: () => Promise<unknown>, warm = true): Promise<void> {
    if (warm) await fn()
    trips.length = 0
    logged.length = 0
    counting = true
    try {
      await fn()
    } finally {
      counting = false
    }
    expect(trips.length, trips.join('\n')).toBeGreaterThan(0)
    expect(trips).toEqual(logged)
    expect(trips.length, trips.join('\n')).toBeLessThanOrEqual(budget)
  }

  it('checks a permission by id and by slug', async () => {
    await expectTrips(roundTrips.canById, () => orgkit.as(owner).can(orgId, 'members.read'))
    await expectTrips(roundTrips.canBySlug, () => orgkit.as(owner).can('trips', 'members.read'))
  })

  it('reads a member page after the authorization', async () => {
    const first = await orgkit.as(owner).members.list('trips', { limit: 10 })
    const cursor = first.nextCursor ?? undefined
    expect(cursor).toBeDefined()
    await expectTrips(roundTrips.memberPage, () => orgkit.as(owner).members.list('trips', { limit: 10, cursor }))
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

  it('adds a member, changes their role and removes them', async () => {
    const user = await env.addUser()
    await expectTrips(
      roundTrips.addMember,
      () => orgkit.as(owner).members.add(orgId, { userId: user.id, role: 'member' }),
      false,
    )
    await expectTrips(
      roundTrips.changeRole,
      () => orgkit.as(owner).members.update(orgId, user.id, { role: 'admin' }),
      false,
    )
    expect((await orgkit.as(owner).members.get(orgId, user.id)).role).toBe('admin')
    await expectTrips(roundTrips.removeMember, () => orgkit.as(owner).members.remove(orgId, user.id), false)
    await expect(orgkit.as(owner).members.get(orgId, user.id)).rejects.toMatchObject({ code: 'not_found' })
  })

  it('creates an invitation by slug and accepts it', async () => {
    const invitee = await env.addUser()
    let token = ''
    await expectTrips(
      roundTrips.invite,
      async () => {
        token = (await orgkit.as(owner).invitations.create('trips', { email: invitee.email, role: 'member' })).token
      },
      false,
    )
    await expectTrips(
      roundTrips.accept,
      () => orgkit.as({ type: 'user', userId: invitee.id, email: invitee.email }).invitations.accept({ token }),
      false,
    )
    expect((await orgkit.as(owner).members.get(orgId, invitee.id)).role).toBe('member')
  })
})
