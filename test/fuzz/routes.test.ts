/**
 * Generated hostile input on every route of the route table, on both adapters.
 *
 * For each route, requests are generated from its zod schemas' shapes, starting from one
 * valid request and breaking one thing at a time: each body field given a value of the
 * wrong type, left out, made 100 KB long, given control or confusable characters; extra
 * fields (`organizationId`, `__proto__`, `constructor`, …); bodies nested 1,000 levels deep;
 * malformed JSON and wrong content types; query parameters repeated, unknown, malformed or
 * badly percent-encoded; path parameters with bad percent-encodings, NUL, dot segments and
 * look-alike characters. All are sent as the organization's owner. Every answer must be
 *
 * - below 500;
 * - for an error, exactly SPEC §6's shape: `{ error: { code, message, details? } }`;
 * - a 2xx only if the route's schemas accept the input (the oracle below applies the same
 *   rules the HTTP layer documents: NUL and control characters, then the schemas).
 *
 * Inputs the schemas refuse run first, between two snapshots of every orgkit table: a batch
 * answered only with 4xx must leave them equal. Inputs the schemas may accept run after.
 * Each route's batch gets an organization of its own, so a successful DELETE of one route
 * does not starve the next.
 *
 * SQLite runs the full sweep on Express and Fastify; PostgreSQL and MariaDB run the cases
 * whose answer could depend on the database (string contents and lengths, path parameters).
 */
import { createId } from '@orgkit/core'
import { assertStoredText, parseQueryString, type RouteDefinition, routes } from '@orgkit/core/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { diffSnapshots, snapshotTables } from '../faults/tables'
import { type AdapterName, createTestApp, type TestApp, type TestResponse } from '../http/harness'
import { type TestDialect, testDialects } from '../support/databases'

// ── Hostile values ──────────────────────────────────────────────────────────────────

const HUGE_BODY_STRING = 'x'.repeat(100 * 1024)
/** Under Node's 16 KB limit for a request head: a longer URL is refused before any router sees it. */
const HUGE_URL_STRING = 'a'.repeat(8 * 1024)

const CONTROL_STRINGS = ['\u0000', 'a\u0007b', '\u001b[31mred', '\ud800']
const CONFUSABLE_STRINGS = [
  '\u0430dmin', // Cyrillic а
  'ad\u200bmin', // zero-width space
  '\u202eadmin', // right-to-left override
  'ａｄｍｉｎ', // fullwidth
  '😀'.repeat(10),
]
const WRONG_TYPES: unknown[] = [null, 1.5, true, 'string', [], { a: 1 }]

