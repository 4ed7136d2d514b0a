/**
 * `preparedStatements` (src/pg-statements.ts) on PostgreSQL: orgkit's compiled statements (their
 * texts end with `COMPILED_MARK`) go to the server as named statements and nothing else does; the names stay bounded by
 * orgkit's templates whatever the calls' values and filters; a statement the server
 * refuses after a migration (`cached plan must not change result type`) or after
 * `DEALLOCATE` is run again under a fresh name outside a transaction, and its transaction
 * is run again inside one. Round trips with the wrapper are in round-trip-budgets.test.ts,
 * the conformance suite through it in conformance/repositories.test.ts.
 */
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { guardPgPool, preparedStatements } from '@orgkit/kysely'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestStorage, postgresTestUrl, type TestStorage, testDialects } from '../../../test/support/databases'
import { COMPILED_MARK } from '../src/pg-statements'

const onPostgres = testDialects().includes('postgres')

interface Trip {
  sql: string
  name: string | undefined
}

/** The statements prepared on the connection that runs this (pg_prepared_statements is per session). */
async function preparedOnConnection(env: TestStorage): Promise<Map<string, string>> {
  const { rows } = await sql<{ name: string; statement: string }>`
    select name, statement from pg_prepared_statements`.execute(env.db)
  return new Map(rows.map((row) => [row.name, row.statement]))
}

describe.runIf(onPostgres)("orgkit's statements prepared on postgres", () => {
  // One connection: every statement of the test runs on the session whose
  // pg_prepared_statements it then reads.
  let env: TestStorage
  let orgkit: Orgkit
  let owner: Actor
  let orgId: string
  // Every round trip since the pool was made.
  const trips: Trip[] = []

  beforeAll(async () => {
    env = await createTestStorage('postgres', {
      preparedStatements: true,
      poolSize: 1,
      onRoundTrip: (text, name) => trips.push({ sql: text, name }),
    })
    orgkit = createOrgkit({ storage: env.storage, invitations: { requireVerifiedEmail: false } })
    const user = await env.addUser({ name: 'Pia' })
    owner = { type: 'user', userId: user.id, email: user.email }
    orgId = (await orgkit.as(owner).organizations.create({ name: 'Prepared', slug: 'prepared' })).id
  })
  afterAll(() => env?.destroy())

  /** A round of the common operations, with values and filters of round `n`. */
  async function operations(n: number): Promise<void> {
    const as = orgkit.as(owner)
    await as.organizations.create({ name: `Org ${n}` })
    const user = await env.addUser()
    await as.members.add(orgId, { userId: user.id, role: n % 2 === 0 ? 'member' : 'admin' })
    await as.members.update(orgId, user.id, { role: 'member' })
    await as.can(orgId, n % 2 === 0 ? 'members.read' : 'members.update')
    await as.can('prepared', 'members.read')
    await as.members.list(orgId, { limit: 1 + (n % 7) })
    await as.members.list('prepared', { limit: 5, role: n % 2 === 0 ? 'member' : 'owner' })
    await as.members.list(orgId, { limit: 5, q: `user${n}` })
    await as.members.get(orgId, user.id)
    await as.organizations.list({ limit: 2 + (n % 5) })
    const invitee = await env.addUser()
    const { token } = await as.invitations.create('prepared', { email: invitee.email, role: 'member' })
    await orgkit.as({ type: 'user', userId: invitee.id, email: invitee.email }).invitations.accept({ token })
    await as.members.remove(orgId, user.id)
    await as.audit.list(orgId, { limit: 3 + (n % 4) })
  }

  it('runs orgkit’s compiled statements named, and nothing else', async () => {
    await operations(0)
    const named = trips.filter((trip) => trip.name !== undefined)
    const unnamed = trips.filter((trip) => trip.name === undefined)
    expect(named.length).toBeGreaterThan(10)
    expect(unnamed.length).toBeGreaterThan(0)
    // Each named trip is one of orgkit's compiled texts, one name per text; every other text
    // went unnamed.
    const nameOf = new Map<string, string>()
    for (const trip of named) {
      expect(trip.sql.endsWith(COMPILED_MARK), trip.sql).toBe(true)
      expect(trip.name).toMatch(/^orgkit_[0-9a-f]{16}$/)
      expect(trip.name).toBe(nameOf.get(trip.sql) ?? trip.name)
      nameOf.set(trip.sql, trip.name!)
    }
    expect(new Set(nameOf.values()).size).toBe(nameOf.size)
    for (const trip of unnamed) expect(trip.sql.endsWith(COMPILED_MARK), trip.sql).toBe(false)
    expect(unnamed.map((trip) => trip.sql)).toEqual(expect.arrayContaining(['begin', 'commit']))

    // The server's view of the session: exactly the names the driver sent, with their texts.
    const host = await sql<{ two: number }>`select ${1}::int + 1 as two`.execute(env.db)
    expect(host.rows).toEqual([{ two: 2 }])
    const prepared = await preparedOnConnection(env)
    expect(new Map(named.map((trip) => [trip.name, trip.sql]))).toEqual(prepared)
    expect([...prepared.values()].some((statement) => statement.includes('::int + 1'))).toBe(false)
  })

  it('keeps the prepared statements to orgkit’s templates, whatever the values and filters', async () => {
    // Every limit and filter the rounds use, met once: a page of "my organizations" of each
    // size is a template of its own (see `organizationsWithRole`).
    for (let n = 1; n <= 10; n++) await operations(n)
    const before = await preparedOnConnection(env)
    const texts = () => new Set(trips.filter((trip) => trip.name !== undefined).map((trip) => trip.sql)).size
    const met = texts()
    // Ten more rounds of other values (names, users, roles, searches): nothing new prepared.
    for (let n = 11; n <= 20; n++) await operations(n)
    const after = await preparedOnConnection(env)
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
    expect(texts()).toBe(met)
    expect(after.size).toBeLessThanOrEqual(met)
  })

  it('moves to fresh names when a migration changes what a statement returns', async () => {
    const as = orgkit.as(owner)
    const user = await env.addUser()
    await as.can(orgId, 'members.read')
    await as.members.add(orgId, { userId: user.id, role: 'member' })

    // The organization read with the membership reads `o.*`: its result changes.
    await sql`alter table orgkit_organizations add column extra_one text`.execute(env.db)
    trips.length = 0
    expect(await as.can(orgId, 'members.read')).toBe(true)
    // Outside a transaction: refused under its name, run again under a fresh one.
    expect(trips).toHaveLength(2)
    const [refused, again] = trips as [Trip, Trip]
    expect(again.sql).toBe(refused.sql)
    expect(refused.name).toMatch(/^orgkit_[0-9a-f]{16}$/)
    expect(again.name).toBe(`${refused.name}_1`)
    trips.length = 0
    expect(await as.can(orgId, 'members.read')).toBe(true)
    expect(trips.map((trip) => trip.name)).toEqual([again.name])

    // Every statement now runs under the fresh names: a write prepares its statements anew.
    const second = await env.addUser()
    await as.members.add(orgId, { userId: second.id, role: 'member' })
    await as.members.update(orgId, second.id, { role: 'member' })

    // Inside a transaction (a role change: its lock reads `o.*` too): the refused statement
    // aborts it, and the transaction runs again.
    await sql`alter table orgkit_organizations add column extra_two text`.execute(env.db)
    trips.length = 0
    await as.members.update(orgId, second.id, { role: 'admin' })
    const texts = trips.map((trip) => trip.sql)
    expect(texts[0]).toBe('begin')
    expect(trips[1]?.name).toMatch(/_1$/)
    expect(texts[2]).toBe('rollback')
    expect(texts[3]).toBe('begin')
    expect(trips[4]).toEqual({ sql: trips[1]?.sql, name: trips[1]?.name?.replace(/_1$/, '_2') })
    expect(texts.at(-1)).toBe('commit')
    expect((await as.members.get(orgId, second.id)).role).toBe('admin')
    const changed = await as.audit.list(orgId, { limit: 1 })
    expect(changed.data.map((event) => [event.action, event.target.id])).toEqual([['member.updated', second.id]])
  })

  it('moves to fresh names when the statements were deallocated behind the driver', async () => {
    const as = orgkit.as(owner)
    await as.can(orgId, 'members.read')
    await sql`deallocate all`.execute(env.db)
    trips.length = 0
    expect(await as.can(orgId, 'members.read')).toBe(true)
    expect(trips).toHaveLength(2)
    expect(trips[1]?.name).toMatch(/_3$/)
  })
})

