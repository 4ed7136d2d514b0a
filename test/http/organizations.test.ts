import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const ORGANIZATION_KEYS = [
  'contactEmail',
  'contactPhone',
  'createdAt',
  'description',
  'id',
  'industry',
  'logoUrl',
  'memberCount',
  'metadata',
  'name',
  'role',
  'slug',
  'teamCount',
  'timezone',
  'type',
  'updatedAt',
  'visibility',
  'websiteUrl',
]
const MEMBER_KEYS = ['joinedAt', 'organizationId', 'role', 'user', 'userId']
const USER_KEYS = ['email', 'id', 'imageUrl', 'name', 'username']
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(adapterMatrix())('organization and member routes on %s over %s', (adapter, dialect) => {
  let app: TestApp

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect)
    await app.addUser({ id: 'ann', email: 'ann@example.com', username: 'ann', name: 'Ann Owner' })
    await app.addUser({ id: 'bob', email: 'bob@example.com', username: 'bob', name: 'Bob Admin' })
    await app.addUser({ id: 'cat', email: 'cat@example.com', username: 'cat', name: 'Cat Member' })
    await app.addUser({ id: 'dan', email: 'dan@example.com', username: 'dan', name: 'Dan Outsider' })
    await app.addUser({
      id: 'eve',
      email: 'eve@example.com',
      username: 'eve',
      name: 'Eve Staff',
      platformRole: 'superadmin',
    })
  })
  afterAll(() => app?.close())

  it('creates, reads, updates and lists organizations with the exact object shape', async () => {
    const created = await app.request('POST', '/organizations', {
      as: 'ann',
      body: { name: 'Acme Rockets', timezone: 'Europe/Berlin', industry: 'technology', metadata: { plan: 'pro' } },
    })
    expect(created.status).toBe(201)
    expect(Object.keys(created.body).sort()).toEqual(ORGANIZATION_KEYS)
    expect(created.body).toMatchObject({
      slug: 'acme-rockets',
      name: 'Acme Rockets',
      type: 'team',
      visibility: 'private',
      timezone: 'Europe/Berlin',
      role: 'owner',
      memberCount: 1,
      teamCount: 0,
      metadata: { plan: 'pro' },
    })
    expect(created.body.id).toMatch(/^org_/)
    expect(created.body.createdAt).toMatch(ISO)

    const byId = await app.request('GET', `/organizations/${created.body.id}`, { as: 'ann' })
    expect(byId.status).toBe(200)
    expect(byId.body).toEqual(created.body)

    const renamed = await app.request('PATCH', '/organizations/acme-rockets', {
      as: 'ann',
      body: { slug: 'acme', description: 'We build rockets' },
    })
    expect(renamed.status).toBe(200)
    expect(renamed.body).toMatchObject({ id: created.body.id, slug: 'acme', description: 'We build rockets' })
    expect((await app.request('GET', '/organizations/acme-rockets', { as: 'ann' })).status).toBe(404)

    const mine = await app.request('GET', '/organizations', { as: 'ann' })
    expect(mine.status).toBe(200)
    expect(Object.keys(mine.body).sort()).toEqual(['data', 'hasMore', 'nextCursor', 'prevCursor'])
    expect(mine.body.data.map((o: { slug: string }) => o.slug)).toContain('acme')
    expect(mine.body.data.find((o: { slug: string }) => o.slug === 'acme').role).toBe('owner')
  })

  it('refuses unknown and forbidden body fields, bad values and bad queries with 400 and changes nothing', async () => {
    for (const field of ['id', 'organizationId', 'createdAt', 'ownerId', 'privateMetadata', 'color']) {
      const response = await app.request('POST', '/organizations', {
        as: 'ann',
        body: { name: 'Sneaky', [field]: 'x' },
      })
      expect(response.status, field).toBe(400)
      expect(response.body.error.code).toBe('validation_failed')
      expect(response.body.error.details[0].path).toContain('body')
    }
    expect(
      (await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Bad', slug: 'Not A Slug!' } })).status,
    ).toBe(400)
    expect((await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Bad', slug: 'me' } })).status).toBe(
      400,
    )
    expect(
      (await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Bad', timezone: 'Mars/Base' } })).status,
    ).toBe(400)
    expect((await app.request('POST', '/organizations', { as: 'ann', rawBody: '{"name": ' })).status).toBe(400)
    expect((await app.request('PATCH', '/organizations/acme', { as: 'ann', body: { id: 'org_x' } })).status).toBe(400)
    expect((await app.request('GET', '/organizations?limit=0', { as: 'ann' })).status).toBe(400)
    expect((await app.request('GET', '/organizations?limit=101', { as: 'ann' })).status).toBe(400)
    expect((await app.request('GET', '/organizations?cursor=garbage', { as: 'ann' })).status).toBe(400)
    expect((await app.request('GET', '/organizations?sort=name', { as: 'ann' })).status).toBe(400)
    expect((await app.request('GET', '/organizations?limit=abc', { as: 'ann' })).status).toBe(400)
    expect((await app.request('GET', '/organizations?limit=5&limit=6', { as: 'ann' })).status).toBe(400)
    const notJson = await app.request('POST', '/organizations', {
      as: 'ann',
      rawBody: 'name=Sneaky',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(notJson.status).toBe(400)
    expect(notJson.body.error.code).toBe('validation_failed')
    const bodyOnBodiless = await app.request('POST', '/organizations/acme/leave', { as: 'ann', body: { force: true } })
    expect(bodyOnBodiless.status).toBe(400)
    expect(bodyOnBodiless.body.error.code).toBe('validation_failed')
    const mine = await app.request('GET', '/organizations', { as: 'ann' })
    expect(mine.body.data.map((o: { name: string }) => o.name)).not.toContain('Sneaky')
  })

  it('routes exactly the same paths on both adapters: case-sensitive, no trailing slash', async () => {
    expect((await app.request('GET', '/industries')).status).toBe(200)
    expect((await app.request('GET', '/Industries')).status).toBe(404)
    expect((await app.request('GET', '/industries/')).status).toBe(404)
    expect((await app.request('GET', '/organizations', { as: 'ann' })).status).toBe(200)
    expect((await app.request('GET', '/organizations/', { as: 'ann' })).status).toBe(404)
    expect((await app.request('GET', '/organizations/x/members/', { as: 'ann' })).status).toBe(404)
  })

  it('answers 401 without an actor and 409 for a taken slug', async () => {
    const anonymous = await app.request('GET', '/organizations')
    expect(anonymous).toEqual({
      status: 401,
      body: { error: { code: 'unauthenticated', message: expect.any(String) } },
    })
    expect((await app.request('POST', '/organizations', { body: { name: 'X' } })).status).toBe(401)
    // Authentication comes before validation: an anonymous caller never gets a 400.
    expect((await app.request('POST', '/organizations')).status).toBe(401)
    expect((await app.request('POST', '/organizations', { body: { name: 'X', id: 'org_x' } })).status).toBe(401)
    expect((await app.request('GET', '/organizations?limit=0')).status).toBe(401)
    expect((await app.request('GET', '/organizations/acme/members', { apiKey: 'ok_nope_nope' })).status).toBe(401)
    const taken = await app.request('POST', '/organizations', { as: 'bob', body: { name: 'Other', slug: 'acme' } })
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('conflict')
  })

  it('adds, lists, reads, updates and removes members', async () => {
    const added = await app.request('POST', '/organizations/acme/members', {
      as: 'ann',
      body: { username: 'bob', role: 'admin' },
    })
    expect(added.status).toBe(201)
    expect(Object.keys(added.body).sort()).toEqual(MEMBER_KEYS)
    expect(Object.keys(added.body.user).sort()).toEqual(USER_KEYS)
    expect(added.body).toMatchObject({
      userId: 'bob',
      role: 'admin',
      user: { email: 'bob@example.com', name: 'Bob Admin' },
    })
    expect(added.body.joinedAt).toMatch(ISO)
    const byEmail = await app.request('POST', '/organizations/acme/members', {
      as: 'bob',
      body: { email: 'CAT@example.com' },
    })
    expect(byEmail.status).toBe(201)
    expect(byEmail.body).toMatchObject({ userId: 'cat', role: 'member' })
    const again = await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'cat' } })
    expect(again.status).toBe(409)
    expect(
      (await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'nobody' } })).status,
    ).toBe(404)
    expect(
      (
        await app.request('POST', '/organizations/acme/members', {
          as: 'ann',
          body: { userId: 'dan', username: 'dan' },
        })
      ).status,
    ).toBe(400)

    const page1 = await app.request('GET', '/organizations/acme/members?limit=2', { as: 'cat' })
    expect(page1.status).toBe(200)
    expect(page1.body.data).toHaveLength(2)
    expect(page1.body.hasMore).toBe(true)
    const page2 = await app.request('GET', `/organizations/acme/members?limit=2&cursor=${page1.body.nextCursor}`, {
      as: 'cat',
    })
    expect(page2.body.data).toHaveLength(1)
    expect(page2.body.hasMore).toBe(false)
    expect([...page1.body.data, ...page2.body.data].map((m: { userId: string }) => m.userId).sort()).toEqual([
      'ann',
      'bob',
      'cat',
    ])
    const back = await app.request('GET', `/organizations/acme/members?limit=2&cursor=${page2.body.prevCursor}`, {
      as: 'cat',
    })
    expect(back.body.data).toEqual(page1.body.data)
    const admins = await app.request('GET', '/organizations/acme/members?role=admin', { as: 'cat' })
    expect(admins.body.data.map((m: { userId: string }) => m.userId)).toEqual(['bob'])
    const search = await app.request('GET', '/organizations/acme/members?q=cat', { as: 'cat' })
    expect(search.body.data.map((m: { userId: string }) => m.userId)).toEqual(['cat'])

    const one = await app.request('GET', '/organizations/acme/members/cat', { as: 'bob' })
    expect(one.status).toBe(200)
    expect(one.body).toEqual(byEmail.body)
    const promoted = await app.request('PATCH', '/organizations/acme/members/cat', {
      as: 'bob',
      body: { role: 'admin' },
    })
    expect(promoted.status).toBe(200)
    expect(promoted.body.role).toBe('admin')
    expect(
      (
        await app.request('PATCH', '/organizations/acme/members/cat', {
          as: 'bob',
          body: { role: 'member', note: 'x' },
        })
      ).status,
    ).toBe(400)
    const demoted = await app.request('PATCH', '/organizations/acme/members/cat', {
      as: 'bob',
      body: { role: 'member' },
    })
    expect(demoted.body.role).toBe('member')
  })

  it('forbids members without the permission, and escalation', async () => {
    const forbidden = await app.request('POST', '/organizations/acme/members', { as: 'cat', body: { userId: 'dan' } })
    expect(forbidden.status).toBe(403)
    expect(forbidden.body.error.code).toBe('forbidden')
    expect((await app.request('PATCH', '/organizations/acme', { as: 'cat', body: { name: 'Mine now' } })).status).toBe(
      403,
    )
    expect((await app.request('DELETE', '/organizations/acme', { as: 'bob' })).status).toBe(403)
    // An admin cannot make an owner, nor change one.
    expect(
      (await app.request('PATCH', '/organizations/acme/members/cat', { as: 'bob', body: { role: 'owner' } })).status,
    ).toBe(403)
    expect(
      (await app.request('PATCH', '/organizations/acme/members/ann', { as: 'bob', body: { role: 'member' } })).status,
    ).toBe(403)
    expect((await app.request('DELETE', '/organizations/acme/members/ann', { as: 'bob' })).status).toBe(403)
    const members = await app.request('GET', '/organizations/acme/members?role=owner', { as: 'ann' })
    expect(members.body.data.map((m: { userId: string }) => m.userId)).toEqual(['ann'])
  })

  it('isolates tenants: another organization’s member and a private organization answer 404', async () => {
    const other = await app.request('POST', '/organizations', {
      as: 'dan',
      body: { name: 'Dan Corp', slug: 'dan-corp' },
    })
    expect(other.status).toBe(201)
    const outsider = await app.request('GET', '/organizations/acme', { as: 'dan' })
    expect(outsider.status).toBe(404)
    expect(outsider.body.error.code).toBe('not_found')
    expect(
      (
        await app.request(
          'GET',
          `/organizations/${(await app.request('GET', '/organizations/acme', { as: 'ann' })).body.id}`,
          { as: 'dan' },
        )
      ).status,
    ).toBe(404)
    expect((await app.request('GET', '/organizations/acme/members', { as: 'dan' })).status).toBe(404)
    // Dan's own member id asked through Acme: as nonexistent.
    expect((await app.request('GET', '/organizations/acme/members/dan', { as: 'ann' })).status).toBe(404)
    expect((await app.request('DELETE', '/organizations/acme/members/dan', { as: 'ann' })).status).toBe(404)
    expect(
      (await app.request('PATCH', '/organizations/acme/members/dan', { as: 'ann', body: { role: 'member' } })).status,
    ).toBe(404)
    expect((await app.request('GET', '/organizations/dan-corp/members/dan', { as: 'dan' })).status).toBe(200)
    expect((await app.request('GET', '/organizations/no-such-org', { as: 'ann' })).status).toBe(404)
  })

  it('serves a public organization’s public fields to non-members', async () => {
    await app.request('PATCH', '/organizations/dan-corp', {
      as: 'dan',
      body: { visibility: 'public', contactEmail: 'hq@dan.example', metadata: { secret: 1 } },
    })
    const seen = await app.request('GET', '/organizations/dan-corp', { as: 'ann' })
    expect(seen.status).toBe(200)
    expect(seen.body).toMatchObject({ slug: 'dan-corp', role: null, contactEmail: null, metadata: {} })
    expect((await app.request('GET', '/organizations/dan-corp/members', { as: 'ann' })).status).toBe(403)
    // Anyone means anyone: no sign-in needed for a public organization's public fields.
    const anonymous = await app.request('GET', '/organizations/dan-corp')
    expect(anonymous.status).toBe(200)
    expect(anonymous.body).toEqual(seen.body)
    // Everything else asks an anonymous caller to sign in, private and missing alike.
    expect((await app.request('GET', '/organizations/acme')).status).toBe(401)
    expect((await app.request('GET', '/organizations/no-such-org')).status).toBe(401)
    expect((await app.request('GET', '/organizations/me')).status).toBe(401)
    expect((await app.request('GET', '/organizations/dan-corp/members')).status).toBe(401)
  })

  it('resolves `me` from the current organization', async () => {
    const acme = await app.request('GET', '/organizations/acme', { as: 'ann' })
    const me = await app.request('GET', '/organizations/me', { as: 'ann', organization: acme.body.id })
    expect(me.status).toBe(200)
    expect(me.body.slug).toBe('acme')
    expect(
      (await app.request('GET', '/organizations/me/members', { as: 'ann', organization: acme.body.id })).status,
    ).toBe(200)
    expect((await app.request('GET', '/organizations/me', { as: 'ann' })).status).toBe(404)
  })

  it('reports the caller’s permissions', async () => {
    const member = await app.request('GET', '/organizations/acme/permissions', { as: 'cat' })
    expect(member.status).toBe(200)
    expect(member.body).toEqual({
      role: 'member',
      permissions: ['members.read', 'roles.read', 'teams.read'],
      teams: [],
    })
    const admin = await app.request('GET', '/organizations/acme/permissions', { as: 'bob' })
    expect(admin.body.permissions).toContain('members.remove')
    expect(admin.body.permissions).not.toContain('organization.delete')
  })

  it('protects the last owner on leave, demotion and removal with 409 last_owner', async () => {
    const leave = await app.request('POST', '/organizations/acme/leave', { as: 'ann' })
    expect(leave.status).toBe(409)
    expect(leave.body.error.code).toBe('last_owner')
    const demote = await app.request('PATCH', '/organizations/acme/members/ann', { as: 'ann', body: { role: 'admin' } })
    expect(demote.status).toBe(409)
    expect(demote.body.error.code).toBe('last_owner')
    const remove = await app.request('DELETE', '/organizations/acme/members/ann', { as: 'ann' })
    expect(remove.status).toBe(409)
    expect(remove.body.error.code).toBe('last_owner')
    const still = await app.request('GET', '/organizations/acme/members/ann', { as: 'ann' })
    expect(still.body.role).toBe('owner')
  })

  it('transfers ownership, lets members leave and removes members with 204', async () => {
    const transferred = await app.request('POST', '/organizations/acme/transfer-ownership', {
      as: 'ann',
      body: { userId: 'bob' },
    })
    expect(transferred.status).toBe(200)
    expect(transferred.body.role).toBe('admin')
    expect((await app.request('GET', '/organizations/acme/members/bob', { as: 'ann' })).body.role).toBe('owner')
    expect(
      (await app.request('POST', '/organizations/acme/transfer-ownership', { as: 'ann', body: { userId: 'cat' } }))
        .status,
    ).toBe(403)
    expect(
      (await app.request('POST', '/organizations/acme/transfer-ownership', { as: 'bob', body: { userId: 'dan' } }))
        .status,
    ).toBe(404)
    const left = await app.request('POST', '/organizations/acme/leave', { as: 'cat' })
    expect(left.status).toBe(204)
    expect(left.body).toBeUndefined()
    const removed = await app.request('DELETE', '/organizations/acme/members/ann', { as: 'bob' })
    expect(removed.status).toBe(204)
    expect((await app.request('GET', '/organizations/acme', { as: 'ann' })).status).toBe(404)
  })

  it('lets platform staff list all and read any organization', async () => {
    expect((await app.request('GET', '/organizations?scope=all', { as: 'ann' })).status).toBe(403)
    const all = await app.request('GET', '/organizations?scope=all', { as: 'eve' })
    expect(all.status).toBe(200)
    expect(all.body.data.map((o: { slug: string }) => o.slug)).toEqual(expect.arrayContaining(['acme', 'dan-corp']))
    expect((await app.request('GET', '/organizations/acme', { as: 'eve' })).status).toBe(200)
  })

  it('lists the audit trail newest first to holders of audit.read', async () => {
    const events = await app.request('GET', '/organizations/acme/audit-events?limit=3', { as: 'bob' })
    expect(events.status).toBe(200)
    expect(events.body.data).toHaveLength(3)
    expect(Object.keys(events.body.data[0]).sort()).toEqual([
      'action',
      'actor',
      'changes',
      'createdAt',
      'id',
      'organizationId',
      'target',
    ])
    expect(events.body.data[0].action).toBe('member.removed')
    await app.request('POST', '/organizations/acme/members', { as: 'bob', body: { userId: 'cat' } })
    expect((await app.request('GET', '/organizations/acme/audit-events', { as: 'cat' })).status).toBe(403)
  })

  it('deletes an organization with 204', async () => {
    const deleted = await app.request('DELETE', '/organizations/dan-corp', { as: 'dan' })
    expect(deleted.status).toBe(204)
    expect((await app.request('GET', '/organizations/dan-corp', { as: 'dan' })).status).toBe(404)
    expect((await app.request('DELETE', '/organizations/dan-corp', { as: 'dan' })).status).toBe(404)
  })

  it('serves the industries and the OpenAPI document of exactly the route table', async () => {
    const industries = await app.request('GET', '/industries')
    expect(industries.status).toBe(200)
    expect(industries.body.data).toContain('technology')
    const document = await app.request('GET', '/openapi.json')
    expect(document.status).toBe(200)
    expect(document.body.openapi).toBe('3.1.0')
    expect(document.body.servers).toEqual([{ url: '/api' }])
    const { routes } = await import('@orgkit/core/http')
    const operations = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort())
    const create = document.body.paths['/organizations'].post
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false)
    expect(JSON.stringify(create.requestBody)).not.toContain('privateMetadata')
  })

  it('never returns privateMetadata', async () => {
    const org = await app.orgkit
      .as({ type: 'user', userId: 'ann' })
      .organizations.create({ name: 'Secretive', privateMetadata: { stripe: 'cus_123' } })
    for (const path of [`/organizations/${org.id}`, '/organizations']) {
      const response = await app.request('GET', path, { as: 'ann' })
      expect(response.status).toBe(200)
      expect(JSON.stringify(response.body)).not.toContain('cus_123')
      expect(JSON.stringify(response.body)).not.toContain('privateMetadata')
    }
  })
})
