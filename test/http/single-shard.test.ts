/**
 * Every statement on one shard (SPEC §3, docs/scaling.md): a representative slice of the HTTP
 * contract runs with a statement logger on the storage's database, and each statement is held
 * to the rules that keep it on one shard when orgkit's tables are distributed by
 * `organization_id` on Citus (`organizations` by `id`, colocated):
 * - a statement on an organization-owned table names the organization: `organization_id = ?`
 *   (or `in (…)`, which Citus prunes to those organizations' shards), an insert carries the
 *   column; on `organizations`, `id = ?` / `id in (…)`;
 * - no statement puts a global lookup or per-user index table together with an
 *   organization's table (a join there runs on every shard);
 * - a statement on a global lookup or per-user table names the key its rows are placed by
 *   (`slug = ?`, `user_id = ?`, `email = ?`, …): `organization_id = ?` there would visit every
 *   shard, as deleting an organization once did.
 */
import { type LogEvent, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GLOBAL_LOOKUP_TABLES, ORGANIZATION_OWNED_TABLES, USER_INDEX_TABLES } from '../../packages/kysely/src/schema'
import { onCitus } from '../support/citus'
import { testDialects } from '../support/databases'
import { createTestApp, type TestApp } from './harness'

const PREFIX = 'orgkit_'
const OWNED = new Set<string>(ORGANIZATION_OWNED_TABLES)
const GLOBAL = new Set<string>([...GLOBAL_LOOKUP_TABLES, ...USER_INDEX_TABLES])
/** Enrollment's tables: exercised by a slice of their own, below. */
const ENROLLMENT = new Set([
  'domains',
  'verified_domains',
  'join_requests',
  'join_request_ids',
  'user_join_requests',
  'invitation_links',
  'invitation_link_tokens',
])

