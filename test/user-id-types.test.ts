/**
 * The host's `users.id` in every common shape — text, integer (serial / auto-increment /
 * rowid), bigint past 32 bits (identity / auto-increment / a non-rowid key) and uuid
 * (PostgreSQL's and MariaDB's type, text on SQLite) — on every configured database: the
 * consumer path from organization to API key, ids the host's type cannot hold answered as
 * unknown users, the catalog check at start-up, and the plans of the statements that join
 * orgkit's members to the host's users.
 */
import { type Actor, createOrgkit, isOrgkitError, type Orgkit, pageInput } from '@orgkit/core'
import { kyselyStorage } from '@orgkit/kysely'
import { CompiledQuery, type LogEvent, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  createTestStorage,
  createUsersTable,
  insertUser,
  type TestStorage,
  type TestUser,
  testDialects,
  USER_ID_SHAPES,
  type UserIdShape,
} from './support/databases'

const matrix = testDialects().flatMap((dialect) => USER_ID_SHAPES.map((shape) => [dialect, shape] as const))

/** Ids that no row of the shape can have, each answered as an unknown user. */
const IMPOSSIBLE_IDS: Record<UserIdShape, string[]> = {
  text: ['no-such-user'],
  integer: ['abc', '12abc', '007', '99999999999999999999', '1.5', ''],
  bigint: ['abc', '9223372036854775808', '-', ' 12'],
  uuid: ['abc', '123', '8c7f0a3e-1d2b-4c5d-9e8f-0a1b2c3d4e5', '8c7f0a3e-1d2b-4c5d-9e8f-0a1b2c3d4e5fx'],
}

const notFound = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isOrgkitError(error) ? error.code : error).toBe('not_found')
}

