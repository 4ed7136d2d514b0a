/**
 * What `runTransaction` does when the database connection is lost, on the real servers:
 * before COMMIT was sent the transaction is run again (the server rolled it back); once
 * COMMIT was sent it is not (the server may have committed it), and the error is passed on.
 * And what creating an organization does, on PostgreSQL one statement committing on its
 * own, when its connection is lost (`runAlone`).
 */
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { guardMysqlPool, guardPgPool } from '@orgkit/kysely'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  sql,
  type Transaction,
} from 'kysely'
import { createPool } from 'mysql2'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createScratchDatabaseUrl,
  createTestStorage,
  mysqlTestUrl,
  postgresTestUrl,
  type TestStorage,
  testDialects,
} from '../../../test/support/databases'
import { storageDialect } from '../src/dialects'
import { runTransaction } from '../src/transaction'

interface Items {
  items: { id: string; attempt: number }
}

/** Ends one connection of the server from an administrator's session. */
interface Terminator {
  terminate(connectionId: number): Promise<void>
  close(): Promise<void>
}

const servers = testDialects().filter((dialect) => dialect !== 'sqlite') as ('postgres' | 'mysql')[]

// Without a server dialect the file still declares its suite, skipped, so that a SQLite-only
// run does not fail on a file without tests.
if (servers.length === 0) {
  describe.skip('transactions losing their connection (needs postgres or mysql in ORGKIT_TEST_DIALECTS)', () => {
    it('runs on PostgreSQL and MariaDB only', () => {})
  })
}

describe.each(servers)('transactions losing their connection on %s', (name) => {
  const dialect = storageDialect(name)
  let scratch: { url: string; drop(): Promise<void> }
  let terminator: Terminator
  let db: Kysely<Items>
  /** When set, COMMIT goes through and then the connection dies before its answer is read. */
  let loseConnectionAfterCommit = false

  /** The server's id of the connection a query runs on: what `terminate` takes. */
  const connectionId = async (trx: Transaction<Items>) => {
    const query =
      name === 'postgres'
        ? sql<{ id: number }>`select pg_backend_pid() as id`
        : sql<{ id: number }>`select connection_id() as id`
    return Number((await query.execute(trx)).rows[0]!.id)
  }

  beforeAll(async () => {
    scratch = await createScratchDatabaseUrl(name)
    terminator = await connectTerminator(name)
    const inner: Dialect =
      name === 'postgres'
        ? new PostgresDialect({ pool: guardPgPool(new pg.Pool({ connectionString: scratch.url, max: 2 })) })
        : new MysqlDialect({
            pool: guardMysqlPool(createPool({ uri: scratch.url, timezone: 'Z', connectionLimit: 2 })),
          })
    db = new Kysely<Items>({
      dialect: withCommitFault(inner, {
        enabled: () => loseConnectionAfterCommit,
        async loseConnection(connection) {
          const query = name === 'postgres' ? 'select pg_backend_pid() as id' : 'select connection_id() as id'
          const { rows } = await connection.executeQuery<{ id: number }>(CompiledQuery.raw(query))
          await terminator.terminate(Number(rows[0]!.id))
        },
      }),
    })
    await db.schema
      .createTable('items')
      .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
      .addColumn('attempt', 'integer', (col) => col.notNull())
      .execute()
  })
  afterAll(async () => {
    await db?.destroy()
    await terminator?.close()
    await scratch?.drop()
  })
  beforeEach(() => {
    loseConnectionAfterCommit = false
  })

  const stored = (id: string) => db.selectFrom('items').select(['id', 'attempt']).where('id', '=', id).execute()

  it('runs the transaction again when the connection was lost before COMMIT', async () => {
    let attempts = 0
    const result = await runTransaction(db, dialect, async (trx) => {
      attempts += 1
      await trx.insertInto('items').values({ id: 'before-commit', attempt: attempts }).execute()
      if (attempts === 1) {
        await terminator.terminate(await connectionId(trx))
        await sql`select 1`.execute(trx) // fails: the connection is gone
        throw new Error('the terminated connection still answered')
      }
      return attempts
    })
    expect(result).toBe(2)
    // The first attempt's insert went with its connection; the second one committed.
    expect(await stored('before-commit')).toEqual([{ id: 'before-commit', attempt: 2 }])
  })

  it('does not run it again when the connection was lost after COMMIT was sent', async () => {
    loseConnectionAfterCommit = true
    let attempts = 0
    const outcome = runTransaction(db, dialect, async (trx) => {
      attempts += 1
      await trx.insertInto('items').values({ id: 'at-commit', attempt: attempts }).execute()
    })
    await expect(outcome).rejects.toSatisfy((error) => dialect.isConnectionLost(error))
    expect(attempts).toBe(1)
    // It was committed, once: running it again would have applied it twice (here, a
    // duplicate key; in orgkit, a second organization or audit event).
    loseConnectionAfterCommit = false
    expect(await stored('at-commit')).toEqual([{ id: 'at-commit', attempt: 1 }])
  })

  it('passes on an error of the transaction itself without running it again', async () => {
    let attempts = 0
    const outcome = runTransaction(db, dialect, async (trx) => {
      attempts += 1
      await trx.insertInto('items').values({ id: 'refused', attempt: attempts }).execute()
      throw new Error('refused')
    })
    await expect(outcome).rejects.toThrow('refused')
    expect(attempts).toBe(1)
    expect(await stored('refused')).toEqual([])
  })
})

