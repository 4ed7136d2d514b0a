/**
 * The two-tenant differential matrix (SPEC §2 rule 1, §6): two organizations, A and B, each
 * with an owner, an admin, a member, a team with a lead and a member, a custom role, a
 * pending invitation and an API key. Every caller of A then calls every `{org}`-scoped route
 * of the route table
 *
 * - on A, with each resource id (`:userId`, `:id`, `:team`, `:key`, and the ids a body
 *   names) taken from B, and again with a nonexistent id of the same shape;
 * - on B (by slug, by id, and as `me`), with B's real ids, and again on a nonexistent
 *   organization;
 *
 * and B's id must answer exactly as the nonexistent one: same status, same body, 404
 * `not_found` whenever the caller holds the route's permission. Nothing may change: every
 * orgkit table is compared before and after each caller's sweep.
 *
 * The routes come from the table itself, so a route added later is swept too — and fails the
 * coverage test below until it has an entry in `ROUTE_CASES` saying how to fill its body.
 * Enrollment's routes outside any organization are probed alike: withdrawing B's join
 * request (found by id alone) answers as a nonexistent one, and the caller's own join
 * requests and discoverable organizations hold nothing of B.
 */
import { createId } from '@orgkit/core'
import { type RouteDefinition, routes } from '@orgkit/core/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ORGKIT_TABLES } from '../../packages/kysely/src/schema'
import { adapterMatrix, createTestApp, type RequestOptions, type TestApp, type TestResponse } from '../http/harness'

// ── What a route's parameters and body refer to ──────────────────────────────────────

/** A reference to one resource of one organization, in the path or in the body. */
type Slot =
  | 'user'
  | 'invitation'
  | 'apiKey'
  | 'team'
  | 'role'
  | 'bodyUser'
  | 'bodyTeam'
  | 'domain'
  | 'joinRequest'
  | 'link'
type SlotValues = Record<Slot, string>

interface RouteCase {
  /** Resources the body names (the path's are read from the path). */
  bodySlots?: readonly Slot[]
  /** A valid body, so that an answer is about the ids and not a 400. */
  body?: (values: SlotValues) => unknown
}

/**
 * How to call each `{org}`-scoped route that takes a body or a resource id, by operationId.
 * A route missing here fails the coverage test: add it, with a body that would succeed if
 * the ids were the caller's own.
 */
const ROUTE_CASES: Record<string, RouteCase> = {
  // Organization-level routes (swept on B and on a nonexistent organization).
  updateOrganization: { body: () => ({ name: 'Hijacked' }) },
  transferOwnership: { bodySlots: ['bodyUser'], body: (v) => ({ userId: v.bodyUser }) },
  addMember: { body: () => ({ userId: OUTSIDER, role: 'member' }) },
  createRole: { body: () => ({ key: 'intruder', name: 'Intruder', permissions: [] }) },
  createInvitation: {
    bodySlots: ['bodyTeam'],
    body: (v) => ({ email: 'newcomer@example.com', role: 'member', teamIds: [v.bodyTeam] }),
  },
  createTeam: { body: () => ({ name: 'Intruders' }) },
  createApiKey: { body: () => ({ name: 'Intruder key', role: 'member' }) },
  // Routes with a resource in the path.
  getMember: {},
  updateMember: { body: () => ({ role: 'member' }) },
  removeMember: {},
  updateRole: { body: () => ({ name: 'Renamed' }) },
  deleteRole: {},
  resendInvitation: {},
  resendInvitationAlias: {},
  revokeInvitation: {},
  getTeam: {},
  updateTeam: { body: () => ({ name: 'Renamed' }) },
  deleteTeam: {},
  listTeamMembers: {},
  addTeamMember: { bodySlots: ['bodyUser'], body: (v) => ({ userId: v.bodyUser, role: 'member' }) },
  updateTeamMember: { body: () => ({ role: 'lead' }) },
  removeTeamMember: {},
  revokeApiKey: {},
  // Enrollment.
  addDomain: { body: () => ({ domain: 'intruder.com' }) },
  verifyDomain: {},
  updateDomain: { body: () => ({ enrollment: 'none' }) },
  removeDomain: {},
  approveJoinRequest: { body: () => ({ role: 'member' }) },
  denyJoinRequest: {},
  createInvitationLink: { body: () => ({ role: 'member' }) },
  revokeInvitationLink: {},
  // Items are answered one by one inside a 200: a foreign team in an item is checked in
  // test/http/enrollment-bulk.test.ts (it answers as a nonexistent one); here, the organization.
  bulkCreateInvitations: { body: () => ({ invitations: [{ email: 'newcomer@example.com', role: 'member' }] }) },
}

