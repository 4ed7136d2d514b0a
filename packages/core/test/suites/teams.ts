import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MakeStorage, StorageUnderTest } from '../support/storages'

const user = (userId: string, extra: Partial<UserActor> = {}): UserActor => ({ type: 'user', userId, ...extra })

/** The rejection of `promise`, for comparing two refusals field by field. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    const { code, message, details } = error as { code: string; message: string; details?: unknown }
    return { code, message, details }
  }
  throw new Error('expected a refusal')
}

/** The teams tests, on the storage `make` gives (`name` says which, in the test names). */
export function teamsSuite(name: string, make: MakeStorage): void {
  describe(`teams on ${name}`, () => {
    let env: StorageUnderTest
    let orgkit: Orgkit
    const org = 'teams-inc'
    const other = 'other-inc'

    beforeAll(async () => {
      env = await make()
      for (const id of ['owner', 'admin', 'lead', 'plain', 'joiner', 'outsider', 'rival', 'invitee']) {
        await env.addUser({ id, email: `${id}@example.com`, username: id, name: `Name ${id}` })
      }
      orgkit = createOrgkit({
        storage: env.storage,
        permissions: ['projects.update'],
        teamRoles: {
          lead: { grants: ['teams.read', 'teams.update', 'projects.update'] },
          member: { grants: ['teams.read'] },
          manager: { grants: ['teams.read', 'teams.update', 'teams.delete', 'projects.update'] },
        },
      })
      const owner = orgkit.as(user('owner'))
      await owner.organizations.create({ name: 'Teams Inc', slug: org })
      await owner.members.add(org, { userId: 'admin', role: 'admin' })
      for (const id of ['lead', 'plain', 'joiner']) await owner.members.add(org, { userId: id })
      await orgkit.as(user('rival')).organizations.create({ name: 'Other Inc', slug: other })
    })
    afterAll(() => env?.destroy())

    it('creates, reads, updates and deletes by slug and by id, keeping teamCount', async () => {
      const admin = orgkit.as(user('admin'))
      const created = await admin.teams.create(org, { name: 'Platform Crew', description: 'Runs things' })
      expect(created).toMatchObject({
        slug: 'platform-crew',
        name: 'Platform Crew',
        description: 'Runs things',
        memberCount: 0,
        organizationId: (await admin.organizations.get(org)).id,
      })
      expect(created.id).toMatch(/^team_/)
      // The same name again gets the next numbered slug; a given slug is used as given (lower-cased).
      expect((await admin.teams.create(org, { name: 'Platform Crew' })).slug).toBe('platform-crew-2')
      expect((await admin.teams.create(org, { name: 'Whatever', slug: 'Ops' })).slug).toBe('ops')
      expect((await admin.organizations.get(org)).teamCount).toBe(3)

      expect(await admin.teams.get(org, 'platform-crew')).toEqual(created)
      expect(await admin.teams.get(org, created.id)).toEqual(created)
      expect(await admin.teams.get(org, 'PLATFORM-CREW')).toEqual(created)

      const updated = await admin.teams.update(org, created.id, {
        name: 'Platform',
        slug: 'platform',
        description: null,
      })
      expect(updated).toMatchObject({ id: created.id, name: 'Platform', slug: 'platform', description: null })
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime())
      await expect(admin.teams.get(org, 'platform-crew')).rejects.toMatchObject({ code: 'not_found' })
      expect(await admin.teams.get(org, 'platform')).toEqual(updated)

      const listed = await admin.teams.list(org, { limit: 2 })
      expect(listed.data.map((t) => t.slug)).toEqual(['platform', 'platform-crew-2'])
      const rest = await admin.teams.list(org, { limit: 2, cursor: listed.nextCursor! })
      expect(rest.data.map((t) => t.slug)).toEqual(['ops'])
      expect(rest.hasMore).toBe(false)

      await admin.teams.delete(org, 'platform-crew-2')
      await admin.teams.delete(org, 'ops')
      await expect(admin.teams.get(org, 'ops')).rejects.toMatchObject({ code: 'not_found' })
      await expect(admin.teams.delete(org, 'ops')).rejects.toMatchObject({ code: 'not_found' })
      expect((await admin.organizations.get(org)).teamCount).toBe(1)

      const events = await admin.audit.list(org, { limit: 10 })
      const actions = events.data.map((e) => e.action)
      expect(actions.filter((a) => a.startsWith('team.'))).toEqual([
        'team.deleted',
        'team.deleted',
        'team.updated',
        'team.created',
        'team.created',
        'team.created',
      ])
      expect(events.data.find((e) => e.action === 'team.updated')?.changes).toEqual({
        name: { from: 'Platform Crew', to: 'Platform' },
        slug: { from: 'platform-crew', to: 'platform' },
        description: { from: 'Runs things', to: null },
      })
    })

    it('refuses taken and malformed slugs, empty updates and personal organizations, changing nothing', async () => {
      const admin = orgkit.as(user('admin'))
      await admin.teams.create(org, { name: 'Taken', slug: 'taken' })
      await admin.teams.create(org, { name: 'Free', slug: 'free' })
      const before = (await admin.organizations.get(org)).teamCount
      await expect(admin.teams.create(org, { name: 'Again', slug: 'taken' })).rejects.toMatchObject({
        code: 'conflict',
      })
      await expect(admin.teams.update(org, 'free', { slug: 'taken' })).rejects.toMatchObject({ code: 'conflict' })
      for (const slug of ['bad slug', '-edge', 'under_score', 'x'.repeat(49)]) {
        const refused = await refusal(admin.teams.create(org, { name: 'Bad', slug }))
        expect(refused).toMatchObject({ code: 'validation_failed', details: [{ path: 'slug' }] })
      }
      await expect(admin.teams.update(org, 'free', {})).rejects.toMatchObject({ code: 'validation_failed' })
      await expect(
        admin.teams.create(org, { name: 'X', organizationId: 'org_x' } as { name: string }),
      ).rejects.toMatchObject({ code: 'validation_failed' })
      expect((await admin.organizations.get(org)).teamCount).toBe(before)
      expect((await admin.teams.get(org, 'free')).slug).toBe('free')
      await admin.teams.delete(org, 'taken')
      await admin.teams.delete(org, 'free')

      const personal = createOrgkit({ storage: env.storage, personalOrganizations: true })
      const mine = (await personal.as(user('outsider')).organizations.list()).data.find((o) => o.type === 'personal')!
      await expect(personal.as(user('outsider')).teams.create(mine.id, { name: 'Solo' })).rejects.toMatchObject({
        code: 'conflict',
      })
      expect((await personal.as(user('outsider')).organizations.get(mine.id)).teamCount).toBe(0)
    })

    it('adds only organization members, with team roles, keeping memberCount', async () => {
      const admin = orgkit.as(user('admin'))
      const team = await admin.teams.create(org, { name: 'Roster' })
      const added = await admin.teams.members.add(org, 'roster', { userId: 'lead', role: 'lead' })
      expect(added).toMatchObject({
        teamId: team.id,
        userId: 'lead',
        role: 'lead',
        user: { id: 'lead', email: 'lead@example.com', username: 'lead', name: 'Name lead' },
      })
      // Without a role the configured default team role.
      expect((await admin.teams.members.add(org, team.id, { userId: 'plain' })).role).toBe('member')
      expect((await admin.teams.get(org, 'roster')).memberCount).toBe(2)

      await expect(admin.teams.members.add(org, 'roster', { userId: 'outsider' })).rejects.toMatchObject({
        code: 'not_found',
        message: 'Member not found.',
      })
      await expect(admin.teams.members.add(org, 'roster', { userId: 'rival' })).rejects.toMatchObject({
        code: 'not_found',
      })
      await expect(admin.teams.members.add(org, 'roster', { userId: 'plain' })).rejects.toMatchObject({
        code: 'conflict',
      })
      const unknownRole = await refusal(admin.teams.members.add(org, 'roster', { userId: 'joiner', role: 'captain' }))
      expect(unknownRole).toMatchObject({ code: 'validation_failed', details: [{ path: 'role' }] })
      expect((await admin.teams.get(org, 'roster')).memberCount).toBe(2)

      const listed = await admin.teams.members.list(org, 'roster')
      expect(listed.data.map((m) => [m.userId, m.role])).toEqual([
        ['lead', 'lead'],
        ['plain', 'member'],
      ])
      expect((await admin.teams.members.update(org, 'roster', 'plain', { role: 'lead' })).role).toBe('lead')
      expect((await admin.teams.members.get(org, 'roster', 'plain')).role).toBe('lead')
      await admin.teams.members.update(org, 'roster', 'plain', { role: 'member' })
      await admin.teams.members.remove(org, 'roster', 'plain')
      await expect(admin.teams.members.get(org, 'roster', 'plain')).rejects.toMatchObject({ code: 'not_found' })
      await expect(admin.teams.members.remove(org, 'roster', 'plain')).rejects.toMatchObject({ code: 'not_found' })
      expect((await admin.teams.get(org, 'roster')).memberCount).toBe(1)
      // Still a member of the organization.
      expect((await admin.members.get(org, 'plain')).role).toBe('member')

      const events = (await admin.audit.list(org, { limit: 6 })).data
        .filter((e) => e.action.startsWith('team_member.'))
        .map((e) => [e.action, e.target.id, e.changes])
      expect(events).toEqual([
        ['team_member.removed', 'plain', { teamId: team.id, role: 'member' }],
        ['team_member.updated', 'plain', { teamId: team.id, role: { from: 'lead', to: 'member' } }],
        ['team_member.updated', 'plain', { teamId: team.id, role: { from: 'member', to: 'lead' } }],
        ['team_member.added', 'plain', { teamId: team.id, role: 'member' }],
        ['team_member.added', 'lead', { teamId: team.id, role: 'lead' }],
      ])
      await admin.teams.delete(org, 'roster')
    })

    it('removing an organization member takes them out of every team, in the same transaction', async () => {
      const owner = orgkit.as(user('owner'))
      await owner.members.add(org, { userId: 'outsider' })
      await owner.teams.create(org, { name: 'Left A', slug: 'left-a' })
      await owner.teams.create(org, { name: 'Left B', slug: 'left-b' })
      await owner.teams.members.add(org, 'left-a', { userId: 'outsider', role: 'lead' })
      await owner.teams.members.add(org, 'left-b', { userId: 'outsider' })
      await owner.teams.members.add(org, 'left-b', { userId: 'joiner' })
      expect((await orgkit.as(user('outsider')).organizations.permissions(org)).teams).toHaveLength(2)

      // A veto on the removal rolls everything back: the team memberships stay too.
      const vetoing = createOrgkit({
        storage: env.storage,
        permissions: ['projects.update'],
        teamRoles: { lead: { grants: ['teams.read'] }, member: { grants: ['teams.read'] } },
      })
      vetoing.before('member.removed', () => {
        throw new Error('vetoed')
      })
      await expect(vetoing.as(user('owner')).members.remove(org, 'outsider')).rejects.toThrow('vetoed')
      expect((await owner.teams.get(org, 'left-b')).memberCount).toBe(2)
      expect((await owner.teams.members.get(org, 'left-a', 'outsider')).role).toBe('lead')

      await owner.members.remove(org, 'outsider')
      expect((await owner.teams.get(org, 'left-a')).memberCount).toBe(0)
      expect((await owner.teams.get(org, 'left-b')).memberCount).toBe(1)
      expect((await owner.teams.members.list(org, 'left-b')).data.map((m) => m.userId)).toEqual(['joiner'])
      await expect(owner.teams.members.get(org, 'left-a', 'outsider')).rejects.toMatchObject({ code: 'not_found' })
      // Joining again starts without the old team memberships.
      await owner.members.add(org, { userId: 'outsider' })
      expect((await orgkit.as(user('outsider')).organizations.permissions(org)).teams).toEqual([])
      await owner.members.remove(org, 'outsider')
      await owner.teams.delete(org, 'left-a')
      await owner.teams.delete(org, 'left-b')
    })

    it("lets a lead manage their own team's members and nothing of another team", async () => {
      const admin = orgkit.as(user('admin'))
      await admin.teams.create(org, { name: 'Alpha', slug: 'alpha' })
      await admin.teams.create(org, { name: 'Beta', slug: 'beta' })
      await admin.teams.members.add(org, 'alpha', { userId: 'lead', role: 'lead' })
      await admin.teams.members.add(org, 'alpha', { userId: 'plain' })
      await admin.teams.members.add(org, 'beta', { userId: 'plain' })

      const lead = orgkit.as(user('lead'))
      expect((await lead.teams.members.add(org, 'alpha', { userId: 'joiner' })).role).toBe('member')
      expect((await lead.teams.members.update(org, 'alpha', 'joiner', { role: 'lead' })).role).toBe('lead')
      await lead.teams.members.remove(org, 'alpha', 'joiner')
      expect((await lead.teams.update(org, 'alpha', { description: 'Led' })).description).toBe('Led')
      // No escalation: the manager team role holds teams.delete, which the lead does not.
      await expect(lead.teams.members.add(org, 'alpha', { userId: 'joiner', role: 'manager' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(lead.teams.delete(org, 'alpha')).rejects.toMatchObject({ code: 'forbidden' })
      await expect(lead.teams.create(org, { name: 'Mine' })).rejects.toMatchObject({ code: 'forbidden' })

      // Another team: 403 for every change.
      await expect(lead.teams.members.add(org, 'beta', { userId: 'joiner' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(lead.teams.members.update(org, 'beta', 'plain', { role: 'lead' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(lead.teams.members.remove(org, 'beta', 'plain')).rejects.toMatchObject({ code: 'forbidden' })
      await expect(lead.teams.update(org, 'beta', { name: 'Mine now' })).rejects.toMatchObject({ code: 'forbidden' })

      // A plain team member (and plain organization member) changes nothing.
      const plain = orgkit.as(user('plain'))
      await expect(plain.teams.members.add(org, 'alpha', { userId: 'joiner' })).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(plain.teams.members.remove(org, 'alpha', 'lead')).rejects.toMatchObject({ code: 'forbidden' })
      await expect(plain.teams.update(org, 'alpha', { name: 'Plain' })).rejects.toMatchObject({ code: 'forbidden' })
      // …but reads, with the organization role `member` (teams.read).
      expect((await plain.teams.members.list(org, 'beta')).data.map((m) => m.userId)).toEqual(['plain'])

      expect((await admin.teams.get(org, 'alpha')).memberCount).toBe(2)
      expect((await admin.teams.get(org, 'beta')).memberCount).toBe(1)
      expect((await admin.teams.get(org, 'beta')).name).toBe('Beta')
    })

    it('answers team-scoped checks through the team role, and lists team roles in the permission map', async () => {
      const alpha = await orgkit.as(user('admin')).teams.get(org, 'alpha')
      const beta = await orgkit.as(user('admin')).teams.get(org, 'beta')
      const lead = orgkit.as(user('lead'))
      expect(await lead.can(org, 'projects.update', { teamId: alpha.id })).toBe(true)
      expect(await lead.can(org, 'projects.update', { teamId: 'alpha' })).toBe(true)
      expect(await lead.can(org, 'projects.update', { teamId: beta.id })).toBe(false)
      expect(await lead.can(org, 'projects.update')).toBe(false)
      expect(await orgkit.as(user('plain')).can(org, 'projects.update', { teamId: alpha.id })).toBe(false)
      // The admin holds it through the organization role, in any team.
      expect(await orgkit.as(user('admin')).can(org, 'projects.update', { teamId: beta.id })).toBe(true)

      const map = await lead.organizations.permissions(org)
      expect(map.role).toBe('member')
      expect(map.permissions).not.toContain('projects.update')
      expect(map.teams).toEqual([
        { teamId: alpha.id, role: 'lead', permissions: expect.arrayContaining(['projects.update', 'teams.update']) },
      ])
    })

    it('joins the teams an invitation names on accept, and refuses another organization’s team', async () => {
      const owner = orgkit.as(user('owner'))
      const alpha = await owner.teams.get(org, 'alpha')
      const foreign = await orgkit.as(user('rival')).teams.create(other, { name: 'Foreign' })

      const refused = await refusal(
        owner.invitations.create(org, { email: 'invitee@example.com', teamIds: [alpha.id, foreign.id] }),
      )
      expect(refused).toMatchObject({ code: 'not_found', message: 'Team not found.' })
      expect((await owner.invitations.list(org)).data.filter((i) => i.email === 'invitee@example.com')).toEqual([])

      const invitation = await owner.invitations.create(org, { email: 'invitee@example.com', teamIds: [alpha.id] })
      await orgkit.as(user('invitee', { email: 'invitee@example.com' })).invitations.accept({ token: invitation.token })
      const joined = await owner.teams.members.get(org, 'alpha', 'invitee')
      expect(joined.role).toBe('member')
      expect((await owner.teams.get(org, 'alpha')).memberCount).toBe(3)
      expect((await orgkit.as(user('invitee')).organizations.permissions(org)).teams).toEqual([
        { teamId: alpha.id, role: 'member', permissions: ['teams.read'] },
      ])
    })

    it("answers another organization's team exactly as a nonexistent one", async () => {
      const foreign = await orgkit.as(user('rival')).teams.get(other, 'foreign')
      const owner = orgkit.as(user('owner'))
      const missing = await refusal(owner.teams.get(org, 'team_doesnotexist0000000'))
      expect(missing).toEqual({ code: 'not_found', message: 'Team not found.', details: undefined })
      expect(await refusal(owner.teams.get(org, foreign.id))).toEqual(missing)
      expect(await refusal(owner.teams.get(org, 'foreign'))).toEqual(missing)
      expect(await refusal(owner.teams.update(org, foreign.id, { name: 'Mine' }))).toEqual(missing)
      expect(await refusal(owner.teams.delete(org, foreign.id))).toEqual(missing)
      expect(await refusal(owner.teams.members.list(org, foreign.id))).toEqual(missing)
      expect(await refusal(owner.teams.members.add(org, foreign.id, { userId: 'plain' }))).toEqual(missing)
      expect(await refusal(owner.teams.members.remove(org, foreign.id, 'rival'))).toEqual(missing)
      expect(await orgkit.as(user('owner')).can(org, 'teams.read', { teamId: foreign.id })).toBe(false)
      // And the other organization itself is not the owner's to see.
      expect(await refusal(owner.teams.list(other))).toMatchObject({ code: 'not_found' })
      expect((await orgkit.as(user('rival')).teams.get(other, foreign.id)).name).toBe('Foreign')
    })

    it('never exceeds teamsPerOrganization, also under concurrent creates', async () => {
      const limited = createOrgkit({ storage: env.storage, limits: { teamsPerOrganization: 3 } })
      const owner = limited.as(user('owner'))
      const created = await owner.organizations.create({ name: 'Limited Teams' })
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => owner.teams.create(created.id, { name: `Squad ${i}` })),
      )
      const fulfilled = results.filter((r) => r.status === 'fulfilled')
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(fulfilled).toHaveLength(3)
      expect(rejected.map((r) => (r.reason as { code: string }).code)).toEqual(Array(7).fill('limit_exceeded'))
      expect((await owner.organizations.get(created.id)).teamCount).toBe(3)
      expect((await owner.teams.list(created.id)).data).toHaveLength(3)
      // A deleted team frees its place.
      await owner.teams.delete(created.id, (await owner.teams.list(created.id)).data[0]!.id)
      await expect(owner.teams.create(created.id, { name: 'Squad again' })).resolves.toMatchObject({ memberCount: 0 })
    })
  })
}
