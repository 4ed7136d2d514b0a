/**
 * The storage conformance suite: every repository of the storage port held to the
 * guarantee its doc comment states, against the real database engines. It talks to the
 * repositories directly, below the core's services, so a dialect that breaks a guarantee
 * fails here even where a service would happen to hide it.
 */
import {
  type ApiKeyRecord,
  type AuditEventRecord,
  createId,
  hashSecret,
  type InvitationRecord,
  type OrganizationRecord,
  pageInput,
  type Storage,
} from '@orgkit/core'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  createTestStorage,
  type TestDatabase,
  type TestStorage,
  testDialects,
} from '../../../../test/support/databases'

const T0 = new Date('2026-01-01T00:00:00.000Z')
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

function organization(slug: string, overrides: Partial<OrganizationRecord> = {}): OrganizationRecord {
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

function invitation(
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

function apiKey(organizationId: string, prefix: string): ApiKeyRecord {
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
  }
}

function event(organizationId: string, action: string, createdAt: Date): AuditEventRecord {
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

describe.each(testDialects())('storage conformance on %s', (dialect) => {
  let env: TestStorage
  let storage: Storage
  const page = (limit = 20, cursor?: string) => pageInput({ limit, cursor })

  beforeAll(async () => {
    env = await createTestStorage(dialect)
    storage = env.storage
    await env.addUser({ id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee' })
    await env.addUser({ id: 'bob', email: 'bob@example.com', username: 'bob_1', name: 'Bob' })
    await env.addUser({ id: 'cat', email: 'cat@example.com', username: 'cat%', name: 'Cat' })
  })
  afterAll(() => env?.destroy())

  it('organizations: a slug is claimed by exactly one of concurrent inserts, and round-trips', async () => {
    const contenders = Array.from({ length: 8 }, () => organization('contested'))
    const results = await Promise.all(contenders.map((o) => storage.organizations.insert(o)))
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = contenders[results.indexOf(true)]!
    expect(await storage.organizations.findBySlug('contested')).toEqual(winner)
    expect(await storage.organizations.findById(winner.id)).toEqual(winner)
    for (const loser of contenders.filter((o) => o !== winner)) {
      expect(await storage.organizations.findById(loser.id)).toBeNull()
    }
  })

  it('organizations: a slug change frees the old slug, refuses a taken one, and writes nothing then', async () => {
    const a = organization('alpha')
    const b = organization('beta')
    expect(await storage.organizations.insert(a)).toBe(true)
    expect(await storage.organizations.insert(b)).toBe(true)
    expect(await storage.organizations.update(a.id, { slug: 'beta', name: 'Renamed' }, at(5))).toBe('slug_taken')
    expect((await storage.organizations.findById(a.id))?.name).toBe('alpha')
    const renamed = await storage.organizations.update(a.id, { slug: 'alpha-2' }, at(5))
    expect(renamed).toMatchObject({ id: a.id, slug: 'alpha-2', updatedAt: at(5) })
    expect(await storage.organizations.findBySlug('alpha')).toBeNull()
    expect(await storage.organizations.insert(organization('alpha'))).toBe(true)
    expect(await storage.organizations.update('org_missing', { name: 'x' }, at(5))).toBeNull()
  })

  it('members: unique per (organization, user), isolated by organization, listed with the host users joined', async () => {
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
    expect(await storage.members.updateRole(other.id, 'ann', 'admin')).toBe(false)
    expect(await storage.members.delete(other.id, 'cat')).toBe(false)
    expect((await storage.members.find(org.id, 'cat'))?.role).toBe('member')
    expect(await storage.members.updateRole(org.id, 'bob', 'member')).toBe(true) // unchanged role still counts

    const ann = await storage.members.findWithUser(org.id, 'ann')
    expect(ann?.user).toEqual({ id: 'ann', email: 'Ann@Example.com', username: 'ann', name: 'Ann Lee', imageUrl: null })
    expect(await storage.members.countWithRole(org.id, 'owner')).toBe(1)
    // The count is kept by inserts and deletes, never counted on reads.
    expect(await storage.organizations.findById(org.id)).toMatchObject({ memberCount: 3, teamCount: 0 })

    const first = await storage.members.list(org.id, {}, page(2))
    expect(first.data.map((m) => m.userId)).toEqual(['ann', 'bob'])
    const second = await storage.members.list(org.id, {}, page(2, first.nextCursor!))
    expect(second.data.map((m) => m.userId)).toEqual(['cat'])
    expect(second.hasMore).toBe(false)
    const back = await storage.members.list(org.id, {}, page(2, second.prevCursor!))
    expect(back.data.map((m) => m.userId)).toEqual(['ann', 'bob'])
    expect((await storage.members.list(org.id, { role: 'owner' }, page())).data.map((m) => m.userId)).toEqual(['ann'])
    expect((await storage.members.list(org.id, { q: 'ANN@' }, page())).data.map((m) => m.userId)).toEqual(['ann'])
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

  it('the user directory compares emails case-insensitively', async () => {
    expect((await storage.users.findByEmail('ann@example.com'))?.id).toBe('ann')
    expect((await storage.users.findByUsername('bob_1'))?.id).toBe('bob')
    expect(await storage.users.findById('nobody')).toBeNull()
  })

  it('invitations: one pending per email, transitions given to exactly one caller, lookups by token and id', async () => {
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
    expect(await storage.invitations.find('org_other', pending.id)).toBeNull()
    expect(await storage.invitations.countPending(org.id, T0)).toBe(1)

    const transitions = ['accepted', 'declined', 'revoked', 'accepted', 'revoked'] as const
    const outcomes = await Promise.all(
      transitions.map((to) =>
        storage.invitations.transition(org.id, pending.id, { to, respondedBy: 'dan', now: at(1) }),
      ),
    )
    expect(outcomes.filter((moved) => moved)).toHaveLength(1)
    const final = await storage.invitations.find(org.id, pending.id)
    expect(final?.status).toBe(transitions[outcomes.indexOf(true)])
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

  it('API keys: a prefix is global, lookups go through it, and revoke is scoped to the organization', async () => {
    const org = organization('keys-org')
    await storage.organizations.insert(org)
    const key = apiKey(org.id, 'abcdefghijkl')
    expect(await storage.apiKeys.insert(key)).toBe(true)
    expect(await storage.apiKeys.insert(apiKey(org.id, 'abcdefghijkl'))).toBe(false)
    expect(await storage.apiKeys.findByPrefix('abcdefghijkl')).toEqual(key)
    expect(await storage.apiKeys.revoke('org_other', key.id, at(1))).toBeNull()
    expect((await storage.apiKeys.revoke(org.id, key.id, at(1)))?.revokedAt).toEqual(at(1))
    expect((await storage.apiKeys.revoke(org.id, key.id, at(2)))?.revokedAt).toEqual(at(1))
    await storage.apiKeys.touch(org.id, key.id, at(3))
    expect((await storage.apiKeys.find(org.id, key.id))?.lastUsedAt).toEqual(at(3))
  })

  it('audit events list newest first, filtered by action, per organization', async () => {
    const org = organization('audit-org')
    await storage.organizations.insert(org)
    for (let i = 0; i < 5; i++)
      await storage.audit.append(event(org.id, i % 2 ? 'member.added' : 'member.removed', at(i)))
    const listed = await storage.audit.list(org.id, {}, page(3))
    expect(listed.data.map((e) => e.createdAt)).toEqual([at(4), at(3), at(2)])
    const rest = await storage.audit.list(org.id, {}, page(3, listed.nextCursor!))
    expect(rest.data.map((e) => e.createdAt)).toEqual([at(1), at(0)])
    expect((await storage.audit.list(org.id, { action: 'member.added' }, page())).data).toHaveLength(2)
    expect((await storage.audit.list('org_other', {}, page())).data).toEqual([])
  })

  it('deleting an organization removes everything it owns, lookup rows included', async () => {
    const org = organization('doomed')
    await storage.organizations.insert(org)
    await storage.members.insert({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: T0 })
    const inv = invitation(org.id, 'zed@example.com')
    await storage.invitations.insert(inv, T0)
    await storage.apiKeys.insert(apiKey(org.id, 'doomedprefix'))
    await storage.audit.append(event(org.id, 'organization.created', T0))

    expect(await storage.organizations.delete(org.id)).toBe(true)
    expect(await storage.organizations.delete(org.id)).toBe(false)
    expect(await storage.organizations.findBySlug('doomed')).toBeNull()
    expect(await storage.members.find(org.id, 'ann')).toBeNull()
    expect(await storage.invitations.findByTokenHash(inv.tokenHash)).toBeNull()
    expect(await storage.invitations.findById(inv.id)).toBeNull()
    expect(await storage.apiKeys.findByPrefix('doomedprefix')).toBeNull()
    expect((await storage.audit.list(org.id, {}, page())).data).toEqual([])
    // The slug and the key prefix are free again.
    expect(await storage.organizations.insert(organization('doomed'))).toBe(true)
    expect(await storage.apiKeys.insert(apiKey(org.id, 'doomedprefix'))).toBe(true)
  })

  it('a transaction rolls back every write when it throws', async () => {
    const org = organization('rollback')
    await expect(
      storage.transaction(async (tx) => {
        await tx.organizations.insert(org)
        await tx.members.insert({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: T0 })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await storage.organizations.findBySlug('rollback')).toBeNull()
    expect(await storage.members.find(org.id, 'ann')).toBeNull()
  })

  if (dialect !== 'sqlite') {
    it('lock() holds the organization row until the transaction ends', async () => {
      const org = organization('locked')
      await storage.organizations.insert(org)
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
  }
})

describe.each(testDialects())('the host user table on %s', (dialect) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
  })
  afterAll(() => database?.destroy())

  it('reads the host user table through a column mapping, in the member listing query', async () => {
    await database.db.schema
      .createTable('accounts')
      .addColumn('account_id', 'varchar(64)', (col) => col.primaryKey())
      .addColumn('mail', 'varchar(320)', (col) => col.notNull())
      .addColumn('display_name', 'varchar(255)')
      .execute()
    await database.db
      .insertInto('accounts')
      .values({ account_id: 'a1', mail: 'A1@Example.com', display_name: 'First' })
      .execute()
    expect((await migrateToLatest(database.db, { tablePrefix: 'tenant2_' })).error).toBeUndefined()
    const storage = kyselyStorage(database.db, {
      tablePrefix: 'tenant2_',
      users: { table: 'accounts', columns: { id: 'account_id', email: 'mail', name: 'display_name' } },
    })
    const org = organization('mapped')
    await storage.organizations.insert(org)
    await storage.members.insert({ organizationId: org.id, userId: 'a1', role: 'owner', joinedAt: T0 })
    await storage.members.insert({ organizationId: org.id, userId: 'gone', role: 'member', joinedAt: at(1) })
    const listed = await storage.members.list(org.id, {}, pageInput({ limit: 10 }))
    expect(listed.data.map((m) => m.user)).toEqual([
      { id: 'a1', email: 'A1@Example.com', username: null, name: 'First', imageUrl: null },
      // A user missing from the host's table reads as nulls rather than vanishing.
      { id: 'gone', email: null, username: null, name: null, imageUrl: null },
    ])
    expect((await storage.users.findByEmail('a1@example.com'))?.id).toBe('a1')
    expect(() =>
      kyselyStorage(database.db, { users: { table: 'accounts; drop', columns: { id: 'id', email: 'mail' } } }),
    ).toThrow(/@orgkit\/kysely/)
  })
})
