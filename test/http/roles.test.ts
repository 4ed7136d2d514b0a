import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapterMatrix, createTestApp, type TestApp } from './harness'

const ROLE_KEYS = ['description', 'key', 'name', 'permissions', 'shadowsSystemRole', 'system']

describe.each(adapterMatrix())('role routes on %s over %s', (adapter, dialect) => {
  let app: TestApp

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, { permissions: ['projects.read', 'projects.update'] })
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve']) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
    }
    await app.request('POST', '/organizations', { as: 'ann', body: { name: 'Acme' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'bob', role: 'admin' } })
    await app.request('POST', '/organizations/acme/members', { as: 'ann', body: { userId: 'cat' } })
    await app.request('POST', '/organizations', { as: 'eve', body: { name: 'Globex' } })
  })
  afterAll(() => app?.close())

  it('lists system roles in the list shape, with exact keys', async () => {
    const response = await app.request('GET', '/organizations/acme/roles', { as: 'cat' })
    expect(response.status).toBe(200)
    expect(Object.keys(response.body).sort()).toEqual(['data', 'hasMore', 'nextCursor', 'prevCursor'])
    expect(response.body.data.map((role: { key: string }) => role.key)).toEqual(['owner', 'admin', 'member'])
    for (const role of response.body.data) expect(Object.keys(role).sort()).toEqual(ROLE_KEYS)
  })

  it('creates, edits and deletes a custom role; 201, 200, 204', async () => {
    const created = await app.request('POST', '/organizations/acme/roles', {
      as: 'bob',
      body: { key: 'editor', name: 'Editor', description: 'Edits projects', permissions: ['projects.*'] },
    })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      key: 'editor',
      name: 'Editor',
      description: 'Edits projects',
      permissions: ['projects.read', 'projects.update'],
      system: false,
      shadowsSystemRole: false,
    })
    const assigned = await app.request('PATCH', '/organizations/acme/members/cat', {
      as: 'ann',
      body: { role: 'editor' },
    })
    expect(assigned.body.role).toBe('editor')
    const edited = await app.request('PATCH', '/organizations/acme/roles/editor', {
      as: 'ann',
      body: { permissions: ['projects.read'] },
    })
    expect(edited.status).toBe(200)
    expect(edited.body.permissions).toEqual(['projects.read'])
    const permissions = await app.request('GET', '/organizations/acme/permissions', { as: 'cat' })
    expect(permissions.body).toMatchObject({ role: 'editor', permissions: ['projects.read'] })

    const inUse = await app.request('DELETE', '/organizations/acme/roles/editor', { as: 'ann' })
    expect(inUse.status).toBe(409)
    expect(inUse.body.error.code).toBe('conflict')
    const deleted = await app.request('DELETE', '/organizations/acme/roles/editor?reassignTo=member', { as: 'ann' })
    expect(deleted.status).toBe(204)
    expect((await app.request('GET', '/organizations/acme/members/cat', { as: 'ann' })).body.role).toBe('member')
  })

  it('refuses escalation with 403, undeclared permissions and unknown fields with 400, and changes nothing', async () => {
    const before = await app.request('GET', '/organizations/acme/roles', { as: 'ann' })
    const escalate = await app.request('POST', '/organizations/acme/roles', {
      as: 'bob',
      body: { key: 'boss', name: 'Boss', permissions: ['organization.delete'] },
    })
    expect(escalate.status).toBe(403)
    expect(escalate.body.error.code).toBe('forbidden')
    const undeclared = await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: { key: 'typo', name: 'Typo', permissions: ['projects.destroy'] },
    })
    expect(undeclared.status).toBe(400)
    expect(undeclared.body.error.details[0].path).toBe('permissions.0')
    const extra = await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: { key: 'x', name: 'X', permissions: [], system: true },
    })
    expect(extra.status).toBe(400)
    const member = await app.request('POST', '/organizations/acme/roles', {
      as: 'cat',
      body: { key: 'x', name: 'X', permissions: [] },
    })
    expect(member.status).toBe(403)
    const owner = await app.request('PATCH', '/organizations/acme/roles/owner', { as: 'ann', body: { name: 'Boss' } })
    expect(owner.status).toBe(403)
    expect(await app.request('GET', '/organizations/acme/roles', { as: 'ann' })).toEqual(before)
  })

  it('refuses a permission listed twice with 400 at its index, and stores nothing', async () => {
    const response = await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: { key: 'twice', name: 'Twice', permissions: ['projects.read', 'projects.update', 'projects.read'] },
    })
    expect(response).toEqual({
      status: 400,
      body: {
        error: {
          code: 'validation_failed',
          message: expect.any(String),
          details: [{ path: 'body.permissions.2', message: expect.stringContaining('projects.read') }],
        },
      },
    })
    const roles = await app.request('GET', '/organizations/acme/roles', { as: 'ann' })
    expect(roles.body.data.map((role: { key: string }) => role.key)).not.toContain('twice')
  })

  it('a shadow shows shadowsSystemRole and applies to this organization only', async () => {
    const shadow = await app.request('POST', '/organizations/acme/roles', {
      as: 'ann',
      body: {
        key: 'member',
        name: 'Member',
        permissions: ['members.read', 'roles.read', 'teams.read', 'projects.read'],
      },
    })
    expect(shadow.status).toBe(201)
    expect(shadow.body).toMatchObject({ system: false, shadowsSystemRole: true })
    const list = await app.request('GET', '/organizations/acme/roles', { as: 'cat' })
    expect(list.body.data.map((role: { key: string }) => role.key)).toEqual(['owner', 'admin', 'member'])
    const globex = await app.request('GET', '/organizations/globex/roles', { as: 'eve' })
    expect(globex.body.data.find((role: { key: string }) => role.key === 'member').shadowsSystemRole).toBe(false)
    await app.request('DELETE', '/organizations/acme/roles/member', { as: 'ann' })
  })

  it('answers another organization’s role exactly like a nonexistent one', async () => {
    await app.request('POST', '/organizations/globex/roles', {
      as: 'eve',
      body: { key: 'globex-only', name: 'G', permissions: [] },
    })
    const foreign = await app.request('PATCH', '/organizations/acme/roles/globex-only', {
      as: 'ann',
      body: { name: 'Y' },
    })
    const missing = await app.request('PATCH', '/organizations/acme/roles/never-was', {
      as: 'ann',
      body: { name: 'Y' },
    })
    expect(foreign.status).toBe(404)
    expect(foreign.body).toEqual(missing.body)
    const outsider = await app.request('GET', '/organizations/acme/roles', { as: 'dan' })
    expect(outsider.status).toBe(404)
  })

  it('resends an invitation at POST …/invitations/{id} as well as …/resend', async () => {
    const invited = await app.request('POST', '/organizations/acme/invitations', {
      as: 'ann',
      body: { email: 'dan@example.com' },
    })
    const alias = await app.request('POST', `/organizations/acme/invitations/${invited.body.id}`, { as: 'ann' })
    expect(alias.status).toBe(200)
    expect(alias.body.id).toBe(invited.body.id)
    expect(alias.body.token).not.toBe(invited.body.token)
    const old = await app.request('POST', '/invitations/preview', { as: 'dan', body: { token: invited.body.token } })
    expect(old.status).toBe(404)
    const fresh = await app.request('POST', '/invitations/preview', { as: 'dan', body: { token: alias.body.token } })
    expect(fresh.status).toBe(200)
  })

  it('lists every route of the HTTP contract in /openapi.json', async () => {
    const document = await app.request('GET', '/openapi.json')
    const operations = new Set<string>()
    for (const [path, item] of Object.entries(document.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) operations.add(`${method.toUpperCase()} ${path}`)
    }
    const contract = [
      'GET /organizations',
      'POST /organizations',
      'GET /organizations/{org}',
      'PATCH /organizations/{org}',
      'DELETE /organizations/{org}',
      'POST /organizations/{org}/leave',
      'POST /organizations/{org}/transfer-ownership',
      'GET /organizations/{org}/permissions',
      'GET /industries',
      'GET /organizations/{org}/members',
      'POST /organizations/{org}/members',
      'GET /organizations/{org}/members/{userId}',
      'PATCH /organizations/{org}/members/{userId}',
      'DELETE /organizations/{org}/members/{userId}',
      'GET /organizations/{org}/roles',
      'POST /organizations/{org}/roles',
      'PATCH /organizations/{org}/roles/{key}',
      'DELETE /organizations/{org}/roles/{key}',
      'GET /organizations/{org}/invitations',
      'POST /organizations/{org}/invitations',
      'POST /organizations/{org}/invitations/{id}/resend',
      'DELETE /organizations/{org}/invitations/{id}',
      'GET /invitations',
      'POST /invitations/preview',
      'POST /invitations/accept',
      'POST /invitations/decline',
      'GET /organizations/{org}/teams',
      'POST /organizations/{org}/teams',
      'GET /organizations/{org}/teams/{team}',
      'PATCH /organizations/{org}/teams/{team}',
      'DELETE /organizations/{org}/teams/{team}',
      'GET /organizations/{org}/teams/{team}/members',
      'POST /organizations/{org}/teams/{team}/members',
      'PATCH /organizations/{org}/teams/{team}/members/{userId}',
      'DELETE /organizations/{org}/teams/{team}/members/{userId}',
      'GET /organizations/{org}/api-keys',
      'POST /organizations/{org}/api-keys',
      'DELETE /organizations/{org}/api-keys/{id}',
      'GET /organizations/{org}/audit-events',
      'GET /openapi.json',
    ]
    expect(contract.filter((operation) => !operations.has(operation))).toEqual([])
  })
})
