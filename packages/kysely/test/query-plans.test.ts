/**
 * The plans behind "costs stay flat with size" (SPEC §3): on each real engine, a member page
 * deep in a large organization seeks on the (organization_id, joined_at, user_id) index to the
 * cursor instead of reading the organization's rows from the start, and an email lookup in the
 * host's users table uses an index. The SQL asked about is the SQL the storage really runs,
 * taken from Kysely's log.
 */
import { encodeCursor, pageInput, type Storage } from '@orgkit/core'
import { organization } from '@orgkit/testing'
import { CompiledQuery, type LogEvent, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, type TestDialect, type TestStorage, testDialects } from '../../../test/support/databases'

/** Enough members that every engine's optimizer prefers the index to reading the table. */
const MEMBERS = 30_000
const T0 = Date.parse('2026-01-01T00:00:00.000Z')

describe.each(testDialects())('query plans on %s', (dialect) => {
  let env: TestStorage
  const statements: CompiledQuery[] = []
  const log = (event: LogEvent) => {
    if (event.level === 'query') statements.push(event.query)
  }
  const orgId = organization('plans').id

  beforeAll(async () => {
    env = await createTestStorage(dialect, { log })
    await env.storage.organizations.insert({ ...organization('plans'), id: orgId })
    // Straight into the table: a long organization and a short neighbour, three members
    // sharing each join time so that ties on joined_at are broken by user_id.
    const rows = (org: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        organization_id: org,
        user_id: `usr_${String(i).padStart(6, '0')}`,
        role: 'member',
        joined_at: timestamp(dialect, new Date(T0 + Math.floor(i / 3) * 1000)),
      }))
    for (const [org, count] of [
      [orgId, MEMBERS],
      ['org_neighbour', 3_000],
    ] as const) {
      await insertRows(env, 'orgkit_members', rows(org, count))
    }
    await analyze(env)
  }, 120_000)
  afterAll(() => env?.destroy())

  /** Runs `fn` and returns the one statement it ran on `table`. */
  async function statementOn(table: string, fn: (storage: Storage) => Promise<unknown>): Promise<CompiledQuery> {
    statements.length = 0
    await fn(env.storage)
    const matching = statements.filter((query) => query.sql.includes(table))
    expect(matching).toHaveLength(1)
    return matching[0]!
  }

  const deep = (direction: 'after' | 'before') => {
    const i = Math.floor(MEMBERS * 0.8)
    const key = [T0 + Math.floor(i / 3) * 1000, `usr_${String(i).padStart(6, '0')}`]
    return pageInput({ limit: 20, cursor: encodeCursor({ direction, key }) })
  }

  it.each(['after', 'before'] as const)('seeks to a cursor deep in a member list (%s)', async (direction) => {
    const query = await statementOn('orgkit_members', (storage) => storage.members.list(orgId, {}, deep(direction)))
    const page = await env.storage.members.list(orgId, {}, deep(direction))
    expect(page.data).toHaveLength(20)
    const i = Math.floor(MEMBERS * 0.8)
    expect(page.data[direction === 'after' ? 0 : 19]?.userId).toBe(
      `usr_${String(direction === 'after' ? i + 1 : i - 1).padStart(6, '0')}`,
    )
    await expectIndexSeek(env, query, 'orgkit_members_joined_idx')
  })

  // PostgreSQL only: elsewhere the storage reads the membership and the page apart.
  it.runIf(dialect === 'postgres').each(['after', 'before'] as const)(
    "seeks to a cursor deep in a member list read with the caller's membership (%s)",
    async (direction) => {
      const read = (storage: Storage) => storage.members.listWithMember!(orgId, 'usr_000000', {}, deep(direction))
      const query = await statementOn('orgkit_members', read)
      const found = await read(env.storage)
      expect(found?.member?.userId).toBe('usr_000000')
      expect(found?.page?.data).toEqual((await env.storage.members.list(orgId, {}, deep(direction))).data)
      await expectIndexSeek(env, query, 'orgkit_members_joined_idx')
    },
  )

  // The other lists read with the caller's membership (`organizations.findWithMemberAndPage`)
  // keep their own seek: the audit trail, the longest of them.
  it.runIf(dialect === 'postgres')(
    "seeks to a cursor deep in the audit trail read with the caller's membership",
    async () => {
      const EVENTS = 30_000
      const events = Array.from({ length: EVENTS }, (_, i) => ({
        organization_id: orgId,
        id: `evt_${String(i).padStart(6, '0')}`,
        action: 'member.added',
        actor_type: 'user',
        actor_id: 'usr_000000',
        target_type: 'member',
        target_id: `usr_${String(i).padStart(6, '0')}`,
        changes: '{}',
        created_at: new Date(T0 + Math.floor(i / 3) * 1000),
      }))
      await insertRows(env, 'orgkit_audit_events', events)
      await analyze(env)
      const i = Math.floor(EVENTS * 0.2)
      const key = [T0 + Math.floor(i / 3) * 1000, `evt_${String(i).padStart(6, '0')}`]
      for (const direction of ['after', 'before'] as const) {
        const page = pageInput({ limit: 20, cursor: encodeCursor({ direction, key }) })
        const read = (storage: Storage) =>
          storage.organizations.findWithMemberAndPage!(orgId, 'usr_000000', { list: 'audit', input: [{}, page] })
        const query = await statementOn('orgkit_audit_events', read)
        const found = await read(env.storage)
        // Newest first: after the cursor come older events.
        expect(found?.page?.data[direction === 'after' ? 0 : 19]?.id).toBe(
          `evt_${String(direction === 'after' ? i - 1 : i + 1).padStart(6, '0')}`,
        )
        expect(found?.page?.data).toEqual((await env.storage.audit.list(orgId, {}, page)).data)
        await expectIndexSeek(env, query, 'orgkit_audit_events_created_idx')
      }
    },
  )

  // A team's members page read with the team (`organizations.findWithMemberAndTeam`), keyed
  // by the team the statement found: the seek holds with the team's id taken from the row.
  it.runIf(dialect === 'postgres')("seeks to a cursor deep in a team's members read with the team", async () => {
    const teamId = 'team_plans'
    await env.db
      .insertInto('orgkit_teams')
      .values({
        organization_id: orgId,
        id: teamId,
        slug: 'plans',
        name: 'Plans',
        description: null,
        member_count: MEMBERS,
        created_at: new Date(T0),
        updated_at: new Date(T0),
      })
      .execute()
    const rows = Array.from({ length: MEMBERS }, (_, i) => ({
      organization_id: orgId,
      team_id: teamId,
      user_id: `usr_${String(i).padStart(6, '0')}`,
      role: 'member',
      joined_at: new Date(T0 + Math.floor(i / 3) * 1000),
    }))
    await insertRows(env, 'orgkit_team_members', rows)
    await analyze(env)
    for (const direction of ['after', 'before'] as const) {
      const read = (storage: Storage) =>
        storage.organizations.findWithMemberAndTeam!(
          { id: orgId },
          'usr_000000',
          { slug: 'plans' },
          { page: deep(direction) },
        )
      const query = await statementOn('orgkit_team_members', read)
      const found = await read(env.storage)
      expect(found?.team?.id).toBe(teamId)
      expect(found?.page?.data).toHaveLength(20)
      expect(found?.page?.data).toEqual((await env.storage.teamMembers.list(orgId, teamId, deep(direction))).data)
      await expectIndexSeek(env, query, 'orgkit_team_members_joined_idx')
    }
  })

  it('looks emails up through an index of the host users table', async () => {
    // The test users table has what docs/storage.md asks for: an index on lower(email) on
    // PostgreSQL and SQLite; on MariaDB the database's default case-insensitive collation,
    // which the storage finds at start-up, so that `email = ?` on the plain index serves.
    for (let i = 0; i < 2_000; i += 500) {
      await env.db
        .insertInto('users')
        .values(Array.from({ length: 500 }, (_, j) => ({ id: `u${i + j}`, email: `user${i + j}@example.test` })))
        .execute()
    }
    await analyze(env)
    const storage = env.storage
    const query = await statementOn('users', () => storage.users.findByEmail(' USER1234@example.test '))
    expect((await storage.users.findByEmail('User1234@Example.test'))?.id).toBe('u1234')
    await expectIndexSeek(env, query, dialect === 'mysql' ? 'email' : 'users_email_lower_idx')
  })
})