describe.runIf(onPostgres)('preparedStatements on a pg pool', () => {
  // A text as `compiled` ends one: named.
  const text = `select $1::int + 41 as answer${COMPILED_MARK}`
  let pool: pg.Pool

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: postgresTestUrl(), max: 1 })
  })
  afterAll(() => pool?.end())

  it('prepares on connections opened before it, through pool.query and checked-out clients, with guardPgPool after it', async () => {
    // A connection opened before the pool is wrapped.
    const early = await pool.connect()
    early.release()
    const errors: Error[] = []
    expect(guardPgPool(preparedStatements(pool, { onStale: (error) => errors.push(error) }))).toBe(pool)

    const viaPool = await pool.query(text, [1])
    expect(viaPool.rows).toEqual([{ answer: 42 }])
    const client = await pool.connect()
    try {
      expect(client).toBe(early)
      const viaCallback = await new Promise((resolve, reject) =>
        client.query(text, [2], (error, result) => (error ? reject(error) : resolve(result.rows))),
      )
      expect(viaCallback).toEqual([{ answer: 43 }])
      // A text without the mark runs unnamed.
      await client.query('select $1::int as other', [3])
      const { rows } = await client.query<{ name: string; statement: string }>(
        'select name, statement from pg_prepared_statements',
      )
      expect(rows).toEqual([{ name: expect.stringMatching(/^orgkit_[0-9a-f]{16}$/), statement: text }])
    } finally {
      client.release()
    }
    expect(errors).toEqual([])
  })

  it('works under guardPgPool too', async () => {
    const other = preparedStatements(guardPgPool(new pg.Pool({ connectionString: postgresTestUrl(), max: 1 })))
    try {
      expect((await other.query(text, [0])).rows).toEqual([{ answer: 41 }])
      const { rows } = await other.query('select name from pg_prepared_statements')
      expect(rows).toEqual([{ name: expect.stringMatching(/^orgkit_[0-9a-f]{16}$/) }])
    } finally {
      await other.end()
    }
  })
})