describe.each(matrix)('host user ids on %s, users.id as %s', (dialect, shape) => {
  let env: TestStorage
  let orgkit: Orgkit
  const warnings: string[] = []
  let olive: TestUser
  let owner: Actor
  let orgId: string
  const as = (user: TestUser): Actor => ({ type: 'user', userId: user.id, email: user.email })

  beforeAll(async () => {
    env = await createTestStorage(dialect, { userIds: shape, logger: { warn: (message) => warnings.push(message) } })
    orgkit = createOrgkit({ storage: env.storage })
    olive = await env.addUser({ name: 'Olive Owner', username: `olive_${shape}` })
    owner = as(olive)
    orgId = (await orgkit.as(owner).organizations.create({ name: 'Acme', slug: 'acme' })).id
  })
  afterAll(() => env?.destroy())

  it('ids are the host column in its text form', () => {
    if (shape === 'integer') expect(olive.id).toMatch(/^[1-9][0-9]*$/)
    if (shape === 'bigint') expect(BigInt(olive.id)).toBeGreaterThan(2n ** 32n)
    if (shape === 'uuid') expect(olive.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  })

  it('lists and searches members with their users', async () => {
    const page = await orgkit.as(owner).members.list('acme')
    expect(page.data.map((member) => [member.userId, member.role, member.user.email])).toEqual([
      [olive.id, 'owner', olive.email],
    ])
    const found = await orgkit.as(owner).members.list('acme', { q: 'olive' })
    expect(found.data.map((member) => member.user.name)).toEqual(['Olive Owner'])
    expect((await orgkit.as(owner).members.list('acme', { q: 'nobody' })).data).toEqual([])
    expect((await orgkit.as(owner).members.get('acme', olive.id)).user.username).toBe(`olive_${shape}`)
  })

  it('adds members by id, username and email', async () => {
    const byId = await env.addUser({ name: 'Ian' })
    const byUsername = await env.addUser({ username: `uma_${shape}` })
    const byEmail = await env.addUser({ email: `Eve.${shape}@Example.test` })
    const client = orgkit.as(owner)
    expect((await client.members.add('acme', { userId: byId.id })).user.name).toBe('Ian')
    expect((await client.members.add('acme', { username: `uma_${shape}` })).userId).toBe(byUsername.id)
    expect((await client.members.add('acme', { email: `eve.${shape}@example.test` })).userId).toBe(byEmail.id)
    const listed = await client.members.list('acme', { limit: 100 })
    const users = new Map(listed.data.map((member) => [member.userId, member.user.email]))
    expect(users.get(byId.id)).toBe(byId.email)
    expect(users.get(byUsername.id)).toBe(byUsername.email)
    expect(users.get(byEmail.id)).toBe(byEmail.email)
    if (shape !== 'text' && shape !== 'uuid') {
      // A JSON number names the same user as its decimal digits (the core's schema).
      const numeric = await env.addUser()
      expect((await client.members.add('acme', { userId: Number(numeric.id) })).userId).toBe(numeric.id)
    }
  })

  it('answers ids the host type cannot hold as unknown users, changing nothing', async () => {
    const client = orgkit.as(owner)
    const before = (await client.members.list('acme', { limit: 100 })).data.length
    for (const id of IMPOSSIBLE_IDS[shape]) {
      expect(await env.storage.users.findById(id)).toBeNull()
      if (id.trim() !== '') await notFound(client.members.add('acme', { userId: id }))
      if (id !== '') await notFound(client.members.get('acme', id))
    }
    expect((await client.members.list('acme', { limit: 100 })).data).toHaveLength(before)
  })

  it('invites and accepts, and refuses to invite a member', async () => {
    const invitee = await env.addUser({ email: `Ivy.${shape}@Example.test`, name: 'Ivy' })
    const client = orgkit.as(owner)
    const issued = await client.invitations.create('acme', { email: `ivy.${shape}@example.test`, role: 'member' })
    const accepted = await orgkit.as(as(invitee)).invitations.accept({ token: issued.token })
    expect([accepted.userId, accepted.user.name]).toEqual([invitee.id, 'Ivy'])
    const again = await client.invitations.create('acme', { email: invitee.email, role: 'member' }).then(
      () => 'created',
      (error: unknown) => (isOrgkitError(error) ? error.code : error),
    )
    expect(again).toBe('conflict')
    const listed = await client.invitations.list('acme')
    expect(listed.data.find((invitation) => invitation.id === issued.id)?.invitedBy.userId).toBe(olive.id)
  })

  it('keeps team members with their users', async () => {
    const member = await env.addUser({ name: 'Tess' })
    const client = orgkit.as(owner)
    await client.members.add('acme', { userId: member.id })
    await client.teams.create('acme', { name: 'Core', slug: 'core' })
    await client.teams.members.add('acme', 'core', { userId: member.id })
    const page = await client.teams.members.list('acme', 'core')
    expect(page.data.map((row) => [row.userId, row.user.name])).toEqual([[member.id, 'Tess']])
    expect((await client.teams.members.get('acme', 'core', member.id)).user.email).toBe(member.email)
  })

  it('issues and authenticates API keys', async () => {
    const issued = await orgkit.as(owner).apiKeys.create('acme', { name: 'ci', role: 'member' })
    const actor = await orgkit.authenticateApiKey(issued.secret)
    expect(actor.organizationId).toBe(orgId)
    const keys = await orgkit.as(owner).apiKeys.list('acme')
    expect(keys.data.map((key) => key.createdBy)).toEqual([olive.id])
    expect(actor.createdBy).toBe(olive.id)
    expect((await orgkit.as(actor).members.list('acme')).data.length).toBeGreaterThan(0)
  })

  it('says nothing at start-up about a table that is as declared', () => {
    expect(warnings).toEqual([])
  })
})

describe.each(testDialects())('the users table checked against its declaration on %s', (dialect) => {
  it('warns once when idType differs from the column, naming the right one', async () => {
    const database = await createTestDatabase(dialect)
    try {
      await createUsersTable(database, 'people', { shape: 'integer' })
      const warnings: string[] = []
      const storage = kyselyStorage(database.db, {
        users: { table: 'people', columns: { id: 'id', email: 'email' } },
        logger: { warn: (message) => warnings.push(message) },
      })
      const user = await insertUser(database, {}, 'people', 'integer')
      await storage.users.findByEmail(user.email)
      await storage.users.findByEmail(user.email)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("idType: 'integer'")
    } finally {
      await database.destroy()
    }
  })
})

/**
 * With a non-text host id, the invitee's membership is found by both columns of the member
 * key (not all of the organization's members), and a member page looks each user up by the
 * host's primary key.
 */
describe.each(
  testDialects().flatMap((dialect) => (['integer', 'uuid'] as const).map((shape) => [dialect, shape] as const)),
)('plans of the statements joining members and users on %s, users.id as %s', (dialect, shape) => {
  const MEMBERS = 1_000
  let env: TestStorage
  const statements: CompiledQuery[] = []
  const log = (event: LogEvent) => {
    if (event.level === 'query') statements.push(event.query)
  }
  let orgkit: Orgkit
  let owner: TestUser

  beforeAll(async () => {
    env = await createTestStorage(dialect, { userIds: shape, log })
    orgkit = createOrgkit({ storage: env.storage })
    owner = await env.addUser()
    const { id: orgId } = await orgkit
      .as({ type: 'user', userId: owner.id })
      .organizations.create({ name: 'Big', slug: 'big' })
    const users: TestUser[] = []
    for (let i = 0; i < MEMBERS; i++) users.push(await env.addUser())
    for (let i = 0; i < users.length; i += 500) {
      await env.db
        .insertInto('orgkit_members')
        .values(
          users.slice(i, i + 500).map((user, j) => ({
            organization_id: orgId,
            user_id: user.id,
            role: 'member',
            joined_at: dialect === 'sqlite' ? new Date(Date.UTC(2026, 0, 1) + i + j).toISOString() : new Date(),
          })),
        )
        .execute()
    }
    if (dialect === 'mysql') await sql`analyze table orgkit_members, users`.execute(env.db)
    else await sql`analyze`.execute(env.db)
  }, 120_000)
  afterAll(() => env?.destroy())

  async function statementJoining(fn: () => Promise<unknown>): Promise<CompiledQuery> {
    statements.length = 0
    await fn()
    const matching = statements.filter((query) => query.sql.includes('orgkit_members') && query.sql.includes('users'))
    expect(matching).toHaveLength(1)
    return matching[0]!
  }

  it("finds the invitee's membership by the whole member key", async () => {
    const invitee = await env.addUser()
    const orgId = (await env.storage.organizations.findBySlug('big'))!.id
    const query = await statementJoining(() =>
      env.storage.members.findInvitee(orgId, invitee.email.toUpperCase(), owner.id),
    )
    const plan = await explain(env, query)
    if (dialect === 'postgres') {
      // The member key, or the (user_id, organization_id) index: both columns in its condition.
      const scan = plan.pg.find((node) => node['Relation Name'] === 'orgkit_members')
      expect(scan?.['Node Type'], JSON.stringify(plan.pg)).toMatch(/^Index/)
      expect(String(scan?.['Index Cond'])).toMatch(/user_id = \(u\.id\)::text/)
      expect(String(scan?.['Index Cond'])).toMatch(/organization_id = /)
    } else if (dialect === 'mysql') {
      const members = plan.mysql.find((table) => table.table_name === 'm')
      expect(members?.key, JSON.stringify(plan.mysql)).toBe('PRIMARY')
      expect(members?.used_key_parts).toEqual(['organization_id', 'user_id'])
    } else {
      expect(plan.sqlite.join('\n')).toMatch(
        /SEARCH m USING (COVERING )?INDEX \S+ \(organization_id=\? AND user_id=\?\)/,
      )
    }
  })

  it("looks each member's user up by the host's primary key", async () => {
    const orgId = (await env.storage.organizations.findBySlug('big'))!.id
    const query = await statementJoining(() => env.storage.members.list(orgId, {}, pageInput({ limit: 20 })))
    const plan = await explain(env, query)
    if (dialect === 'postgres') {
      expect(
        plan.pg.some((node) => node['Index Name'] === 'users_pkey'),
        JSON.stringify(plan.pg),
      ).toBe(true)
    } else if (dialect === 'mysql') {
      const users = plan.mysql.find((table) => table.table_name === 'u')
      expect(users?.key, JSON.stringify(plan.mysql)).toBe('PRIMARY')
      expect(users?.access_type).toBe('eq_ref')
    } else {
      expect(plan.sqlite.join('\n')).toMatch(
        /SEARCH u USING (INTEGER PRIMARY KEY \(rowid=\?\)|(COVERING )?INDEX \S+ \(id=\?\))/,
      )
    }
  })
})

interface PgPlanNode {
  'Node Type': string
  'Index Name'?: string
  'Relation Name'?: string
  'Index Cond'?: string
  Plans?: PgPlanNode[]
}

interface MysqlTable {
  table_name?: string
  access_type?: string
  key?: string
  used_key_parts?: string[]
}

/** How the engine runs `query`: PostgreSQL's plan nodes, MariaDB's tables, SQLite's lines. */
async function explain(
  env: TestStorage,
  query: CompiledQuery,
): Promise<{ pg: PgPlanNode[]; mysql: MysqlTable[]; sqlite: string[] }> {
  const run = (prefix: string) =>
    env.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`${prefix} ${query.sql}`, [...query.parameters]))
  const none = { pg: [], mysql: [], sqlite: [] }
  if (env.dialect === 'postgres') {
    const [row] = (await run('explain (format json)')).rows
    const [plan] = (row?.['QUERY PLAN'] ?? []) as [{ Plan: PgPlanNode }]
    const nodes = (node: PgPlanNode): PgPlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)]
    return { ...none, pg: nodes(plan.Plan) }
  }
  if (env.dialect === 'mysql') {
    const [row] = (await run('explain format=json')).rows
    const tables = (value: unknown): MysqlTable[] => {
      if (typeof value !== 'object' || value === null) return []
      return Object.entries(value).flatMap(([key, child]) => [
        ...(key === 'table' && typeof child === 'object' && child !== null ? [child as MysqlTable] : []),
        ...tables(child),
      ])
    }
    return { ...none, mysql: tables(JSON.parse(String(row?.EXPLAIN))) }
  }
  return { ...none, sqlite: (await run('explain query plan')).rows.map((row) => String(row.detail)) }
}