/** Straight into the table, a thousand rows a statement. */
async function insertRows(env: TestStorage, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    await env.db
      .insertInto(table)
      .values(rows.slice(i, i + 1000))
      .execute()
  }
}

function timestamp(dialect: TestDialect, date: Date): Date | string {
  return dialect === 'sqlite' ? date.toISOString() : date
}

async function analyze(env: TestStorage): Promise<void> {
  if (env.dialect === 'postgres') await sql`analyze`.execute(env.db)
  else if (env.dialect === 'mysql') await sql`analyze table orgkit_members, users`.execute(env.db)
  else await sql`analyze`.execute(env.db)
}

/**
 * Asks the engine how it runs `query` and expects a seek on the index named `index`: for the
 * member list entered at the cursor (a bound beyond the index's first column), so that the
 * rows before the cursor are never read.
 */
async function expectIndexSeek(env: TestStorage, query: CompiledQuery, index: string): Promise<void> {
  const explain = (prefix: string) =>
    env.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`${prefix} ${query.sql}`, [...query.parameters]))
  if (env.dialect === 'sqlite') {
    const plan = (await explain('explain query plan')).rows.map((row) => String(row.detail))
    // e.g. `SEARCH m USING INDEX orgkit_members_joined_idx (organization_id=? AND (joined_at,user_id)>(?,?))`
    const seek = plan.find((line) => line.includes(index))
    expect(seek, plan.join('\n')).toMatch(/^SEARCH .* USING (COVERING )?INDEX \S+ \(\w+=\? AND .+\)$|\(<expr>=\?\)/)
  } else if (env.dialect === 'postgres') {
    const [row] = (await explain('explain (format json)')).rows
    const [plan] = (row?.['QUERY PLAN'] ?? []) as [{ Plan: PgPlanNode }]
    const nodes = planNodes(plan.Plan)
    const scan = nodes.find((node) => node['Index Name'] === index)
    expect(scan, JSON.stringify(nodes.map((node) => node['Node Type']))).toBeDefined()
    // The cursor is part of the index condition (where the scan starts), not a filter on the
    // rows it reads.
    const cond = String(scan?.['Index Cond'])
    expect(cond).toMatch(
      index.includes('team_members')
        ? /organization_id.*team_id.*ROW\(joined_at, \(?user_id.* [<>] ROW\(/
        : index.includes('members')
          ? /organization_id.*ROW\(joined_at, \(?user_id.* [<>] ROW\(/
          : index.includes('audit')
            ? /organization_id.*ROW\(created_at, \(?id.* [<>] ROW\(/
            : /lower/,
    )
  } else {
    const [row] = (await explain('explain format=json')).rows
    const tables = mysqlTables(JSON.parse(String(row?.EXPLAIN)))
    const scan = tables.find((entry) => entry.key?.includes(index))
    expect(scan, JSON.stringify(tables)).toBeDefined()
    if (index.includes('members')) {
      // A range entered at (organization_id, joined_at), not `ref` on organization_id alone.
      expect(scan?.access_type).toBe('range')
      expect(scan?.used_key_parts).toEqual(expect.arrayContaining(['organization_id', 'joined_at']))
    } else {
      expect(['ref', 'const', 'eq_ref', 'range']).toContain(scan?.access_type)
    }
  }
}

interface PgPlanNode {
  'Node Type': string
  'Index Name'?: string
  'Index Cond'?: string
  Plans?: PgPlanNode[]
}

function planNodes(node: PgPlanNode): PgPlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)]
}

interface MysqlTable {
  table_name?: string
  access_type?: string
  key?: string
  used_key_parts?: string[]
}

/** Every `table` entry of a MariaDB JSON plan, wherever it is nested. */
function mysqlTables(value: unknown): MysqlTable[] {
  if (typeof value !== 'object' || value === null) return []
  const found: MysqlTable[] = []
  for (const [key, child] of Object.entries(value)) {
    if (key === 'table' && typeof child === 'object' && child !== null) found.push(child as MysqlTable)
    found.push(...mysqlTables(child))
  }
  return found
}