/** The slot a path parameter fills; `:id` by the collection it follows. */
function slotOfParam(route: RouteDefinition, param: string): Slot | null {
  if (param === 'org') return null
  if (param === 'userId') return 'user'
  if (param === 'team') return 'team'
  if (param === 'key') return 'role'
  if (param === 'domain') return 'domain'
  if (param === 'id') {
    const segments = route.path.split('/')
    const collection = segments[segments.indexOf(':id') - 1]
    if (collection === 'invitations') return 'invitation'
    if (collection === 'api-keys') return 'apiKey'
    if (collection === 'join-requests') return 'joinRequest'
    if (collection === 'invitation-links') return 'link'
  }
  throw new Error(`${route.operationId}: no resource known for :${param} in ${route.path}; teach slotOfParam`)
}

function pathParams(route: RouteDefinition): string[] {
  return [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1] as string)
}

function pathSlots(route: RouteDefinition): Slot[] {
  return pathParams(route).flatMap((param) => slotOfParam(route, param) ?? [])
}

const orgScoped = (route: RouteDefinition) => pathParams(route).includes('org')

/** A nonexistent id of the same shape: the type prefix kept, every letter and digit a `z`. */
function missingLike(id: string): string {
  const underscore = id.indexOf('_')
  const prefix = underscore === -1 ? '' : id.slice(0, underscore + 1)
  return prefix + id.slice(prefix.length).replace(/[A-Za-z0-9]/g, 'z')
}

// ── The two tenants ─────────────────────────────────────────────────────────────────

const OUTSIDER = 'usr_outsider'

interface Tenant {
  id: string
  slug: string
  owner: string
  admin: string
  member: string
  lead: string
  team: { id: string; slug: string }
  roleKey: string
  invitationId: string
  apiKeyId: string
  apiKey: string
  domain: string
  joinRequestId: string
  linkId: string
}

async function ok(response: Promise<TestResponse>, status: number): Promise<TestResponse> {
  const answer = await response
  if (answer.status !== status) throw new Error(`set-up: expected ${status}, got ${JSON.stringify(answer)}`)
  return answer
}

async function createTenant(app: TestApp, name: 'alpha' | 'bravo'): Promise<Tenant> {
  const user = (who: string) => `usr_${name}_${who}`
  for (const who of ['owner', 'admin', 'member', 'lead']) {
    await app.addUser({
      id: user(who),
      email: `${who}@${name}.example`,
      username: `${name}-${who}`,
      emailVerified: true,
    })
  }
  const owner = user('owner')
  const organization = await ok(app.request('POST', '/organizations', { as: owner, body: { name, slug: name } }), 201)
  const org = `/organizations/${name}`
  for (const [who, role] of [
    ['admin', 'admin'],
    ['member', 'member'],
    ['lead', 'member'],
  ] as const) {
    await ok(app.request('POST', `${org}/members`, { as: owner, body: { userId: user(who), role } }), 201)
  }
  const team = await ok(app.request('POST', `${org}/teams`, { as: owner, body: { name: `${name} squad` } }), 201)
  for (const [who, role] of [
    ['lead', 'lead'],
    ['member', 'member'],
  ] as const) {
    await ok(
      app.request('POST', `${org}/teams/${team.body.slug}/members`, { as: owner, body: { userId: user(who), role } }),
      201,
    )
  }
  const roleKey = `${name}-auditor`
  await ok(
    app.request('POST', `${org}/roles`, {
      as: owner,
      body: { key: roleKey, name: 'Auditor', permissions: ['audit.read'] },
    }),
    201,
  )
  const invitation = await ok(
    app.request('POST', `${org}/invitations`, {
      as: owner,
      body: { email: `invitee@${name}.example`, role: 'member' },
    }),
    201,
  )
  const key = await ok(
    app.request('POST', `${org}/api-keys`, { as: owner, body: { name: `${name} key`, role: 'admin' } }),
    201,
  )
  const domain = await ok(
    app.request('POST', `${org}/domains`, { as: owner, body: { domain: `${name}-corp.com` } }),
    201,
  )
  // A pending join request, written as joining a `suggest` domain would write it.
  const request = {
    id: createId('joinRequest'),
    organizationId: organization.body.id,
    userId: OUTSIDER,
    email: `outsider@${name}-corp.com`,
    domain: domain.body.domain,
    status: 'pending' as const,
    role: null,
    decidedBy: null,
    decidedAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  }
  await app.env.storage.joinRequests.insert(request)
  const link = await ok(app.request('POST', `${org}/invitation-links`, { as: owner, body: { role: 'member' } }), 201)
  return {
    id: organization.body.id,
    slug: name,
    owner,
    admin: user('admin'),
    member: user('member'),
    lead: user('lead'),
    team: { id: team.body.id, slug: team.body.slug },
    roleKey,
    invitationId: invitation.body.id,
    apiKeyId: key.body.id,
    apiKey: key.body.secret,
    domain: domain.body.domain,
    joinRequestId: request.id,
    linkId: link.body.id,
  }
}

