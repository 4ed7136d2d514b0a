import { createOrgkit, OrgkitError, type OrgkitEvent, type UserActor } from '@orgkit/core'
import { serializeOrganization } from '@orgkit/core/http'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOnlyCodes, raceRounds } from '../support/concurrency'
import { createTestStorage, type TestStorage, testDialects } from '../support/databases'

const user = (userId: string, email?: string): UserActor => ({ type: 'user', userId, email })

const TABLES = [
  'organizations',
  'organization_slugs',
  'organization_creators',
  'members',
  'teams',
  'team_members',
  'roles',
  'invitations',
  'invitation_ids',
  'invitation_tokens',
  'email_invitations',
  'user_memberships',
  'api_keys',
  'api_key_prefixes',
  'audit_events',
]

/** Every row of every orgkit table, in a stable order: equal snapshots mean nothing was written. */
async function snapshot(env: TestStorage): Promise<string> {
  const tables: Record<string, unknown[]> = {}
  for (const table of TABLES) {
    const { rows } = await sql`select * from ${sql.table(`orgkit_${table}`)}`.execute(env.db)
    tables[table] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return JSON.stringify(tables)
}

describe.each(testDialects())('before hooks, events and limits on %s', (dialect) => {
  let env: TestStorage

  beforeAll(async () => {
    env = await createTestStorage(dialect)
    for (const id of ['owner', 'contractor-1', 'member', 'visitor']) {
      await env.addUser({ id, email: `${id}@example.com`, username: id, name: id })
    }
  })
  afterAll(() => env?.destroy())

  it('a vetoing before hook leaves every table as it was, whichever way the membership comes', async () => {
    const seen: OrgkitEvent<'member.added'>[] = []
    const orgkit = createOrgkit({
      storage: env.storage,
      before: {
        'member.added': (event) => {
          seen.push(event)
          if (event.target.id.startsWith('contractor')) {
            throw new OrgkitError('forbidden', 'Contractors join through procurement.')
          }
        },
      },
    })
    const owner = orgkit.as(user('owner'))
    const org = await owner.organizations.create({ name: 'Hooked' })
    expect(seen.at(-1)?.changes).toEqual({ role: 'owner', via: 'organization' })

    const invitation = await owner.invitations.create(org.slug, { email: 'contractor-1@example.com' })
    const before = await snapshot(env)
    await expect(owner.members.add(org.slug, { userId: 'contractor-1' })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'Contractors join through procurement.',
    })
    expect(await snapshot(env)).toBe(before)
    await expect(
      orgkit.as(user('contractor-1', 'contractor-1@example.com')).invitations.accept({ token: invitation.token }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(await snapshot(env)).toBe(before)
    expect(seen.map((event) => event.changes.via)).toEqual(['organization', 'direct', 'invitation'])

    // Not an OrgkitError: a failure, also nothing written.
    const remove = orgkit.before('member.removed', () => {
      throw new Error('audit sink down')
    })
    await owner.members.add(org.slug, { userId: 'member' })
    const withMember = await snapshot(env)
    await expect(owner.members.remove(org.slug, 'member')).rejects.toThrow('audit sink down')
    expect(await snapshot(env)).toBe(withMember)
    remove()
    await owner.members.remove(org.slug, 'member')
  })

  it('a personal organization fires the same member.added hook', async () => {
    const vias: string[] = []
    const orgkit = createOrgkit({
      storage: env.storage,
      personalOrganizations: true,
      before: { 'member.added': (event) => void vias.push(event.changes.via) },
    })
    await orgkit.as(user('visitor')).organizations.list()
    expect(vias).toEqual(['personal'])
  })

  it('delivers typed events after commit; a failing listener undoes nothing and is reported', async () => {
    const reported: string[] = []
    const orgkit = createOrgkit({
      storage: env.storage,
      onListenerError: (_error, event) => void reported.push(event.action),
    })
    const removed: OrgkitEvent<'member.removed'>[] = []
    orgkit.on('member.removed', (event) => void removed.push(event))
    orgkit.on('member.added', () => {
      throw new Error('listener broke')
    })
    const owner = orgkit.as(user('owner'))
    const org = await owner.organizations.create({ name: 'Evented' })
    await owner.members.add(org.slug, { userId: 'member' })
    expect((await owner.members.get(org.slug, 'member')).role).toBe('member')
    expect(reported).toEqual(['member.added', 'member.added'])
    await owner.members.remove(org.slug, 'member')
    expect(removed).toHaveLength(1)
    expect(removed[0]).toMatchObject({ action: 'member.removed', organizationId: org.id, changes: { role: 'member' } })
  })

  it('refuses an unknown hook action or a hook that is not a function when the instance is built', () => {
    expect(() => createOrgkit({ storage: env.storage, before: { 'member.joined': () => {} } as never })).toThrow(
      /member\.joined/,
    )
    const orgkit = createOrgkit({ storage: env.storage })
    expect(() => orgkit.before('nope' as never, () => {})).toThrow(/nope/)
  })

  it('adds the host’s derived fields to organization views without overriding its own', async () => {
    const orgkit = createOrgkit({
      storage: env.storage,
      organizationFields: (organizations) => organizations.map((o) => ({ projectCount: o.name.length, id: 'spoofed' })),
    })
    const owner = orgkit.as(user('owner'))
    const created = await owner.organizations.create({ name: 'Fields' })
    expect(created).toMatchObject({ projectCount: 6, id: expect.stringMatching(/^org_/) })
    expect(await owner.organizations.get(created.slug)).toMatchObject({ projectCount: 6 })
    const listed = await owner.organizations.list()
    expect(listed.data.every((o) => typeof (o as unknown as { projectCount: unknown }).projectCount === 'number')).toBe(
      true,
    )
    // The host's fields travel in the view's own `hostFields` field: a copy of the view keeps
    // them, and the wire shape has them next to orgkit's fields, never the field itself.
    const copy = { ...(await owner.organizations.get(created.slug)) }
    expect(copy.hostFields).toEqual({ projectCount: 6 })
    const wire = serializeOrganization(copy) as Record<string, unknown>
    expect(wire).toMatchObject({ projectCount: 6, id: created.id })
    expect(wire).not.toHaveProperty('hostFields')
  })
})

// The limits are enforced on rows that concurrent transactions serialize on; racing many
// requests at the limit, round after round, must never pass it.
const ROUNDS = 50
const CONTENDERS = 6

describe.each(testDialects().filter((dialect) => dialect !== 'sqlite'))('limits under concurrency on %s', (dialect) => {
  let env: TestStorage

  beforeAll(async () => {
    env = await createTestStorage(dialect)
  })
  afterAll(() => env?.destroy())

  it(`concurrent member adds at membersPerOrganization never exceed it, ${ROUNDS} rounds`, async () => {
    const orgkit = createOrgkit({ storage: env.storage, limits: { membersPerOrganization: 3 } })
    await raceRounds({
      rounds: ROUNDS,
      async setup(round) {
        const owner = await env.addUser()
        const org = await orgkit.as(user(owner.id)).organizations.create({ name: `Limit ${round}` })
        const people = await Promise.all(Array.from({ length: CONTENDERS }, () => env.addUser()))
        return { owner, org, people }
      },
      contenders: ({ owner, org, people }) =>
        people.map((person) => () => orgkit.as(user(owner.id)).members.add(org.id, { userId: person.id })),
      async check(round) {
        const { org } = round.state
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(2)
        expectOnlyCodes(round, ['limit_exceeded'])
        const stored = await env.storage.members.list(org.id, {}, { limit: 100, cursor: null })
        expect(stored.data).toHaveLength(3)
        expect((await env.storage.organizations.findById(org.id))?.memberCount).toBe(3)
      },
    })
  })

  it(`concurrent organization creates at organizationsPerUser never exceed it, ${ROUNDS} rounds`, async () => {
    const orgkit = createOrgkit({ storage: env.storage, limits: { organizationsPerUser: 2 } })
    await raceRounds({
      rounds: ROUNDS,
      setup: () => env.addUser(),
      contenders: (creator, round) =>
        Array.from(
          { length: CONTENDERS },
          (_, i) => () => orgkit.as(user(creator.id)).organizations.create({ name: `Per user ${round} ${i}` }),
        ),
      async check(round) {
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(2)
        expectOnlyCodes(round, ['limit_exceeded'])
        const mine = await orgkit.as(user(round.state.id)).organizations.list()
        expect(mine.data).toHaveLength(2)
      },
    })
    // Deleting one gives the slot back.
    const creator = await env.addUser()
    const first = await orgkit.as(user(creator.id)).organizations.create({ name: 'Freed 1' })
    await orgkit.as(user(creator.id)).organizations.create({ name: 'Freed 2' })
    await expect(orgkit.as(user(creator.id)).organizations.create({ name: 'Freed 3' })).rejects.toMatchObject({
      code: 'limit_exceeded',
    })
    await orgkit.as(user(creator.id)).organizations.delete(first.id)
    await orgkit.as(user(creator.id)).organizations.create({ name: 'Freed 3' })
  })
})
