/**
 * Deleting an organization leaves no row naming it in any of orgkit's tables, lookups and
 * per-user tables included, whether the storage deletes on one server (one statement per
 * table) or as on a distributed database (`distributed: true`: the keys read from the
 * organization's own rows first, then each lookup row deleted by its key). The organization
 * is seeded so that every table holds a row of it before the deletion — checked, so a table
 * added later without a seed, or left out of the deletion, fails here.
 */
import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestStorage, testDialects } from '../../../test/support/databases'
import { ORGKIT_TABLES } from '../src/schema'

/** Per user, not per organization: the creator's count, which deletion gives back rather than deletes. */
const PER_USER_COUNTS = new Set<string>(['organization_creators'])

const user = (userId: string, domain = 'example.com'): UserActor => ({
  type: 'user',
  userId,
  email: `${userId}@${domain}`,
  emailVerified: true,
})

describe.each(
  testDialects().flatMap((dialect) => [
    [dialect, 'on one server', false],
    [dialect, 'distributed', true],
  ]),
)('deleting an organization on %s, %s, leaves no row of it', (dialect, _how, distributed) => {
  let env: TestStorage
  let orgkit: Orgkit
  const records = new Map<string, string>()

  beforeAll(async () => {
    env = (await createTestStorage(dialect as TestStorage['dialect'], { distributed })) as TestStorage
    for (const id of ['ann', 'bob', 'cat', 'sue', 'sid']) {
      await env.addUser({ id, email: `${id}@${id.startsWith('s') ? 'seed-corp.com' : 'example.com'}` })
    }
    orgkit = createOrgkit({
      storage: env.storage,
      enrollment: { resolveTxt: async (name) => (records.has(name) ? [[records.get(name) as string]] : []) },
    })
  })
  afterAll(() => env?.destroy())

  /** An organization with a row in every table orgkit keeps for one: members, teams, roles, invitations, keys, enrollment. */
  async function seeded(slug: string, domain: string) {
    const ann = orgkit.as(user('ann'))
    const org = await ann.organizations.create({ name: slug, slug })
    await ann.members.add(slug, { userId: 'bob', role: 'member' })
    await ann.roles.create(slug, { key: 'auditor', name: 'Auditor', permissions: ['audit.read'] })
    const team = await ann.teams.create(slug, { name: 'Core' })
    await ann.teams.members.add(slug, team.id, { userId: 'bob', role: 'lead' })
    // Pending (the addressee's email index, the id and token lookups) and declined.
    await ann.invitations.create(slug, { email: 'zed@example.com', role: 'member' })
    const declined = await ann.invitations.create(slug, { email: 'cat@example.com', role: 'member' })
    await orgkit.as(user('cat')).invitations.decline({ token: declined.token })
    await ann.apiKeys.create(slug, { name: 'ci', role: 'member' })
    // A verified domain (and its global claim), open to requests; a pending one beside it.
    const { verification } = await ann.domains.add(slug, { domain })
    records.set(verification.name, verification.value)
    await ann.domains.verify(slug, domain)
    await ann.domains.update(slug, domain, { enrollment: 'suggest' })
    await ann.domains.add(slug, { domain: `pending-${domain}` })
    // Join requests: one pending, one denied (the id lookup and the requester's index).
    await orgkit.as(user('sue', domain)).joinRequests.join(slug)
    const denied = await orgkit.as(user('sid', domain)).joinRequests.join(slug)
    await ann.joinRequests.deny(slug, denied.requested!.id)
    // An invitation link and its token lookup.
    await ann.invitationLinks.create(slug, { role: 'member', maxUses: 3 })
    return org
  }

  /** Rows naming the organization, by table (tables without any left out). */
  async function rowsOf(organizationId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {}
    for (const table of ORGKIT_TABLES) {
      if (PER_USER_COUNTS.has(table)) continue
      const column = table === 'organizations' ? 'id' : 'organization_id'
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(
        `orgkit_${table}`,
      )} where ${sql.ref(column)} = ${organizationId}`.execute(env.db)
      const n = Number(rows[0]?.n ?? 0)
      if (n > 0) counts[table] = n
    }
    return counts
  }

  it('from every table, its lookups and per-user tables included, and nothing of another organization', async () => {
    const doomed = await seeded(`doomed-${distributed ? 'd' : 'o'}`, `doomed-${distributed ? 'd' : 'o'}-seed.com`)
    const survivor = await seeded(`kept-${distributed ? 'd' : 'o'}`, `kept-${distributed ? 'd' : 'o'}-seed.com`)
    const before = await rowsOf(doomed.id)
    // Every table holds a row of it: a table the deletion skipped would show below.
    expect(
      ORGKIT_TABLES.filter((table) => !PER_USER_COUNTS.has(table) && before[table] === undefined),
      'tables the seed left empty',
    ).toEqual([])
    const kept = await rowsOf(survivor.id)

    await orgkit.as(user('ann')).organizations.delete(doomed.id)

    expect(await rowsOf(doomed.id)).toEqual({})
    expect(await rowsOf(survivor.id)).toEqual(kept)
    // The released domain may be claimed and verified by another organization at once.
    const other = orgkit.as(user('cat'))
    await other.organizations.create({ name: 'Next', slug: `next-${distributed ? 'd' : 'o'}` })
    const claimed = await other.domains.add(`next-${distributed ? 'd' : 'o'}`, {
      domain: `doomed-${distributed ? 'd' : 'o'}-seed.com`,
    })
    records.set(claimed.verification.name, claimed.verification.value)
    expect(
      await other.domains.verify(`next-${distributed ? 'd' : 'o'}`, `doomed-${distributed ? 'd' : 'o'}-seed.com`),
    ).toMatchObject({ status: 'verified' })
  })
})