/** Every slot filled with the tenant's own resource. */
function valuesOf(tenant: Tenant): SlotValues {
  return {
    user: tenant.member,
    invitation: tenant.invitationId,
    apiKey: tenant.apiKeyId,
    team: tenant.team.slug,
    role: tenant.roleKey,
    bodyUser: tenant.admin,
    bodyTeam: tenant.team.id,
    domain: tenant.domain,
    joinRequest: tenant.joinRequestId,
    link: tenant.linkId,
  }
}

// ── Snapshots ───────────────────────────────────────────────────────────────────────

/** Every orgkit table as sorted JSON rows: equal snapshots mean nothing was written. */
async function snapshot(app: TestApp): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {}
  for (const table of ORGKIT_TABLES) {
    const rows = await app.env.db.selectFrom(`orgkit_${table}`).selectAll().execute()
    tables[table] = rows
      .map((row) => JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)))
      .sort()
  }
  return tables
}

// ── The sweep ───────────────────────────────────────────────────────────────────────

interface Caller {
  name: string
  options: RequestOptions
  /** `{org}` spellings of A for this caller, each with the options that make it mean A. */
  spellingsOfA: { org: string; options: RequestOptions }[]
}

interface Probe {
  label: string
  route: RouteDefinition
  org: string
  options: RequestOptions
  values: SlotValues
  /** Whether the caller holds the route's permission here, so that only 404 will do. */
  mustBeNotFound: boolean
}

function fillPath(route: RouteDefinition, org: string, values: SlotValues): string {
  return route.path.replace(/:([A-Za-z]+)/g, (_match, param: string) => {
    const slot = slotOfParam(route, param)
    return encodeURIComponent(slot === null ? org : values[slot])
  })
}

function send(app: TestApp, probe: Probe): Promise<TestResponse> {
  const body = ROUTE_CASES[probe.route.operationId]?.body?.(probe.values)
  return app.request(probe.route.method, fillPath(probe.route, probe.org, probe.values), {
    ...probe.options,
    ...(body === undefined ? {} : { body }),
  })
}

/** Sends both probes; returns what is wrong, if anything. */
async function differential(app: TestApp, foreign: Probe, missing: Probe): Promise<string | null> {
  const [got, reference] = [await send(app, foreign), await send(app, missing)]
  const where = `${foreign.route.method} ${fillPath(foreign.route, foreign.org, foreign.values)} (${foreign.label})`
  if (got.status !== reference.status || JSON.stringify(got.body) !== JSON.stringify(reference.body)) {
    return `${where}: answered ${got.status} ${JSON.stringify(got.body)}, a nonexistent id answers ${reference.status} ${JSON.stringify(reference.body)}`
  }
  const notFound = got.status === 404 && got.body?.error?.code === 'not_found'
  const forbidden = got.status === 403 && got.body?.error?.code === 'forbidden'
  if (!notFound && !(forbidden && !foreign.mustBeNotFound)) {
    return `${where}: answered ${got.status} ${JSON.stringify(got.body)}${foreign.mustBeNotFound ? ' (caller holds the permission: only 404 not_found will do)' : ''}`
  }
  return null
}

/**
 * Probes in flight at once. Every probe is a refusal that must change nothing, so their order
 * does not matter; running a few side by side keeps the sweep within a minute on every
 * dialect. A probe that did write something still shows in the table comparison.
 */