describe.runIf(servers.includes('postgres'))(
  'writes of one statement committing on their own, losing their connection',
  () => {
    let env: TestStorage
    let terminator: Terminator
    let orgkit: Orgkit
    let owner: Actor
    /**
     * Where the next write's statement loses its connection: before it is sent, or once it has
     * run. The statement is known by its first CTE: `claimed` (creating an organization) or
     * `decided` (adding a member).
     */
    let fault: { statement: 'claimed' | 'decided'; where: 'before sending' | 'after running' } | null = null
    let faults = 0

    /**
     * Wraps a pooled client's `query`: the write's statement loses its connection where
     * `fault` says, and the driver's own error for the dead connection is what it reports.
     */
    const losingWrites = (client: pg.PoolClient) => {
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>
      client.query = (async (...args: unknown[]) => {
        const [first] = args
        const text = typeof first === 'string' ? first : String((first as { text?: unknown }).text)
        if (fault === null || !text.startsWith(`with "${fault.statement}" as`)) return query(...args)
        const { where } = fault
        fault = null
        faults += 1
        const { rows } = (await query('select pg_backend_pid() as pid')) as { rows: { pid: number }[] }
        if (where === 'after running') await query(...args)
        await terminator.terminate(rows[0]!.pid)
        await query('select 1') // fails: the connection is gone
        throw new Error('the terminated connection still answered')
      }) as typeof client.query
    }

    beforeAll(async () => {
      terminator = await connectTerminator('postgres')
      env = await createTestStorage('postgres', { withPool: (pool) => pool.on('connect', losingWrites) })
      orgkit = createOrgkit({ storage: env.storage })
      const user = await env.addUser()
      owner = { type: 'user', userId: user.id, email: user.email }
    })
    afterAll(async () => {
      await env?.destroy()
      await terminator?.close()
    })
    beforeEach(() => {
      fault = null
      faults = 0
    })

    /** The owner's organizations named `name`, each with its audit trail's actions and its members. */
    const stored = async (name: string) => {
      const { rows } = await sql<{ id: string; slug: string; member_count: number }>`
      select id, slug, member_count from orgkit_organizations where name = ${name}`.execute(env.db)
      return Promise.all(
        rows.map(async (row) => ({
          slug: row.slug,
          memberCount: Number(row.member_count),
          actions: (await orgkit.as(owner).audit.list(row.id)).data.map((event) => event.action).sort(),
          members: (await orgkit.as(owner).members.list(row.id)).data.map((member) => member.userId),
        })),
      )
    }
    const createdBy = async () => {
      const { rows } = await sql<{ n: number }>`
      select organization_count as n from orgkit_organization_creators where user_id = ${(owner as { userId: string }).userId}`.execute(
        env.db,
      )
      return Number(rows[0]?.n ?? 0)
    }
    const once = (slug: string) => [
      {
        slug,
        memberCount: 1,
        actions: ['member.added', 'organization.created'],
        members: [(owner as { userId: string }).userId],
      },
    ]

    it('answers with the organization the lost statement committed, written once', async () => {
      const before = await createdBy()
      fault = { statement: 'claimed', where: 'after running' }
      const created = await orgkit.as(owner).organizations.create({ name: 'Kept', slug: 'kept' })
      expect(faults).toBe(1)
      expect(created).toMatchObject({ name: 'Kept', slug: 'kept', role: 'owner' })
      expect(await stored('Kept')).toEqual(once('kept'))
      expect(await createdBy()).toBe(before + 1)
      expect((await orgkit.as(owner).organizations.list()).data.filter((o) => o.id === created.id)).toHaveLength(1)
    })

    it('does not create a second one under the next generated slug', async () => {
      fault = { statement: 'claimed', where: 'after running' }
      const created = await orgkit.as(owner).organizations.create({ name: 'Generated' })
      expect(faults).toBe(1)
      expect(await stored('Generated')).toEqual(once(created.slug))
    })

    it('runs it again when it was lost before it was sent', async () => {
      const before = await createdBy()
      fault = { statement: 'claimed', where: 'before sending' }
      const created = await orgkit.as(owner).organizations.create({ name: 'Again', slug: 'again' })
      expect(faults).toBe(1)
      expect(await stored('Again')).toEqual(once(created.slug))
      expect(await createdBy()).toBe(before + 1)
    })

    it.each([
      ['answers with the member the lost statement added, added once', 'after running'],
      ['adds the member when the statement was lost before it was sent', 'before sending'],
    ] as const)('%s', async (_, where) => {
      const organization = await orgkit.as(owner).organizations.create({ name: `Joined ${where}` })
      const user = await env.addUser()
      fault = { statement: 'decided', where }
      const added = await orgkit.as(owner).members.add(organization.id, { userId: user.id, role: 'member' })
      expect(faults).toBe(1)
      expect(added).toMatchObject({ userId: user.id, role: 'member' })
      const trail = await orgkit.as(owner).audit.list(organization.id)
      const events = trail.data.filter((event) => event.action === 'member.added' && event.target.id === user.id)
      expect(events).toHaveLength(1)
      expect((await orgkit.as(owner).organizations.get(organization.id)).memberCount).toBe(2)
    })
  },
)

