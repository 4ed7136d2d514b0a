import { createOrgkit, ORGKIT_PERMISSIONS, type Orgkit } from '@orgkit/core'
import { dispatch, type RouteDefinition, requiredPermission, routes } from '@orgkit/core/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStorageUnderTest, type StorageUnderTest } from './support/storages'

/**
 * Each route's published requirement (`rule`, `x-orgkit-permission`) is the one the core
 * enforces when the route runs: a caller lacking exactly the published permission is
 * refused for that permission, whatever else it holds. A route whose rule drifted from
 * its service's check fails here.
 */

const OWNER = 'rr_owner'
const ADMIN = 'rr_admin'
const PLAIN = 'rr_plain'
const MEMBER = 'rr_member'
const OUTSIDER = 'rr_outsider'
const SLUG = 'rules'

/** A valid body per operation: the requirement is checked after the body is validated. */
const BODIES: Record<string, unknown> = {
  createOrganization: { name: 'Another' },
  updateOrganization: { name: 'Renamed' },
  transferOwnership: { userId: ADMIN },
  addMember: { userId: OUTSIDER, role: 'member' },
  updateMember: { role: 'admin' },
  createRole: { key: 'fresh', name: 'Fresh', permissions: ['members.read'] },
  updateRole: { name: 'Renamed' },
  createInvitation: { email: 'newcomer@example.com', role: 'member' },
  createTeam: { name: 'Another team' },
  updateTeam: { name: 'Renamed team' },
  addTeamMember: { userId: ADMIN, role: 'member' },
  updateTeamMember: { role: 'lead' },
  createApiKey: { name: 'Another key', role: 'member' },
}

describe('route rules', () => {
  let env: StorageUnderTest
  let orgkit: Orgkit
  let values: Record<string, string>
  let token: string

  beforeAll(async () => {
    env = await memoryStorageUnderTest()
    for (const id of [OWNER, ADMIN, PLAIN, MEMBER, OUTSIDER]) await env.addUser({ id, email: `${id}@example.com` })
    orgkit = createOrgkit({ storage: env.storage })
    const owner = orgkit.as({ type: 'user', userId: OWNER })
    await owner.organizations.create({ name: 'Rules', slug: SLUG })
    await owner.roles.create(SLUG, { key: 'nothing', name: 'Nothing', permissions: [] })
    await owner.roles.create(SLUG, { key: 'custom', name: 'Custom', permissions: ['members.read'] })
    await owner.members.add(SLUG, { userId: ADMIN, role: 'admin' })
    await owner.members.add(SLUG, { userId: PLAIN, role: 'nothing' })
    await owner.members.add(SLUG, { userId: MEMBER, role: 'member' })
    await owner.teams.create(SLUG, { name: 'Squad', slug: 'squad' })
    await owner.teams.members.add(SLUG, 'squad', { userId: MEMBER, role: 'member' })
    const invitation = await owner.invitations.create(SLUG, { email: `${OUTSIDER}@example.com`, role: 'member' })
    token = invitation.token
    const key = await owner.apiKeys.create(SLUG, { name: 'Listed', role: 'member' })
    values = { org: SLUG, userId: MEMBER, team: 'squad', key: 'custom' }
    values.invitation = invitation.id
    values.apiKey = key.id
  })
  afterAll(() => env?.destroy())

  function url(route: RouteDefinition): string {
    return route.path.replace(/:(\w+)/g, (_, param: string) => {
      if (param === 'id') return route.path.includes('/invitations/') ? values.invitation! : values.apiKey!
      return values[param]!
    })
  }

  function call(route: RouteDefinition, caller: { apiKey?: string; userId?: string }) {
    const body = ['previewInvitation', 'acceptInvitation', 'declineInvitation'].includes(route.operationId)
      ? { token }
      : BODIES[route.operationId]
    return dispatch(orgkit, {
      method: route.method,
      url: url(route),
      basePath: '',
      body: route.body ? { kind: 'parsed', value: body } : undefined,
      authorization: caller.apiKey === undefined ? undefined : `Bearer ${caller.apiKey}`,
      resolveActor: () => (caller.userId === undefined ? null : { type: 'user', userId: caller.userId }),
    })
  }

  /** A key of the organization holding every built-in permission but `missing` (`''`: all of them). */
  async function keyWithout(missing: string): Promise<string> {
    const permissions = ORGKIT_PERMISSIONS.filter((permission) => permission !== missing)
    const owner = orgkit.as({ type: 'user', userId: OWNER })
    return (await owner.apiKeys.create(SLUG, { name: `without ${missing}`, permissions })).secret
  }

  it('derives every route’s published permission from its rule', () => {
    for (const route of routes) expect(route.permission, route.operationId).toBe(requiredPermission(route.rule))
  })

  it('refuses a caller lacking exactly the published permission, for that permission', async () => {
    const checked = routes.filter((route) => route.rule.kind === 'permission')
    expect(checked.length).toBeGreaterThan(25)
    for (const route of checked) {
      const permission = route.permission!
      const response = await call(route, { apiKey: await keyWithout(permission) })
      expect({ route: route.operationId, status: response.status, body: response.body }).toEqual({
        route: route.operationId,
        status: 403,
        body: { error: { code: 'forbidden', message: `This API key does not have the ${permission} permission.` } },
      })
    }
  })

  it('lets a team role count exactly where the rule says so', async () => {
    // PLAIN's organization role holds nothing; as a lead of squad, their team role holds teams.read.
    const owner = orgkit.as({ type: 'user', userId: OWNER })
    await owner.teams.members.add(SLUG, 'squad', { userId: PLAIN, role: 'lead' })
    const reads = routes.filter((route) => route.method === 'GET' && route.permission === 'teams.read')
    expect(reads.length).toBeGreaterThan(2)
    for (const route of reads) {
      const teamRole = route.rule.kind === 'permission' && route.rule.team
      const response = await call(route, { userId: PLAIN })
      expect({ route: route.operationId, status: response.status }).toEqual({
        route: route.operationId,
        status: teamRole ? 200 : 403,
      })
    }
    await owner.teams.members.remove(SLUG, 'squad', PLAIN)
  })

  it('refuses an API key where the rule asks for a signed-in user or an owner', async () => {
    const key = await keyWithout('')
    for (const route of routes.filter((r) => r.rule.kind === 'user' || r.rule.kind === 'owner')) {
      const response = await call(route, { apiKey: key })
      expect({ route: route.operationId, status: response.status }).toEqual({ route: route.operationId, status: 403 })
    }
    const transfer = routes.find((route) => route.rule.kind === 'owner')!
    const admin = await call(transfer, { userId: ADMIN })
    expect(admin.body).toEqual({ error: { code: 'forbidden', message: 'Only an owner can do this.' } })
  })

  it('lets any member, any caller or anybody in where the rule says so', async () => {
    for (const route of routes.filter((r) => ['member', 'read', 'signed-in', 'none'].includes(r.rule.kind))) {
      if (route.operationId === 'leaveOrganization') continue // answered below, as it changes the membership
      const caller = route.rule.kind === 'none' ? {} : { userId: PLAIN }
      const response = await call(route, caller)
      expect({ route: route.operationId, status: response.status }).toEqual({ route: route.operationId, status: 200 })
    }
    const leave = routes.find((route) => route.operationId === 'leaveOrganization')!
    expect(leave.rule.kind).toBe('member')
    expect((await call(leave, { userId: PLAIN })).status).toBe(204)
  })
})