function nestedObject(depth: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}
function nestedArrayText(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`
}

// ── Reading a zod schema's shape ────────────────────────────────────────────────────

// biome-ignore lint/suspicious/noExplicitAny: zod's internal definition is read structurally.
type Def = { type: string; [key: string]: any }
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def

/** The object shapes a schema accepts (a union gives one per option), wrappers removed. */
function objectShapes(schema: z.ZodType): Record<string, z.ZodType>[] {
  const def = defOf(schema)
  switch (def.type) {
    case 'object':
      return [def.shape]
    case 'union':
      return def.options.flatMap((option: z.ZodType) => objectShapes(option))
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return objectShapes(def.innerType)
    case 'pipe':
      return objectShapes(def.in)
    default:
      return []
  }
}

/** The field's base type: `string`, `number`, `enum`, `array`, `record`, `object`, … */
function baseType(schema: z.ZodType): string {
  const def = defOf(schema)
  if (['optional', 'nullable', 'default', 'readonly'].includes(def.type)) return baseType(def.innerType)
  if (def.type === 'pipe') return baseType(def.in)
  return def.type
}

/** Values of the wrong kind, and hostile values of the right kind, for one field. */
function hostileValues(schema: z.ZodType): { tag: string; value: unknown }[] {
  const type = baseType(schema)
  const values: { tag: string; value: unknown }[] = WRONG_TYPES.map((value) => ({ tag: 'wrong-type', value }))
  values.push({ tag: 'deep', value: nestedObject(1000) })
  if (type === 'string' || type === 'enum' || type === 'literal') {
    values.push({ tag: 'huge', value: HUGE_BODY_STRING })
    for (const value of CONTROL_STRINGS) values.push({ tag: 'control', value })
    for (const value of CONFUSABLE_STRINGS) values.push({ tag: 'confusable', value })
    values.push({ tag: 'proto', value: '__proto__' }, { tag: 'proto', value: 'constructor' })
  }
  if (type === 'array') {
    values.push(
      { tag: 'huge', value: Array.from({ length: 10_000 }, (_, i) => `item${i}`) },
      { tag: 'huge', value: [HUGE_BODY_STRING] },
      { tag: 'control', value: ['\u0000'] },
      { tag: 'wrong-type', value: [1, 2] },
      { tag: 'wrong-type', value: [null] },
      { tag: 'confusable', value: ['members.re\u0430d'] },
    )
  }
  if (type === 'record' || type === 'object') {
    values.push(
      { tag: 'proto', value: JSON.parse('{"__proto__":{"polluted":true}}') },
      { tag: 'proto', value: { constructor: { prototype: { polluted: true } } } },
      { tag: 'huge', value: { [HUGE_BODY_STRING]: 1 } },
      { tag: 'huge', value: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])) },
      { tag: 'control', value: { 'a\u0000': 1 } },
      { tag: 'control', value: { a: '\u0000' } },
    )
  }
  if (type === 'number' || type === 'int') {
    values.push({ tag: 'wrong-type', value: '1' }, { tag: 'wrong-type', value: Number.MAX_SAFE_INTEGER + 2 })
  }
  return values
}

// ── Requests and the oracle ─────────────────────────────────────────────────────────

interface Case {
  tag: string
  /** Set when sent: the route's method. */
  method?: string
  /** Path below the mount prefix, segments already percent-encoded as sent. */
  path: string
  /** The decoded parameters the server should see, or `null` if the path is not valid percent-encoding. */
  params: Record<string, string> | null
  /** Raw query string without `?`. */
  query: string
  /** `undefined`: no body. */
  rawBody?: string
  contentType?: string
}

/** Whether the route's schemas (and the HTTP layer's text rules) accept the input: only then may it succeed. */
function schemaAccepts(route: RouteDefinition, c: Case): boolean {
  if (c.params === null) return false
  let query: Record<string, unknown>
  try {
    query = parseQueryString(c.query)
  } catch {
    return false
  }
  let body: unknown
  if (route.method !== 'GET' && c.rawBody !== undefined && c.rawBody.trim() !== '') {
    if (c.contentType === undefined || !/^application\/json(;\s*charset=utf-8)?$/i.test(c.contentType)) return false
    try {
      // A leading byte order mark is dropped when the body is decoded, as RFC 8259 allows.
      body = JSON.parse(c.rawBody.replace(/^\ufeff/, ''))
    } catch {
      return false
    }
  }
  try {
    assertStoredText({ path: c.params, query, body })
  } catch {
    return false
  }
  if (route.params && !route.params.safeParse(c.params).success) return false
  if (!(route.query ?? z.strictObject({})).safeParse(query).success) return false
  if (route.body) return route.body.safeParse(body).success
  return body === undefined || body === null || (typeof body === 'object' && Object.keys(body as object).length === 0)
}

/** SPEC §6: `{ error: { code, message, details? } }` and nothing else. */
function expectErrorShape(response: TestResponse, where: string): void {
  const body = response.body
  expect(body !== null && typeof body === 'object' && !Array.isArray(body), `${where}: a JSON object`).toBe(true)
  expect(Object.keys(body), where).toEqual(['error'])
  const error = body.error
  expect(typeof error.code, where).toBe('string')
  expect(typeof error.message, where).toBe('string')
  const keys = Object.keys(error)
  expect(
    keys.every((key) => ['code', 'message', 'details'].includes(key)),
    `${where}: ${keys.join(',')}`,
  ).toBe(true)
  if ('details' in error) {
    expect(Array.isArray(error.details), where).toBe(true)
    for (const detail of error.details) {
      expect(typeof detail.path, where).toBe('string')
      expect(typeof detail.message, where).toBe('string')
    }
  }
}

// ── A tenant per route batch ────────────────────────────────────────────────────────

interface Tenant {
  slug: string
  values: Record<string, string>
  inviteToken: string
}

const OWNER = 'fz_owner'
const ADMIN = 'fz_admin'
const MEMBER = 'fz_member'
const OUTSIDER = 'fz_outsider'

let tenantCounter = 0

async function createTenant(app: TestApp): Promise<Tenant> {
  tenantCounter += 1
  const slug = `fuzz-${tenantCounter}`
  const owner = app.orgkit.as({ type: 'user', userId: OWNER, email: `${OWNER}@example.com` })
  await owner.organizations.create({ name: `Fuzz ${tenantCounter}`, slug })
  await owner.members.add(slug, { userId: ADMIN, role: 'admin' })
  await owner.members.add(slug, { userId: MEMBER, role: 'member' })
  await owner.roles.create(slug, { key: 'fz-role', name: 'Fuzz role', permissions: ['members.read'] })
  const team = await owner.teams.create(slug, { name: 'Squad', slug: 'squad' })
  await owner.teams.members.add(slug, 'squad', { userId: MEMBER, role: 'member' })
  const invitation = await owner.invitations.create(slug, { email: `invitee${tenantCounter}@example.com` })
  const key = await owner.apiKeys.create(slug, { name: 'Fuzz key', role: 'member' })
  const domain = await owner.domains.add(slug, { domain: `${slug}.example.com` })
  const organizationId = (await app.env.storage.organizations.findBySlug(slug))?.id as string
  const link = await owner.invitationLinks.create(slug, { role: 'member' })
  // A pending join request, as joining a `suggest` domain writes one.
  const joinRequest = createId('joinRequest')
  await app.env.storage.joinRequests.insert({
    id: joinRequest,
    organizationId,
    userId: OUTSIDER,
    email: `${OUTSIDER}@${domain.domain}`,
    domain: domain.domain,
    status: 'pending',
    role: null,
    decidedBy: null,
    decidedAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  })
  return {
    slug,
    inviteToken: invitation.token,
    values: {
      org: slug,
      userId: MEMBER,
      team: team.slug,
      key: 'fz-role',
      invitation: invitation.id,
      apiKey: key.id,
      domain: domain.domain,
      joinRequest,
      link: link.id,
    },
  }
}

/** A valid body per route, by operationId: the starting point the generated bodies break one field of. */
function validBody(route: RouteDefinition, tenant: Tenant): Record<string, unknown> | undefined {
  const bodies: Record<string, Record<string, unknown>> = {
    createOrganization: { name: 'Fuzzed Co' },
    updateOrganization: { name: 'Fuzzed name' },
    transferOwnership: { userId: ADMIN },
    addMember: { userId: OUTSIDER, role: 'member' },
    updateMember: { role: 'admin' },
    createRole: { key: 'fz-new', name: 'New', permissions: ['members.read'] },
    updateRole: { name: 'Renamed' },
    createInvitation: { email: 'newcomer@example.com', role: 'member' },
    previewInvitation: { token: tenant.inviteToken },
    acceptInvitation: { token: tenant.inviteToken },
    declineInvitation: { token: tenant.inviteToken },
    createTeam: { name: 'Another team' },
    updateTeam: { name: 'Renamed team' },
    addTeamMember: { userId: ADMIN, role: 'member' },
    updateTeamMember: { role: 'lead' },
    createApiKey: { name: 'Another key', role: 'member' },
    addDomain: { domain: 'fuzzed.example.com' },
    updateDomain: { enrollment: 'none', role: 'member' },
    approveJoinRequest: { role: 'member' },
    createInvitationLink: { role: 'member', maxUses: 3 },
    bulkCreateInvitations: { invitations: [{ email: 'bulk@example.com', role: 'member' }] },
  }
  if (!route.body) return undefined
  const body = bodies[route.operationId]
  if (body === undefined) throw new Error(`${route.operationId}: no valid body known; add one to validBody`)
  return body
}

function paramValue(route: RouteDefinition, param: string, tenant: Tenant): string {
  if (param === 'id') {
    const segments = route.path.split('/')
    const collection = segments[segments.indexOf(':id') - 1]
    if (collection === 'join-requests') return tenant.values.joinRequest!
    if (collection === 'invitation-links') return tenant.values.link!
    return collection === 'invitations' ? tenant.values.invitation! : tenant.values.apiKey!
  }
  const value = tenant.values[param]
  if (value === undefined) throw new Error(`${route.operationId}: no value known for :${param}; add one to the tenant`)
  return value
}

const pathParams = (route: RouteDefinition) => [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string)

/** Builds the path with `overrides` (already encoded) in place of some parameters. */
function buildPath(route: RouteDefinition, tenant: Tenant, overrides: Record<string, string> = {}): Case['path'] {
  return route.path.replace(
    /:([A-Za-z]+)/g,
    (_, param: string) => overrides[param] ?? encodeURIComponent(paramValue(route, param, tenant)),
  )
}

function decodedParams(route: RouteDefinition, tenant: Tenant, overrides: Record<string, string> = {}) {
  const params: Record<string, string> = {}
  for (const param of pathParams(route)) {
    const raw = overrides[param]
    if (raw === undefined) params[param] = paramValue(route, param, tenant)
    else {
      try {
        params[param] = decodeURIComponent(raw)
      } catch {
        return null
      }
    }
  }
  return params
}

const HOSTILE_SEGMENTS = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%00',
  'a%00b',
  '%07',
  '%1B',
  '%0A',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '%2F',
  'a%2Fb',
  '%20',
  encodeURIComponent('\u0430cme'),
  encodeURIComponent('fuzz\u200b'),
  encodeURIComponent('\u202efuzz'),
  'FUZZ',
  encodeURIComponent('😀'),
  HUGE_URL_STRING,
  'me',
  '*',
  '%2A',
]

const QUERY_VALUES = [
  '',
  'abc',
  '0',
  '-1',
  '101',
  '1e3',
  '1.5',
  '0x10',
  '%zz',
  '%',
  '%00',
  '%0A',
  '%ED%A0%80',
  encodeURIComponent('\u0430dmin'),
  HUGE_URL_STRING,
  '__proto__',
]

/** Every generated case of one route, split into those whose input the schemas refuse and the rest. */
function generateCases(route: RouteDefinition, tenant: Tenant): Case[] {
  const cases: Case[] = []
  const path = buildPath(route, tenant)
  const params = decodedParams(route, tenant)
  const body = validBody(route, tenant)
  const json = 'application/json'
  const withBody = (tag: string, value: unknown): Case => ({
    tag,
    path,
    params,
    query: '',
    rawBody: JSON.stringify(value),
    contentType: json,
  })

  // The path: each parameter replaced by each hostile segment.
  for (const param of pathParams(route)) {
    for (const segment of HOSTILE_SEGMENTS) {
      const overrides = { [param]: segment }
      cases.push({
        tag: 'path',
        path: buildPath(route, tenant, overrides),
        params: decodedParams(route, tenant, overrides),
        query: '',
        ...(body === undefined ? {} : { rawBody: JSON.stringify(body), contentType: json }),
      })
    }
  }

  // The query: each known parameter given each hostile value, repeated, and unknown parameters.
  const queryFields = route.query ? Object.keys(objectShapes(route.query)[0] ?? {}) : []
  const queries = [
    'unknown=1',
    '__proto__=1',
    '__proto__[role]=owner',
    'constructor=1',
    'constructor.prototype.polluted=1',
    'toString=1',
    '%zz=1',
    '=1',
    '&&&',
    `${HUGE_URL_STRING}=1`,
  ]
  for (const field of queryFields) {
    for (const value of QUERY_VALUES) queries.push(`${field}=${value}`)
    queries.push(`${field}=1&${field}=2`, `${field}[]=1`, field)
  }
  for (const query of queries) {
    cases.push({
      tag: 'query',
      path,
      params,
      query,
      ...(body === undefined ? {} : { rawBody: JSON.stringify(body), contentType: json }),
    })
  }

  if (route.method === 'GET') return cases

  // The body as a whole.
  for (const value of [null, 0, 'text', true, [], [body ?? {}], nestedObject(1000)]) {
    cases.push(withBody('body-type', value))
  }
  cases.push({ tag: 'deep', path, params, query: '', rawBody: nestedArrayText(1000), contentType: json })
  cases.push(withBody('missing', {}))
  const base = body ?? {}
  for (const [field, value] of [
    ['organizationId', 'org_other'],
    ['id', 'org_other'],
    ['createdAt', '2000-01-01T00:00:00Z'],
    ['ownerId', OUTSIDER],
    ['role', 'owner'],
    ['constructor', { prototype: { polluted: true } }],
    ['prototype', { polluted: true }],
    [HUGE_BODY_STRING, 1],
    ['a\u0000', 1],
  ] as const) {
    cases.push(withBody('extra', { ...base, [field]: value }))
  }
  // `__proto__` as an own key, as JSON.parse makes it.
  const baseJson = JSON.stringify(base)
  cases.push({
    tag: 'proto',
    path,
    params,
    query: '',
    contentType: json,
    rawBody: `{"__proto__":{"role":"owner","polluted":true}${baseJson === '{}' ? '' : `,${baseJson.slice(1, -1)}`}}`,
  })

  // Each field of the schema: left out, or given each hostile value.
  const shapes = route.body ? objectShapes(route.body) : []
  for (const shape of shapes) {
    for (const [field, schema] of Object.entries(shape)) {
      const { [field]: _left, ...without } = base
      cases.push(withBody('missing', without))
      for (const { tag, value } of hostileValues(schema)) cases.push(withBody(tag, { ...base, [field]: value }))
    }
  }

  // Malformed JSON and wrong content types.
  for (const rawBody of [
    '{',
    '{"a":}',
    '[1,]',
    "{'a':1}",
    'nul',
    'undefined',
    '{"a":1}{"b":2}',
    '\ufeff{}',
    `"${'a'.repeat(1000)}`,
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    JSON.stringify(base).replace('{', '{ "x": NaN, '),
  ]) {
    cases.push({ tag: 'malformed', path, params, query: '', rawBody, contentType: json })
  }
  for (const contentType of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/jsonp',
    'application/xml',
    'json',
    '',
  ]) {
    cases.push({ tag: 'content-type', path, params, query: '', rawBody: JSON.stringify(base), contentType })
  }
  cases.push({
    tag: 'content-type',
    path,
    params,
    query: '',
    rawBody: 'name=x&role=owner',
    contentType: 'application/x-www-form-urlencoded',
  })
  return cases
}

