import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const TEAM_KEYS = ['createdAt', 'description', 'id', 'memberCount', 'name', 'organizationId', 'slug', 'updatedAt']
const TEAM_MEMBER_KEYS = ['role', 'teamId', 'user', 'userId']
const USER_KEYS = ['email', 'id', 'imageUrl', 'name', 'username']
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(adapterMatrix())('team routes on %s over %s', (adapter, dialect) => {
  let app: TestApp
  let orgId: string

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, {
      permissions: ['projects.update'],
      teamRoles: {
        lead: { grants: ['teams.read', 'teams.update', 'projects.update'] },
        member: { grants: ['teams.read'] },
      },
      limits: { teamsPerOrganization: 3 },
    })
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve', 'ivy']) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, name: `Name ${id}`, emailVerified: true })
    }
    const org = await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Team Co', slug: 'team-co' } })
    orgId = org.body.id
    await app.request('POST', '/organizations/team-co/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations/team-co/members', { as: 'ann', body: { userId: 'cat' } })
    await app.request('POST', '/organizations/team-co/members', { as: 'ann', body: { userId: 'dan' } })
    await app.request('POST', '/organizations', { as: 'eve', body: { name: 'Elsewhere', slug: 'elsewhere' } })
  })
  afterAll(() => app?.close())

  it('creates, reads, updates and deletes teams by slug and id with the exact object shape', async () => {
    const created = await app.request('POST', '/organizations/team-co/teams', {
      as: 'bob',
      body: { name: 'Core Platform', description: 'The base' },
    })
    expect(created.status).toBe(201)
    expect(Object.keys(created.body).sort()).toEqual(TEAM_KEYS)
    expect(created.body).toMatchObject({
      organizationId: orgId,
      slug: 'core-platform',
      name: 'Core Platform',
      description: 'The base',
      memberCount: 0,
    })
    expect(created.body.id).toMatch(/^team_/)
    expect(created.body.createdAt).toMatch(ISO)
    expect(created.body.updatedAt).toMatch(ISO)

    const byId = await app.request('GET', `/organizations/team-co/teams/${created.body.id}`, { as: 'cat' })
    expect(byId.status).toBe(200)
    expect(byId.body).toEqual(created.body)
    expect((await app.request('GET', '/organizations/team-co/teams/core-platform', { as: 'cat' })).body).toEqual(
      created.body,
    )

    const patched = await app.request('PATCH', '/organizations/team-co/teams/core-platform', {
      as: 'bob',
      body: { slug: 'core', description: null },
    })
    expect(patched.status).toBe(200)
    expect(Object.keys(patched.body).sort()).toEqual(TEAM_KEYS)
    expect(patched.body).toMatchObject({ id: created.body.id, slug: 'core', description: null, name: 'Core Platform' })
    expect((await app.request('GET', '/organizations/team-co/teams/core-platform', { as: 'bob' })).status).toBe(404)

    const listed = await app.request('GET', '/organizations/team-co/teams?limit=5', { as: 'cat' })
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual({ data: [patched.body], nextCursor: null, prevCursor: null, hasMore: false })
    expect((await app.request('GET', '/organizations/team-co', { as: 'cat' })).body.teamCount).toBe(1)

    const scratch = await app.request('POST', '/organizations/team-co/teams', { as: 'bob', body: { name: 'Scratch' } })
    const removed = await app.request('DELETE', `/organizations/team-co/teams/${scratch.body.id}`, { as: 'bob' })
    expect(removed.status).toBe(204)
    expect(removed.body).toBeUndefined()
    expect((await app.request('GET', '/organizations/team-co/teams/scratch', { as: 'bob' })).status).toBe(404)
    expect((await app.request('GET', '/organizations/team-co', { as: 'cat' })).body.teamCount).toBe(1)
  })

  it('refuses unknown fields, bad slugs, taken slugs and plain members, storing nothing', async () => {
    const unknown = await app.request('POST', '/organizations/team-co/teams', {
      as: 'bob',
      body: { name: 'Sneaky', organizationId: 'org_elsewhere' },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.code).toBe('validation_failed')
    expect(unknown.body.error.details).toEqual([{ path: 'body.organizationId', message: expect.any(String) }])
    const unknownPatch = await app.request('PATCH', '/organizations/team-co/teams/core', {
      as: 'bob',
      body: { memberCount: 9 },
    })
    expect(unknownPatch.status).toBe(400)
    const unknownMember = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'bob',
      body: { userId: 'cat', teamId: 'team_x' },
    })
    expect(unknownMember.status).toBe(400)
    const badSlug = await app.request('POST', '/organizations/team-co/teams', {
      as: 'bob',
      body: { name: 'Bad', slug: 'no spaces' },
    })
    expect(badSlug.status).toBe(400)
    expect(badSlug.body.error.details[0].path).toBe('body.slug')
    const taken = await app.request('POST', '/organizations/team-co/teams', {
      as: 'bob',
      body: { name: 'Core again', slug: 'core' },
    })
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('conflict')
    const plain = await app.request('POST', '/organizations/team-co/teams', { as: 'cat', body: { name: 'Mine' } })
    expect(plain.status).toBe(403)
    expect(plain.body.error.code).toBe('forbidden')
    const teams = await app.request('GET', '/organizations/team-co/teams', { as: 'bob' })
    expect(teams.body.data.map((t: { slug: string }) => t.slug)).toEqual(['core'])
  })

  it('manages team members with roles; only organization members join', async () => {
    const added = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'bob',
      body: { userId: 'cat', role: 'lead' },
    })
    expect(added.status).toBe(201)
    expect(Object.keys(added.body).sort()).toEqual(TEAM_MEMBER_KEYS)
    expect(Object.keys(added.body.user).sort()).toEqual(USER_KEYS)
    expect(added.body).toEqual({
      teamId: (await app.request('GET', '/organizations/team-co/teams/core', { as: 'bob' })).body.id,
      userId: 'cat',
      role: 'lead',
      user: { id: 'cat', email: 'cat@example.com', username: 'cat', name: 'Name cat', imageUrl: null },
    })
    const outsider = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'bob',
      body: { userId: 'ivy' },
    })
    expect(outsider.status).toBe(404)
    expect(outsider.body).toEqual({ error: { code: 'not_found', message: 'Member not found.' } })
    const badRole = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'bob',
      body: { userId: 'dan', role: 'captain' },
    })
    expect(badRole.status).toBe(400)
    expect(badRole.body.error.details).toEqual([{ path: 'role', message: expect.any(String) }])
    const again = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'bob',
      body: { userId: 'cat' },
    })
    expect(again.status).toBe(409)

    const listed = await app.request('GET', '/organizations/team-co/teams/core/members', { as: 'dan' })
    expect(listed.status).toBe(200)
    expect(listed.body.data).toEqual([added.body])
    expect(listed.body.hasMore).toBe(false)
    expect((await app.request('GET', '/organizations/team-co/teams/core', { as: 'bob' })).body.memberCount).toBe(1)
  })

  it('lets a lead manage their own team and answers 403 on another team and to plain members', async () => {
    await app.request('POST', '/organizations/team-co/teams', { as: 'bob', body: { name: 'Other', slug: 'other' } })
    // cat leads core (previous test); dan is nobody in either team.
    const add = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'cat',
      body: { userId: 'dan' },
    })
    expect(add.status).toBe(201)
    expect(add.body.role).toBe('member')
    const promote = await app.request('PATCH', '/organizations/team-co/teams/core/members/dan', {
      as: 'cat',
      body: { role: 'lead' },
    })
    expect(promote.status).toBe(200)
    expect(Object.keys(promote.body).sort()).toEqual(TEAM_MEMBER_KEYS)
    expect(promote.body.role).toBe('lead')
    const demote = await app.request('PATCH', '/organizations/team-co/teams/core/members/dan', {
      as: 'cat',
      body: { role: 'member' },
    })
    expect(demote.body.role).toBe('member')

    const elsewhere = await app.request('POST', '/organizations/team-co/teams/other/members', {
      as: 'cat',
      body: { userId: 'dan' },
    })
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.body.error.code).toBe('forbidden')
    const asPlain = await app.request('DELETE', '/organizations/team-co/teams/core/members/cat', { as: 'dan' })
    expect(asPlain.status).toBe(403)
    const plainAdd = await app.request('POST', '/organizations/team-co/teams/core/members', {
      as: 'dan',
      body: { userId: 'ann' },
    })
    expect(plainAdd.status).toBe(403)

    const leadRemoves = await app.request('DELETE', '/organizations/team-co/teams/core/members/dan', { as: 'cat' })
    expect(leadRemoves.status).toBe(204)
    const members = await app.request('GET', '/organizations/team-co/teams/core/members', { as: 'bob' })
    expect(members.body.data.map((m: { userId: string }) => m.userId)).toEqual(['cat'])
    expect((await app.request('GET', '/organizations/team-co/teams/other', { as: 'bob' })).body.memberCount).toBe(0)
  })

  it('lists team roles in the permission map; removing the member empties it', async () => {
    const core = (await app.request('GET', '/organizations/team-co/teams/core', { as: 'bob' })).body
    const map = await app.request('GET', '/organizations/team-co/permissions', { as: 'cat' })
    expect(map.status).toBe(200)
    expect(map.body.role).toBe('member')
    expect(map.body.teams).toEqual([
      { teamId: core.id, role: 'lead', permissions: expect.arrayContaining(['projects.update', 'teams.update']) },
    ])
    expect(
      await app.orgkit.as({ type: 'user', userId: 'cat' }).can('team-co', 'projects.update', { teamId: core.id }),
    ).toBe(true)
    const other = (await app.request('GET', '/organizations/team-co/teams/other', { as: 'bob' })).body
    expect(
      await app.orgkit.as({ type: 'user', userId: 'cat' }).can('team-co', 'projects.update', { teamId: other.id }),
    ).toBe(false)

    await app.request('POST', '/organizations/team-co/members', { as: 'ann', body: { userId: 'ivy' } })
    await app.request('POST', '/organizations/team-co/teams/other/members', { as: 'bob', body: { userId: 'ivy' } })
    expect((await app.request('GET', '/organizations/team-co/teams/other', { as: 'bob' })).body.memberCount).toBe(1)
    expect((await app.request('DELETE', '/organizations/team-co/members/ivy', { as: 'ann' })).status).toBe(204)
    expect((await app.request('GET', '/organizations/team-co/teams/other', { as: 'bob' })).body.memberCount).toBe(0)
    expect((await app.request('GET', '/organizations/team-co/teams/other/members', { as: 'bob' })).body.data).toEqual(
      [],
    )
  })

  it('joins the teams of an accepted invitation and refuses another organization’s team', async () => {
    const core = (await app.request('GET', '/organizations/team-co/teams/core', { as: 'bob' })).body
    const foreign = await app.request('POST', '/organizations/elsewhere/teams', { as: 'eve', body: { name: 'Far' } })
    expect(foreign.status).toBe(201)
    const refused = await app.request('POST', '/organizations/team-co/invitations', {
      as: 'bob',
      body: { email: 'ivy@example.com', role: 'member', teamIds: [foreign.body.id] },
    })
    expect(refused.status).toBe(404)
    expect(refused.body.error.code).toBe('not_found')
    const pending = await app.request('GET', '/organizations/team-co/invitations', { as: 'bob' })
    expect(pending.body.data.filter((i: { email: string }) => i.email === 'ivy@example.com')).toEqual([])

    const invited = await app.request('POST', '/organizations/team-co/invitations', {
      as: 'bob',
      body: { email: 'ivy@example.com', role: 'member', teamIds: [core.id] },
    })
    expect(invited.status).toBe(201)
    expect(invited.body.teamIds).toEqual([core.id])
    const accepted = await app.request('POST', '/invitations/accept', {
      as: 'ivy',
      body: { token: invited.body.token },
    })
    expect(accepted.status).toBe(200)
    const joined = await app.request('GET', '/organizations/team-co/teams/core/members', { as: 'ivy' })
    expect(joined.body.data.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      ['cat', 'lead'],
      ['ivy', 'member'],
    ])
  })

  it("answers another organization's team with the same 404 as a nonexistent one", async () => {
    const foreign = (await app.request('GET', '/organizations/elsewhere/teams/far', { as: 'eve' })).body
    expect(foreign.id).toMatch(/^team_/)
    const missing = await app.request('GET', '/organizations/team-co/teams/team_doesnotexist0000000', { as: 'ann' })
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({ error: { code: 'not_found', message: 'Team not found.' } })
    for (const [method, path, body] of [
      ['GET', `/organizations/team-co/teams/${foreign.id}`, undefined],
      ['GET', '/organizations/team-co/teams/far', undefined],
      ['PATCH', `/organizations/team-co/teams/${foreign.id}`, { name: 'Mine' }],
      ['DELETE', `/organizations/team-co/teams/${foreign.id}`, undefined],
      ['GET', `/organizations/team-co/teams/${foreign.id}/members`, undefined],
      ['POST', `/organizations/team-co/teams/${foreign.id}/members`, { userId: 'bob' }],
      ['DELETE', `/organizations/team-co/teams/${foreign.id}/members/eve`, undefined],
    ] as const) {
      const answer = await app.request(method, path, { as: 'ann', body })
      expect([method, path, answer.status, answer.body]).toEqual([method, path, 404, missing.body])
    }
    expect((await app.request('GET', '/organizations/elsewhere/teams/far', { as: 'eve' })).body).toEqual(foreign)
  })

  it('answers 409 limit_exceeded past teamsPerOrganization, also to concurrent creates', async () => {
    const org = await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Crowded' } })
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        app.request('POST', `/organizations/${org.body.id}/teams`, { as: 'ann', body: { name: `Crew ${i}` } }),
      ),
    )
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3)
    const refused = answers.filter((a) => a.status !== 201)
    expect(refused.map((a) => [a.status, a.body.error.code])).toEqual(Array(7).fill([409, 'limit_exceeded']))
    expect((await app.request('GET', `/organizations/${org.body.id}`, { as: 'ann' })).body.teamCount).toBe(3)
  })

  it('documents every team route in the OpenAPI document', async () => {
    const doc = await app.request('GET', '/openapi.json')
    expect(doc.status).toBe(200)
    const teamPaths = Object.keys(doc.body.paths).filter((p) => p.includes('/teams'))
    expect(teamPaths.sort()).toEqual([
      '/organizations/{org}/teams',
      '/organizations/{org}/teams/{team}',
      '/organizations/{org}/teams/{team}/members',
      '/organizations/{org}/teams/{team}/members/{userId}',
    ])
    expect(Object.keys(doc.body.paths['/organizations/{org}/teams/{team}']).sort()).toEqual(['delete', 'get', 'patch'])
    expect(Object.keys(doc.body.paths['/organizations/{org}/teams/{team}/members/{userId}']).sort()).toEqual([
      'delete',
      'patch',
    ])
  })
})
