/**
 * Statement budgets: how many statements the common paths send to a real database, counted
 * with Kysely's `log` hook (every statement the driver runs, BEGIN and COMMIT included).
 * A change that adds a round trip to a hot path fails here; docs/storage.md lists the
 * budgets and what each statement is. The round trips on PostgreSQL, counted in the driver,
 * are asserted next door, in round-trip-budgets.test.ts.
 */
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { authorizeRequest } from '@orgkit/core/http'
import type { CompiledQuery, LogEvent } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestStorage,
  type TestDialect,
  type TestStorage,
  type TestUser,
  testDialects,
} from '../../../test/support/databases'

/**
 * The budgets, in statements, BEGIN and COMMIT included, after warm-up (compiled roles
 * cached). docs/storage.md lists what each statement is.
 */
const budgets = (dialect: TestDialect) => ({
  /** `can` by id: the organization read with the caller's membership. */
  canById: 1,
  /** By slug: the slug lookup first (docs/scaling.md: never joined to the organization). */
  canBySlug: 2,
  /**
   * A member page by slug: the slug lookup, the organization with the caller's membership,
   * the page. PostgreSQL reads the last two in one statement (`members.listWithMember`), so
   * by id the page is that statement alone; elsewhere by id it is the last two.
   */
  memberPage: dialect === 'postgres' ? 2 : 3,
  /** One member by id: the organization with the caller's membership and the member, one statement on PostgreSQL. */
  memberById: dialect === 'postgres' ? 1 : 2,
  /**
   * Creating an invitation and accepting it, each in its transaction with its authorization
   * and audit events. MariaDB: each transaction first sets its isolation level (two
   * statements); having no UPDATE … RETURNING, accepting reads the email it takes out of
   * the addressee's index in a statement of its own; and having no FOR UPDATE OF, it reads
   * the accepting user apart from the lock, so as not to lock the host's row. PostgreSQL
   * reads the addressee's membership and the inviter with the invitation it writes, with its
   * lookups, index entry and event, in one statement; it finds the invitation to accept
   * through its token's lookup in the locking statement; and it writes the accepted
   * invitation with its index entry's delete, the membership with its index entry, the kept
   * count and the events in another (data-modifying CTEs; round-trip-budgets.test.ts).
   */
  inviteAndAccept: dialect === 'mysql' ? 24 : dialect === 'postgres' ? 9 : 20,
  /**
   * Creating an organization: the slug, the creator's count (one upsert; MariaDB:
   * insert-or-ignore, then the conditional update), the organization counted with its owner,
   * the owner's membership and index entry, the audit events — BEGIN and COMMIT around them.
   * PostgreSQL: all of it in one statement, which commits on its own (no limit, no hook).
   */
  createOrganization: dialect === 'mysql' ? 11 : dialect === 'postgres' ? 1 : 8,
  /**
   * Adding a member: the lock with the caller's membership, the user, member, index entry,
   * count, audit. PostgreSQL: the organization, the membership and the user read without a
   * lock, then one statement that checks them as decided and writes the rest.
   */
  addMember: dialect === 'mysql' ? 10 : dialect === 'postgres' ? 2 : 8,
  /**
   * Changing a role: the lock with the caller's membership, the member with its user, the
   * update, audit. PostgreSQL: the member read (and locked) with the lock, the update and
   * its audit event in one statement.
   */
  changeRole: dialect === 'mysql' ? 8 : dialect === 'postgres' ? 4 : 6,
  /**
   * Removing a member (not an owner: no count of the owners): the lock with the caller's
   * membership, the member, the member's API keys revoked (the event counts them), the
   * membership, its index entry, the kept count, the team memberships and their teams'
   * counts, audit. PostgreSQL: the member read (and locked) with the lock, the removal and
   * everything that goes with it in one statement.
   */
  removeMember: dialect === 'mysql' ? 12 : dialect === 'postgres' ? 5 : 11,
  /**
   * Transferring ownership: the lock with the caller's membership, the new owner, their
   * promotion, the caller's demotion, audit. PostgreSQL: the new owner read (and locked)
   * with the lock, the audit event with the caller's demotion.
   */
  transferOwnership: dialect === 'mysql' ? 8 : dialect === 'postgres' ? 5 : 7,
  /** "My organizations": the user's index, then those organizations with the role. */
  myOrganizations: 2,
  /** An invitation's preview: the token's lookup, then the organization with the invitation and its inviter. */
  previewInvitation: 2,
  /** "My invitations": the addressee's index, then those invitations with their inviters. */
  myInvitations: 2,
  /**
   * A page of the organization's invitations by id, whoever sent them: the organization with
   * the caller's membership, then the invitations with their inviters (joined with the host's
   * users, not looked up one by one). PostgreSQL: one statement.
   */
  invitationPageById: dialect === 'postgres' ? 1 : 2,
  /** An API key: the prefix lookup, the key, then the organization with the creator's membership. */
  authenticateApiKey: 3,
  /**
   * A request with an API key, authenticated and authorized as orgkit's HTTP layer does it
   * (`requirePermission`): the authorization reuses the organization the authentication read.
   */
  apiKeyRequest: 3,
})