/**
 * The cases whose answer could differ between databases — what reaches a column or a
 * lookup: NUL and other control characters, lone surrogates, 100 KB strings, look-alike
 * and four-byte characters, and ids that are not valid percent-encoding or hold NUL.
 */
const databaseCase = (c: Case) =>
  (c.tag === 'control' && /\\u(0000|d800)/.test(c.rawBody ?? '')) ||
  (c.tag === 'huge' && c.rawBody !== undefined && c.rawBody.length > 100_000 && c.rawBody.length < 110_000) ||
  (c.tag === 'confusable' && c.rawBody?.includes('😀')) ||
  (c.tag === 'path' && /%00|%ED|%zz|__proto__/i.test(c.path))

// ── The sweep ───────────────────────────────────────────────────────────────────────

const PARALLEL_REQUESTS = 8

/** Runs `fn` on every item, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

const FUZZ_ADAPTERS: readonly AdapterName[] = ['express', 'fastify']

function matrix(): [AdapterName, TestDialect][] {
  return FUZZ_ADAPTERS.flatMap((adapter) =>
    testDialects().map((dialect): [AdapterName, TestDialect] => [adapter, dialect]),
  )
}

describe.each(matrix())('generated hostile input on every route, %s on %s', (adapter, dialect) => {
  let app: TestApp
  const full = dialect === 'sqlite'

  beforeAll(async () => {
    app = await createTestApp(adapter, dialect, { enrollment: { resolveTxt: async () => [] } })
    for (const id of [OWNER, ADMIN, MEMBER, OUTSIDER]) {
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
    }
  })
  afterAll(() => app?.close())

  async function send(c: Case): Promise<TestResponse> {
    const url = c.query === '' ? c.path : `${c.path}?${c.query}`
    const headers: Record<string, string> = {}
    if (c.contentType !== undefined) headers['content-type'] = c.contentType
    return app.request(c.method ?? 'GET', url, {
      as: OWNER,
      ...(c.rawBody === undefined ? {} : { rawBody: c.rawBody }),
      headers,
    })
  }

  for (const route of routes) {
    it(`${route.method} ${route.path}`, async () => {
      const tenant = await createTenant(app)
      const cases = generateCases(route, tenant).filter((c) => full || databaseCase(c))
      const refused = cases.filter((c) => !schemaAccepts(route, c))
      const maybe = cases.filter((c) => schemaAccepts(route, c))
      if (!full && cases.length === 0) return
      expect(refused.length, 'some generated input is refused by the schemas').toBeGreaterThan(0)

      const check = (c: Case, response: TestResponse, mayPass: boolean) => {
        const where = `${route.method} ${c.path.slice(0, 200)}?${c.query.slice(0, 100)} [${c.tag}] body ${String(c.rawBody).slice(0, 200)} (${c.contentType}) → ${response.status} ${JSON.stringify(response.body)?.slice(0, 300)}`
        expect(response.status, where).toBeLessThan(500)
        if (response.status >= 300) expectErrorShape(response, where)
        if (!mayPass) expect(response.status, `${where}: the schemas refuse this input`).toBeGreaterThanOrEqual(400)
        return response.status
      }

      const before = await snapshotTables(app.env.db)
      // Refused inputs change nothing, so their order does not matter: several are in flight at once.
      await inParallel(refused, PARALLEL_REQUESTS, async (c) =>
        check(c, await send({ ...c, method: route.method }), false),
      )
      const after = await snapshotTables(app.env.db)
      expect(diffSnapshots(before, after), 'a batch answered only with 4xx changed nothing').toEqual({})

      // Inputs the schemas accept may succeed and change things: one at a time, and any of
      // them answered with a 4xx must leave the tables as they were just before it.
      // (A route that only reads is checked by the batch snapshot above; its accepted inputs run side by side.)
      const reads = route.method === 'GET'
      await inParallel(maybe, reads ? PARALLEL_REQUESTS : 1, async (c) => {
        const before = reads ? null : await snapshotTables(app.env.db)
        const status = check(c, await send({ ...c, method: route.method }), true)
        if (before !== null && status >= 400) {
          const after = await snapshotTables(app.env.db)
          expect(
            diffSnapshots(before, after),
            `${route.method} ${c.path} [${c.tag}] → ${status} changed nothing`,
          ).toEqual({})
        }
      })
    })
  }
})
