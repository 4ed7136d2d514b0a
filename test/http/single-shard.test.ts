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

const joinedById = /[`"]organization_id[`"] = [`"]\w+[`"]\.[`"]id[`"]/

/** Why `statement` would leave one shard, or `null` when it stays on one. */
function shardViolation(statement: string): string | null {
  const tables = tablesOf(statement)
  const owned = [...tables].filter((table) => OWNED.has(table))
  const organizations = tables.has('organizations')
  const global = [...tables].filter((table) => GLOBAL.has(table))
  if ((owned.length > 0 || organizations) && global.length > 0) {
    return `joins ${global.join(', ')} to ${[...owned, ...(organizations ? ['organizations'] : [])].join(', ')}`
  }
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
    for (const table of [...OWNED, ...GLOBAL, 'organizations']) expect(seen, table).toContain(table)
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
  })
})