describe.each(testDialects())('statement budgets on %s', (dialect) => {
  let env: TestStorage
  let orgkit: Orgkit
  let owner: Actor
  let ownerUser: TestUser
  let orgId: string
  const statements: CompiledQuery[] = []
  let counting = false
  const log = (event: LogEvent) => {
    if (counting) statements.push(event.query)
  }

  const budget = budgets(dialect)

  beforeAll(async () => {
    env = await createTestStorage(dialect, { log })
    orgkit = createOrgkit({ storage: env.storage })
    ownerUser = await env.addUser({ name: 'Olive' })
    owner = { type: 'user', userId: ownerUser.id, email: ownerUser.email }
    const created = await orgkit.as(owner).organizations.create({ name: 'Budget', slug: 'budget' })
    orgId = created.id
    for (let i = 0; i < 30; i++) {
      const user = await env.addUser()
      await orgkit.as(owner).members.add('budget', { userId: user.id, role: 'member' })
    }
  })
  afterAll(() => env?.destroy())

  /** Runs `fn` once to warm the caches, then again counting its statements. */
  async function count(fn: () => Promise<unknown>, warm = true): Promise<string[]> {
    if (warm) await fn()
    statements.length = 0
    counting = true
    try {
      await fn()
    } finally {
      counting = false
    }
    return statements.map((query) => query.sql)
  }

  it('checks a permission by id and by slug', async () => {
    const byId = await count(() => orgkit.as(owner).can(orgId, 'members.read'))
    expect(byId.length, byId.join('\n')).toBeLessThanOrEqual(budget.canById)
    const bySlug = await count(() => orgkit.as(owner).can('budget', 'members.read'))
    expect(bySlug.length, bySlug.join('\n')).toBeLessThanOrEqual(budget.canBySlug)
  })

  it('reads a member page in the statement that authorizes', async () => {
    const first = await orgkit.as(owner).members.list('budget', { limit: 10 })
    const cursor = first.nextCursor ?? undefined
    expect(cursor).toBeDefined()
    const page = await count(() => orgkit.as(owner).members.list('budget', { limit: 10, cursor }))
    expect(page.length, page.join('\n')).toBeLessThanOrEqual(budget.memberPage)
    const byId = await count(() => orgkit.as(owner).members.list(orgId, { limit: 10, cursor }))
    expect(byId.length, byId.join('\n')).toBeLessThanOrEqual(budget.memberPage - 1)
    const one = await count(() => orgkit.as(owner).members.get(orgId, first.data[1]!.userId))
    expect(one.length, one.join('\n')).toBeLessThanOrEqual(budget.memberById)
  })

  it('reads a page of invitations with their inviters, however many sent them', async () => {
    const admins = [await env.addUser({ username: 'sender_a' }), await env.addUser({ username: 'sender_b' })]
    for (const [i, admin] of admins.entries()) {
      await orgkit.as(owner).members.add(orgId, { userId: admin.id, role: 'admin' })
      const inviter = orgkit.as({ type: 'user', userId: admin.id, email: admin.email })
      await inviter.invitations.create(orgId, { email: `sent-by-${i}-${admin.id}@example.com`, role: 'member' })
    }
    const page = await count(() => orgkit.as(owner).invitations.list(orgId, { status: 'pending' }))
    expect(page.length, page.join('\n')).toBeLessThanOrEqual(budget.invitationPageById)
    const listed = await orgkit.as(owner).invitations.list(orgId, { status: 'pending' })
    for (const admin of admins) {
      expect(listed.data.find((i) => i.invitedBy.userId === admin.id)?.invitedBy.username).toBe(admin.username)
    }
  })

  it("previews an invitation in its token's lookup and one read", async () => {
    const invitee = await env.addUser()
    const { token } = await orgkit.as(owner).invitations.create('budget', { email: invitee.email, role: 'member' })
    const addressee = orgkit.as({ type: 'user', userId: invitee.id, email: invitee.email })
    const preview = await count(() => addressee.invitations.preview({ token }))
    expect(preview.length, preview.join('\n')).toBeLessThanOrEqual(budget.previewInvitation)
    expect((await addressee.invitations.preview({ token })).invitedBy.userId).toBe(ownerUser.id)
  })

  it('creates and accepts an invitation', async () => {
    const invitee = await env.addUser()
    const statementsOf = await count(async () => {
      const issued = await orgkit.as(owner).invitations.create('budget', { email: invitee.email, role: 'member' })
      await orgkit
        .as({ type: 'user', userId: invitee.id, email: invitee.email })
        .invitations.accept({ token: issued.token })
    }, false)
    expect(statementsOf.length, statementsOf.join('\n')).toBeLessThanOrEqual(budget.inviteAndAccept)
  })

  it('creates an organization, adds a member, changes their role and removes them', async () => {
    let n = 0
    const created = await count(() => orgkit.as(owner).organizations.create({ name: `Budget ${++n}` }))
    expect(created.length, created.join('\n')).toBeLessThanOrEqual(budget.createOrganization)
    const user = await env.addUser()
    const added = await count(() => orgkit.as(owner).members.add(orgId, { userId: user.id, role: 'member' }), false)
    expect(added.length, added.join('\n')).toBeLessThanOrEqual(budget.addMember)
    const changed = await count(() => orgkit.as(owner).members.update(orgId, user.id, { role: 'admin' }), false)
    expect(changed.length, changed.join('\n')).toBeLessThanOrEqual(budget.changeRole)
    expect((await orgkit.as(owner).members.get(orgId, user.id)).role).toBe('admin')
    const removed = await count(() => orgkit.as(owner).members.remove(orgId, user.id), false)
    expect(removed.length, removed.join('\n')).toBeLessThanOrEqual(budget.removeMember)
    await expect(orgkit.as(owner).members.get(orgId, user.id)).rejects.toMatchObject({ code: 'not_found' })
  })

  it('transfers ownership, and back', async () => {
    const heir = await env.addUser()
    await orgkit.as(owner).members.add(orgId, { userId: heir.id, role: 'member' })
    const moved = await count(() => orgkit.as(owner).organizations.transferOwnership(orgId, { userId: heir.id }), false)
    expect(moved.length, moved.join('\n')).toBeLessThanOrEqual(budget.transferOwnership)
    expect((await orgkit.as(owner).members.get(orgId, heir.id)).role).toBe('owner')
    const back = await count(
      () =>
        orgkit
          .as({ type: 'user', userId: heir.id, email: heir.email })
          .organizations.transferOwnership(orgId, { userId: ownerUser.id }),
      false,
    )
    expect(back.length, back.join('\n')).toBeLessThanOrEqual(budget.transferOwnership)
    expect((await orgkit.as(owner).members.get(orgId, ownerUser.id)).role).toBe('owner')
  })

  it("lists a user's organizations and invitations from their own indexes", async () => {
    const mine = await count(() => orgkit.as(owner).organizations.list({ limit: 10 }))
    expect(mine.length, mine.join('\n')).toBeLessThanOrEqual(budget.myOrganizations)
    const invitee = await env.addUser()
    await orgkit.as(owner).invitations.create('budget', { email: invitee.email, role: 'member' })
    const invited = await count(() =>
      orgkit.as({ type: 'user', userId: invitee.id, email: invitee.email }).invitations.mine({ limit: 10 }),
    )
    expect(invited.length, invited.join('\n')).toBeLessThanOrEqual(budget.myInvitations)
  })

  it('authenticates an API key', async () => {
    const key = await orgkit.as(owner).apiKeys.create('budget', { name: 'ci', role: 'member' })
    const authenticated = await count(() => orgkit.authenticateApiKey(key.secret))
    // Authenticating also records the key's last use, at most once a minute: the warm run did.
    expect(authenticated.length, authenticated.join('\n')).toBeLessThanOrEqual(budget.authenticateApiKey)
    for (const organization of [orgId, 'me']) {
      const request = await count(() =>
        authorizeRequest(orgkit, 'members.read', {
          authorization: `Bearer ${key.secret}`,
          resolveActor: undefined,
          organization,
        }),
      )
      expect(request.length, request.join('\n')).toBeLessThanOrEqual(budget.apiKeyRequest)
    }
    // Through the public API the actor may be kept and used later: each authorization reads the row.
    const actor = await orgkit.authenticateApiKey(key.secret)
    const later = await count(() => orgkit.authorize(actor, orgId, 'members.read'), false)
    expect(later).toHaveLength(1)
  })
})