const CONCURRENCY = 8

/** One caller's sweep is a few hundred requests: a second or two alone, more on a busy machine. */
const SWEEP_TIMEOUT_MS = 120_000

/** `fn` over `items`, at most `limit` at a time; results in the order of `items`. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

describe.each(adapterMatrix())('two-tenant matrix on %s over %s', (adapter, dialect) => {
  let app: TestApp
  let a: Tenant
  let b: Tenant
  let callers: Caller[]

  beforeAll(async () => {
    // A key's `lastUsedAt` is legitimately written on use; at this precision it is written
    // once (in the warm-up below) and the table comparison stays exact.
    app = await createTestApp(adapter, dialect, { apiKeys: { lastUsedPrecisionMs: 24 * 60 * 60 * 1000 } })
    await app.addUser({ id: OUTSIDER, email: 'outsider@example.com', emailVerified: true })
    a = await createTenant(app, 'alpha')
    b = await createTenant(app, 'bravo')
    const asUser = (name: string, userId: string): Caller => ({
      name,
      options: { as: userId },
      spellingsOfA: [
        // A by id is left out: the id spelling of `{org}` is covered on B below.
        { org: a.slug, options: { as: userId } },
        { org: 'me', options: { as: userId, organization: a.id } },
      ],
    })
    callers = [
      asUser('owner', a.owner),
      asUser('admin', a.admin),
      asUser('member', a.member),
      asUser('team lead', a.lead),
      {
        name: 'API key',
        options: { apiKey: a.apiKey },
        spellingsOfA: [
          { org: a.slug, options: { apiKey: a.apiKey } },
          { org: 'me', options: { apiKey: a.apiKey } },
        ],
      },
    ]
    await ok(app.request('GET', '/organizations/me/permissions', { apiKey: a.apiKey }), 200)
  })
  afterAll(() => app?.close())

  it('has a case for every org-scoped route that takes a body or names a resource, and none for others', () => {
    const needed = routes.filter(
      (route) => orgScoped(route) && (route.body !== undefined || pathSlots(route).length > 0),
    )
    const missingCases = needed.map((route) => route.operationId).filter((id) => !(id in ROUTE_CASES))
    expect(missingCases).toEqual([])
    const known = new Set(needed.map((route) => route.operationId))
    expect(Object.keys(ROUTE_CASES).filter((id) => !known.has(id))).toEqual([])
    for (const route of needed)
      expect(route.body !== undefined).toBe(ROUTE_CASES[route.operationId]?.body !== undefined)
  })

  it.each(['owner', 'admin', 'member', 'team lead', 'API key'])(
    "A's %s: B's ids and B itself answer as nonexistent ones, and nothing changes",
    async (callerName) => {
      const caller = callers.find((candidate) => candidate.name === callerName)!
      const held = await ok(app.request('GET', `/organizations/${a.slug}/permissions`, caller.options), 200)
      const orgPermissions = new Set<string>(held.body.permissions)
      const teamPermissions = new Set<string>(
        held.body.teams.find((team: { teamId: string }) => team.teamId === a.team.id)?.permissions ?? [],
      )

      // Inside A, a slot not under test holds A's own resource, so that only the one
      // foreign id can make the call fail.
      const ownValues = valuesOf(a)
      const foreignValues: Record<Slot, string[]> = {
        user: [b.member],
        invitation: [b.invitationId],
        apiKey: [b.apiKeyId],
        team: [b.team.slug, b.team.id],
        role: [b.roleKey],
        bodyUser: [b.member],
        bodyTeam: [b.team.id],
        domain: [b.domain],
        joinRequest: [b.joinRequestId],
        link: [b.linkId],
      }
      // On B, every slot holds B's own resource: what B's owner could act on.
      const bValues = valuesOf(b)

      const pairs: [foreign: Probe, missing: Probe][] = []
      for (const route of routes.filter(orgScoped)) {
        const slots = [...pathSlots(route), ...(ROUTE_CASES[route.operationId]?.bodySlots ?? [])]
        const permission = route.permission
        // A route without a permission (owner only, signed-in users only) may refuse the
        // caller first; it must still refuse B's id and a nonexistent one alike.
        const holdsIt = (values: SlotValues) =>
          permission !== null &&
          (orgPermissions.has(permission) ||
            (slots.includes('team') && values.team === a.team.slug && teamPermissions.has(permission)))

        // On A, one of B's ids at a time.
        for (const spelling of caller.spellingsOfA) {
          for (const slot of slots) {
            for (const foreignId of foreignValues[slot]) {
              const foreign = { ...ownValues, [slot]: foreignId }
              const missing = { ...ownValues, [slot]: missingLike(foreignId) }
              const probe = (values: SlotValues, label: string): Probe => ({
                label: `${caller.name} on A as ${spelling.org === 'me' ? 'me' : 'its slug'}, ${label}`,
                route,
                org: spelling.org,
                options: spelling.options,
                values,
                mustBeNotFound: holdsIt(values),
              })
              pairs.push([probe(foreign, `B's ${slot} ${foreignId}`), probe(missing, `nonexistent ${slot}`)])
            }
          }
        }

        // On B itself, with B's real ids: A's callers are not members of B, so only 404 will
        // do — except a key refused for being a key (leave, transfer) before any lookup.
        const bMustBeNotFound = caller.options.as !== undefined || permission !== null
        const onB: { org: string; missingOrg: string; options: RequestOptions; missingOptions: RequestOptions }[] = [
          { org: b.slug, missingOrg: missingLike(b.slug), options: caller.options, missingOptions: caller.options },
          { org: b.id, missingOrg: missingLike(b.id), options: caller.options, missingOptions: caller.options },
        ]
        if (caller.options.as !== undefined) {
          onB.push({
            org: 'me',
            missingOrg: 'me',
            options: { ...caller.options, organization: b.id },
            missingOptions: { ...caller.options, organization: missingLike(b.id) },
          })
        }
        for (const target of onB) {
          pairs.push([
            {
              label: `${caller.name} on B`,
              route,
              org: target.org,
              options: target.options,
              values: bValues,
              mustBeNotFound: bMustBeNotFound,
            },
            {
              label: `${caller.name} on a nonexistent organization`,
              route,
              org: target.missingOrg,
              options: target.missingOptions,
              values: bValues,
              mustBeNotFound: bMustBeNotFound,
            },
          ])
        }
      }

      const before = await snapshot(app)
      const problems = (
        await mapConcurrently(pairs, CONCURRENCY, ([foreign, missing]) => differential(app, foreign, missing))
      ).filter((problem) => problem !== null)
      const after = await snapshot(app)

      // Both reported: a wrong answer and the write it made.
      expect.soft(problems).toEqual([])
      for (const table of ORGKIT_TABLES) expect.soft(after[table], `orgkit_${table}`).toEqual(before[table])
    },
    SWEEP_TIMEOUT_MS,
  )

  // Enrollment's routes outside any organization: the requester's own join requests, found
  // by id alone, and the caller's own lists.
  it.each(['owner', 'admin', 'member', 'team lead', 'API key'])(
    "A's %s, outside any organization: B's join request answers as a nonexistent one, and its own lists hold nothing of B",
    async (callerName) => {
      const caller = callers.find((candidate) => candidate.name === callerName)!
      const signedIn = caller.options.as !== undefined
      const withdraw = routes.find((route) => route.operationId === 'withdrawJoinRequest')!
      expect(withdraw.path).toBe('/join-requests/:id')
      const probe = (joinRequest: string, label: string): Probe => ({
        label: `${caller.name}, ${label}`,
        route: withdraw,
        org: '',
        options: caller.options,
        values: { ...valuesOf(b), joinRequest },
        mustBeNotFound: signedIn,
      })
      const before = await snapshot(app)
      expect(
        await differential(
          app,
          probe(b.joinRequestId, "B's join request"),
          probe(missingLike(b.joinRequestId), 'a nonexistent one'),
        ),
      ).toBeNull()
      for (const path of ['/join-requests', '/organizations/discoverable']) {
        const listed = await app.request('GET', path, caller.options)
        // A key is no signed-in user: refused, as it is for any other organization.
        expect(listed.status, path).toBe(signedIn ? 200 : 403)
        for (const id of [b.id, b.slug, b.joinRequestId]) expect(JSON.stringify(listed.body), path).not.toContain(id)
      }
      const after = await snapshot(app)
      for (const table of ORGKIT_TABLES) expect.soft(after[table], `orgkit_${table}`).toEqual(before[table])
    },
  )
})