/**
 * A dialect whose COMMIT reaches the server and then loses its connection, so that the
 * driver's own error for a dead connection is what the commit reports: the case where the
 * client cannot know whether the transaction committed.
 */
function withCommitFault(
  inner: Dialect,
  fault: { enabled(): boolean; loseConnection(connection: DatabaseConnection): Promise<void> },
): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver(): Driver {
      const driver = inner.createDriver()
      return {
        init: () => driver.init(),
        acquireConnection: () => driver.acquireConnection(),
        beginTransaction: (connection, settings) => driver.beginTransaction(connection, settings),
        async commitTransaction(connection) {
          await driver.commitTransaction(connection)
          if (!fault.enabled()) return
          await fault.loseConnection(connection)
          await connection.executeQuery(CompiledQuery.raw('select 1'))
          throw new Error('the terminated connection still answered')
        },
        rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
        releaseConnection: (connection) => driver.releaseConnection(connection),
        destroy: () => driver.destroy(),
      }
    },
  }
}

async function connectTerminator(name: 'postgres' | 'mysql'): Promise<Terminator> {
  if (name === 'postgres') {
    const admin = new pg.Client({ connectionString: postgresTestUrl() })
    await admin.connect()
    return {
      async terminate(pid) {
        await admin.query('select pg_terminate_backend($1)', [pid])
        // Wait until the server has ended it, so that its next statement surely fails: for as
        // long as that takes (a busy server takes longer), not for a fixed number of tries.
        for (;;) {
          const { rowCount } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid])
          if (rowCount === 0) return
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      },
      close: () => admin.end(),
    }
  }
  const admin = await createConnection({ uri: mysqlTestUrl() })
  return {
    async terminate(id) {
      await admin.query('kill connection ?', [id])
    },
    close: () => admin.end(),
  }
}