/** orgkit's tables a statement names, by logical name. */
function tablesOf(statement: string): Set<string> {
  const names = new Set<string>()
  for (const match of statement.matchAll(/[`"]orgkit_(\w+)[`"]/g)) names.add(match[1] as string)
  return names
}

const quoted = (column: string) => `[\`"]${column}[\`"]`
/** `col = ?`, `col = $1`, `col in (…)`, qualified or not. */
const bound = (column: string) => new RegExp(`${quoted(column)} (= (\\?|\\$\\d+)|in \\()`)

/** The key each global lookup and per-user table is placed by on Citus (docs/scaling.md's DDL). */
const PLACEMENT_KEYS: Record<string, string> = {
  organization_slugs: 'slug',
  invitation_ids: 'id',
  invitation_tokens: 'token_hash',
  api_key_prefixes: 'prefix',
  user_memberships: 'user_id',
  email_invitations: 'email',
  organization_creators: 'user_id',
}

/** A global lookup or per-user table in one statement with an organization's table. */
function mixesShards(tables: ReadonlySet<string>): string | null {
  const owned = [...tables].filter((table) => OWNED.has(table))
  const organizations = tables.has('organizations')
  const global = [...tables].filter((table) => GLOBAL.has(table))
  if ((owned.length > 0 || organizations) && global.length > 0) {
    return `joins ${global.join(', ')} to ${[...owned, ...(organizations ? ['organizations'] : [])].join(', ')}`
  }
  return null
}

const joinedById = /[`"]organization_id[`"] = [`"]\w+[`"]\.[`"]id[`"]/

/**
 * A statement of data-modifying CTEs (`with "a" as (…), "b" as (…) select …`) split into its
 * CTEs' bodies and its final query; `null` for any other statement.
 */
function cteParts(statement: string): string[] | null {
  if (!/^with [`"]/i.test(statement)) return null
  const parts: string[] = []
  let at = 0
  for (;;) {
    const head = /^(?:with |, )[`"]\w+[`"] as \(/i.exec(statement.slice(at))
    if (head === null) break
    const start = at + head[0].length
    let depth = 1
    let end = start
    while (depth > 0 && end < statement.length) {
      const char = statement[end++]
      if (char === '(') depth++
      else if (char === ')') depth--
    }
    parts.push(statement.slice(start, end - 1))
    at = end
  }
  parts.push(statement.slice(at).trim())
  return parts
}

/**
 * Why `statement` would leave one shard, or `null` when it stays on one. A statement of
 * data-modifying CTEs is held to the rules as a whole (no global table with an
 * organization's) and in each of its parts (each names its organization or key).
 */
function shardViolation(statement: string): string | null {
  const parts = cteParts(statement)
  if (parts !== null) {
    const mixed = mixesShards(tablesOf(statement))
    if (mixed !== null) return mixed
    for (const part of parts) {
      const why = shardViolation(part)
      if (why !== null) return `${why} (in a CTE)`
    }
    return null
  }
  const tables = tablesOf(statement)
  const owned = [...tables].filter((table) => OWNED.has(table))
  const organizations = tables.has('organizations')
  const mixed = mixesShards(tables)
  if (mixed !== null) return mixed
  const insert = /^insert into [`"]orgkit_(\w+)[`"] \(([^)]*)\)/i.exec(statement)
  for (const table of tables) {
    const key = PLACEMENT_KEYS[table]
    if (key !== undefined && !insert && !bound(key).test(statement))
      return `reads or writes ${table} without ${key} = ?`
  }
  if (insert) {
    const [, table, columns] = insert
    const key = table === 'organizations' ? 'id' : 'organization_id'
    if ((OWNED.has(table as string) || table === 'organizations') && !new RegExp(quoted(key)).test(columns ?? '')) {
      return `inserts into ${table} without ${key}`
    }
    return null
  }
  // A colocated join (`m.organization_id = o.id`) to an organization named by id stays on its shard.
  const colocated = organizations && bound('id').test(statement) && joinedById.test(statement)
  if (owned.length > 0 && !bound('organization_id').test(statement) && !colocated) {
    return `reads or writes ${owned.join(', ')} without organization_id = ?`
  }
  if (organizations && owned.length === 0 && !bound('id').test(statement)) {
    return 'reads or writes organizations without id = ?'
  }
  return null
}

describe.each(testDialects())('every statement on one shard, on %s', (dialect) => {
  let app: TestApp
  const statements: string[] = []
  let recording = false
  const log = (event: LogEvent) => {
    if (recording) statements.push(event.query.sql)
  }

  beforeAll(async () => {
    // Told its tables are distributed on every database, as on Citus, where the rules matter.
    app = await createTestApp('fastify', dialect, {}, { log, distributed: true })
    for (const id of ['ann', 'bob', 'cat'])
      await app.addUser({ id, email: `${id}@example.com`, username: id, emailVerified: true })
  })
  afterAll(() => app?.close())

  it('runs organizations, members, teams, roles, invitations, API keys and audit on one shard each', async () => {
    recording = true
    const ok = async (method: string, path: string, options: Parameters<TestApp['request']>[2], status: number) => {
      const response = await app.request(method, path, options)
      expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBe(status)
      return response.body
    }
    const org = await ok('POST', '/organizations', { as: 'ann', body: { name: 'Acme', slug: 'acme' } }, 201)
    await ok('GET', '/organizations', { as: 'ann' }, 200)
    await ok('GET', '/organizations/acme', { as: 'ann' }, 200)
    await ok('GET', `/organizations/${org.id}`, { as: 'ann' }, 200)
    await ok('PATCH', '/organizations/acme', { as: 'ann', body: { name: 'Acme Inc', slug: 'acme-inc' } }, 200)
    await ok('GET', '/organizations/acme-inc/permissions', { as: 'ann' }, 200)

    await ok('POST', '/organizations/acme-inc/members', { as: 'ann', body: { userId: 'bob', role: 'member' } }, 201)
    await ok('GET', '/organizations/acme-inc/members?limit=1', { as: 'ann' }, 200)
    const page = await ok('GET', '/organizations/acme-inc/members?limit=1', { as: 'ann' }, 200)
    await ok('GET', `/organizations/acme-inc/members?limit=1&cursor=${page.nextCursor}`, { as: 'ann' }, 200)
    await ok('GET', '/organizations/acme-inc/members/bob', { as: 'ann' }, 200)
    await ok('PATCH', '/organizations/acme-inc/members/bob', { as: 'ann', body: { role: 'admin' } }, 200)

    await ok('POST', '/organizations/acme-inc/teams', { as: 'ann', body: { name: 'Red' } }, 201)
    await ok('GET', '/organizations/acme-inc/teams', { as: 'ann' }, 200)
    await ok(
      'POST',
      '/organizations/acme-inc/teams/red/members',
      { as: 'ann', body: { userId: 'bob', role: 'lead' } },
      201,
    )
    await ok('GET', '/organizations/acme-inc/teams/red/members', { as: 'ann' }, 200)
    await ok('GET', '/organizations/acme-inc/teams/red', { as: 'bob' }, 200)

    await ok(
      'POST',
      '/organizations/acme-inc/roles',
      { as: 'ann', body: { key: 'billing', name: 'Billing', permissions: ['members.read'] } },
      201,
    )
    await ok('GET', '/organizations/acme-inc/roles', { as: 'ann' }, 200)

    const invitation = await ok(
      'POST',
      '/organizations/acme-inc/invitations',
      { as: 'ann', body: { email: 'cat@example.com', role: 'member' } },
      201,
    )
    await ok('POST', `/organizations/acme-inc/invitations/${invitation.id}/resend`, { as: 'ann' }, 200)
    const resent = await ok('GET', '/organizations/acme-inc/invitations', { as: 'ann' }, 200)
    expect(resent.data).toHaveLength(1)
    await ok('GET', '/invitations', { as: 'cat' }, 200)
    const second = await ok(
      'POST',
      '/organizations/acme-inc/invitations',
      { as: 'ann', body: { email: 'dan@example.com', role: 'member' } },
      201,
    )
    await ok('DELETE', `/organizations/acme-inc/invitations/${second.id}`, { as: 'ann' }, 204)
    const fresh = await ok('POST', `/organizations/acme-inc/invitations/${invitation.id}/resend`, { as: 'ann' }, 200)
    await ok('POST', '/invitations/preview', { as: 'cat', body: { token: fresh.token } }, 200)
    await ok('POST', '/invitations/accept', { as: 'cat', body: { token: fresh.token } }, 200)
    await ok('GET', '/organizations', { as: 'cat' }, 200)

    const key = await ok(
      'POST',
      '/organizations/acme-inc/api-keys',
      { as: 'ann', body: { name: 'ci', role: 'member' } },
      201,
    )
    await ok('GET', '/organizations/me/members', { apiKey: key.secret }, 200)
    await ok('GET', '/organizations/acme-inc/api-keys', { as: 'ann' }, 200)
    await ok('DELETE', `/organizations/acme-inc/api-keys/${key.id}`, { as: 'ann' }, 204)

    await ok('GET', '/organizations/acme-inc/audit-events', { as: 'ann' }, 200)
    await ok('DELETE', '/organizations/acme-inc/members/cat', { as: 'ann' }, 204)
    // Deleting the organization, with members, a pending invitation and a key still in it:
    // its lookup and per-user rows are deleted by their own keys.
    await ok(
      'POST',
      '/organizations/acme-inc/invitations',
      { as: 'ann', body: { email: 'eve@example.com', role: 'member' } },
      201,
    )
    await ok('POST', '/organizations/acme-inc/api-keys', { as: 'ann', body: { name: 'last', role: 'member' } }, 201)
    await ok('DELETE', '/organizations/acme-inc', { as: 'ann' }, 204)
    recording = false

    const checked = statements.filter((statement) => tablesOf(statement).size > 0)
    // The slice really ran through the tables the rules are about.
    const seen = new Set(checked.flatMap((statement) => [...tablesOf(statement)]))
    for (const table of [...OWNED, ...GLOBAL, 'organizations']) {
      if (!ENROLLMENT.has(table)) expect(seen, table).toContain(table)
    }
    const violations = checked
      .map((statement) => ({ statement, why: shardViolation(statement) }))
      .filter((entry) => entry.why !== null)
    expect(violations.map((entry) => `${entry.why}: ${entry.statement}`)).toEqual([])
  })
})

describe.each(testDialects())('enrollment statements on one shard, on %s', (dialect) => {
  let app: TestApp
  const statements: string[] = []
  let recording = false
  const records = new Map<string, string>()

  beforeAll(async () => {
    app = await createTestApp(
      'fastify',
      dialect,
      { enrollment: { resolveTxt: async (name) => (records.has(name) ? [[records.get(name) as string]] : []) } },
      // Told its tables are distributed, as the slice above: on one server PostgreSQL folds
      // per-user rows into the organization's statement, which the rules here are not about.
      { log: (event: LogEvent) => recording && statements.push(event.query.sql), distributed: true },
    )
    for (const id of ['ann', 'bob', 'cat', 'dee', 'eve'])
      await app.addUser({ id, email: `${id}@acme-corp.com`, username: id, emailVerified: true })
  })
  afterAll(() => app?.close())

  it('runs domains, discovery, joining and join requests on one shard each', async () => {
    const ok = async (method: string, path: string, options: Parameters<TestApp['request']>[2], status: number) => {
      const response = await app.request(method, path, options)
      expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBe(status)
      return response.body
    }
    recording = true
    await ok('POST', '/organizations', { as: 'ann', body: { name: 'Acme', slug: 'acme' } }, 201)
    const domain = await ok(
      'POST',
      '/organizations/acme/domains',
      { as: 'ann', body: { domain: 'acme-corp.com' } },
      201,
    )
    records.set(domain.verification.name, domain.verification.value)
    await ok('POST', '/organizations/acme/domains/acme-corp.com/verify', { as: 'ann' }, 200)
    await ok('PATCH', '/organizations/acme/domains/acme-corp.com', { as: 'ann', body: { enrollment: 'auto' } }, 200)
    await ok('GET', '/organizations/acme/domains', { as: 'ann' }, 200)
    await ok('POST', '/organizations/acme/domains', { as: 'ann', body: { domain: 'acme-corp.org' } }, 201)
    await ok('DELETE', '/organizations/acme/domains/acme-corp.org', { as: 'ann' }, 204)

    await ok('GET', '/organizations/discoverable', { as: 'bob' }, 200)
    await ok('POST', '/organizations/acme/join', { as: 'bob' }, 201)
    await ok('PATCH', '/organizations/acme/domains/acme-corp.com', { as: 'ann', body: { enrollment: 'suggest' } }, 200)
    const request = await ok('POST', '/organizations/acme/join', { as: 'cat' }, 202)
    await ok('GET', '/organizations/acme/join-requests?status=pending', { as: 'ann' }, 200)
    await ok('POST', `/organizations/acme/join-requests/${request.id}/approve`, { as: 'ann', body: {} }, 201)
    await ok('GET', '/join-requests', { as: 'cat' }, 200)
    const denied = await ok('POST', '/organizations/acme/join', { as: 'dee' }, 202)
    await ok('POST', `/organizations/acme/join-requests/${denied.id}/deny`, { as: 'ann' }, 204)
    const withdrawn = await ok('POST', '/organizations/acme/join', { as: 'eve' }, 202)
    await ok('DELETE', `/join-requests/${withdrawn.id}`, { as: 'eve' }, 204)

    const link = await ok(
      'POST',
      '/organizations/acme/invitation-links',
      { as: 'ann', body: { role: 'member', maxUses: 5 } },
      201,
    )
    await ok('GET', '/organizations/acme/invitation-links', { as: 'ann' }, 200)
    await ok('POST', '/invitations/preview', { as: 'eve', body: { token: link.token } }, 200)
    await ok('POST', '/invitations/accept', { as: 'eve', body: { token: link.token } }, 200)
    await ok('DELETE', `/organizations/acme/invitation-links/${link.id}`, { as: 'ann' }, 204)
    await ok(
      'POST',
      '/organizations/acme/invitations/bulk',
      {
        as: 'ann',
        body: { invitations: [{ email: 'x@example.com' }, { email: 'y@example.com' }, { email: 'bob@acme-corp.com' }] },
      },
      200,
    )
    recording = false

    const checked = statements.filter((statement) => tablesOf(statement).size > 0)
    const seen = new Set(checked.flatMap((statement) => [...tablesOf(statement)]))
    for (const table of ENROLLMENT) expect(seen, table).toContain(table)
    const violations = checked
      .map((statement) => ({ statement, why: shardViolation(statement) }))
      .filter((entry) => entry.why !== null)
    expect(violations.map((entry) => `${entry.why}: ${entry.statement}`)).toEqual([])
  })

  // On a Citus cluster that refuses multi-shard statements (.ci/citus.sh), the slice above ran
  // as on any PostgreSQL; the platform-wide list is the one statement that is refused.
  it.runIf(dialect === 'postgres' && onCitus())('on Citus, only the platform-wide list leaves one shard', async () => {
    const distributed = await sql<{ n: string }>`select count(*) as n from pg_dist_partition p
      join pg_class c on c.oid = p.logicalrelid join pg_namespace s on s.oid = c.relnamespace
      where s.nspname = current_schema()`.execute(app.env.db)
    expect(Number(distributed.rows[0]!.n)).toBeGreaterThanOrEqual(15)
    await app.addUser({ id: 'staff', email: 'staff@example.com', platformRole: 'superadmin' })
    expect((await app.request('GET', '/organizations?scope=all', { as: 'staff' })).status).toBe(500)
  })
})

describe('the single-shard rules', () => {
  it('catch a lookup joined to an organization, and an owned table read without its organization', () => {
    expect(
      shardViolation(
        `select "o".* from "${PREFIX}organization_slugs" as "s" inner join "${PREFIX}organizations" as "o" on "o"."id" = "s"."organization_id" where "s"."slug" = $1`,
      ),
    ).toMatch(/joins organization_slugs to organizations/)
    expect(shardViolation(`select * from \`${PREFIX}members\` where \`user_id\` = ?`)).toMatch(
      /without organization_id/,
    )
    expect(shardViolation(`select * from "${PREFIX}organizations" where "slug" = ?`)).toMatch(/without id/)
    expect(shardViolation(`insert into "${PREFIX}members" ("user_id", "role") values (?, ?)`)).toMatch(/without/)
    expect(shardViolation(`delete from "${PREFIX}user_memberships" where "organization_id" = $1`)).toMatch(
      /user_memberships without user_id/,
    )
    expect(
      shardViolation(`delete from "${PREFIX}invitation_tokens" where "token_hash" = $1 and "organization_id" = $2`),
    ).toBeNull()
    expect(
      shardViolation(`select * from "${PREFIX}members" where "organization_id" = $1 and "user_id" = $2`),
    ).toBeNull()
    // Data-modifying CTEs: a per-user row folded in with an organization's, and a part that
    // does not name its organization.
    const added = `with "added" as (insert into "${PREFIX}members" ("organization_id", "user_id") values ($1, $2) on conflict do nothing returning 1)`
    expect(
      shardViolation(
        `${added}, "indexed" as (insert into "${PREFIX}user_memberships" ("user_id", "organization_id") select $2, $1 from "added") select count(*) as written from "added"`,
      ),
    ).toMatch(/joins user_memberships to members/)
    expect(
      shardViolation(
        `${added}, "counted" as (update "${PREFIX}organizations" set "member_count" = "member_count" + 1 where exists (select 1 from "added")) select count(*) as written from "added"`,
      ),
    ).toMatch(/organizations without id = \? \(in a CTE\)/)
    expect(
      shardViolation(
        `${added}, "counted" as (update "${PREFIX}organizations" set "member_count" = "member_count" + 1 where "id" = $1 and exists (select 1 from "added")) select count(*) as written from "added"`,
      ),
    ).toBeNull()
  })
})
