/**
 * Row Level Security on PostgreSQL, the second wall: the policies, the transaction-local
 * setting on a pool, and the start-up check. The tables are owned by the test database's
 * superuser; the application connects as a login role of its own, as a host's should.
 */
import {
  checkRowLevelSecurity,
  enableRowLevelSecurity,
  organizationTransaction,
  scopeToOrganization,
  unscoped,
} from '@orgkit/kysely'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase, testDialects } from '../../../../test/support/databases'
import { type AnyDb, createAppRole, createScopeTables, ORG_A, ORG_B, SCOPED_TABLES, seedScopeTables } from './fixture'

const TABLES = { tables: SCOPED_TABLES }

describe.runIf(testDialects().includes('postgres'))('Row Level Security on PostgreSQL', () => {
  let database: TestDatabase
  /** The tables' owner, a superuser. */
  let admin: AnyDb
  /** The application's pool, as a role that neither owns the tables nor bypasses RLS. */
  let app: AnyDb
  /** One connection only: whatever one transaction leaves on it, the next one finds. */
  let single: AnyDb
  const drops: (() => Promise<void>)[] = []

  beforeAll(async () => {
    database = await createTestDatabase('postgres')
    admin = database.db
    await createScopeTables(admin)
    await seedScopeTables(admin)
    await enableRowLevelSecurity(admin, TABLES)
    const appRole = await createAppRole(admin, { max: 4 })
    const singleRole = await createAppRole(admin, { max: 1 })
    drops.push(appRole.drop, singleRole.drop)
    app = appRole.db
    single = singleRole.db
  })

  afterAll(async () => {
    for (const drop of drops) await drop()
    await database?.destroy()
  })

  beforeEach(async () => {
    // The owner is held by FORCE too: it reseeds with the policy switched off for the moment.
    await sql`alter table projects no force row level security`.execute(admin)
    await sql`alter table tasks no force row level security`.execute(admin)
    await sql`alter table projects disable row level security`.execute(admin)
    await sql`alter table tasks disable row level security`.execute(admin)
    await seedScopeTables(admin)
    await enableRowLevelSecurity(admin, TABLES)
  })

  const projectIds = async (db: AnyDb) =>
    (await db.selectFrom('projects').select('id').orderBy('id').execute()).map((row) => row.id)

  it('returns nothing, and writes nothing, without the setting', async () => {
    expect(await projectIds(app)).toEqual([])
    expect(await app.selectFrom('tasks').selectAll().execute()).toEqual([])
    const updated = await app.updateTable('projects').set({ name: 'x' }).executeTakeFirst()
    expect(Number(updated.numUpdatedRows)).toBe(0)
    await expect(
      app.insertInto('projects').values({ id: 'p_new', organization_id: ORG_A, name: 'n' }).execute(),
    ).rejects.toThrow(/row-level security/)
  })

  it('shows and writes only the organization set for the transaction', async () => {
    expect(await organizationTransaction(app, ORG_A, projectIds)).toEqual(['pa1', 'pa2'])
    expect(await organizationTransaction(app, ORG_B, projectIds)).toEqual(['pb1', 'pb2'])
    await expect(
      organizationTransaction(app, ORG_A, (trx) =>
        trx.insertInto('projects').values({ id: 'p_evil', organization_id: ORG_B, name: 'planted' }).execute(),
      ),
    ).rejects.toThrow(/row-level security/)
    // Moving a row to another organization fails the policy's check too.
    await expect(
      organizationTransaction(app, ORG_A, (trx) =>
        trx.updateTable('projects').set({ organization_id: ORG_B }).where('id', '=', 'pa1').execute(),
      ),
    ).rejects.toThrow(/row-level security/)
    // Deleting everything deletes A's rows only.
    await organizationTransaction(app, ORG_A, (trx) => trx.deleteFrom('tasks').execute())
    const left = await admin.selectFrom('tasks').select('id').orderBy('id').execute()
    expect(left.map((row) => row.id)).toEqual(['tb1', 'tb2'])
  })

  it('is the wall behind the plugin: a query that escapes the plugin still sees one organization', async () => {
    const rows = await organizationTransaction(app, ORG_A, (trx) => {
      const scoped = scopeToOrganization(trx, ORG_A, TABLES)
      return unscoped(scoped, 'test: the plugin forgotten').selectFrom('tasks').select('id').orderBy('id').execute()
    })
    expect(rows.map((row) => row.id)).toEqual(['ta1', 'ta2', 'ta3'])
  })

  it('never carries one transaction’s organization into the next on a pooled connection', async () => {
    const setting = sql<{ value: string | null }>`select current_setting('orgkit.organization_id', true) as value`
    const backend = sql<{ pid: number }>`select pg_backend_pid() as pid`
    const first = await organizationTransaction(single, ORG_A, async (trx) => {
      expect((await setting.execute(trx)).rows[0]?.value).toBe(ORG_A)
      return (await backend.execute(trx)).rows[0]?.pid
    })
    // The same connection (the pool holds one), outside any transaction: no organization.
    expect((await backend.execute(single)).rows[0]?.pid).toBe(first)
    expect(['', null]).toContain((await setting.execute(single)).rows[0]?.value)
    expect(await projectIds(single)).toEqual([])
    // A transaction that fails leaves nothing either.
    await expect(
      organizationTransaction(single, ORG_B, async () => {
        throw new Error('request failed')
      }),
    ).rejects.toThrow('request failed')
    expect(await projectIds(single)).toEqual([])
    // The next request's organization, on the same connection, sees its own rows only.
    expect(await organizationTransaction(single, ORG_B, projectIds)).toEqual(['pb1', 'pb2'])
  })

  it('keeps two concurrent requests apart', async () => {
    // Both transactions are open at once: each waits, before reading, for the other to have set its organization.
    let markA!: () => void
    let markB!: () => void
    const aSet = new Promise<void>((resolve) => {
      markA = resolve
    })
    const bSet = new Promise<void>((resolve) => {
      markB = resolve
    })
    const [a, b] = await Promise.all([
      organizationTransaction(app, ORG_A, async (trx) => {
        markA()
        await bSet
        return projectIds(trx)
      }),
      organizationTransaction(app, ORG_B, async (trx) => {
        markB()
        await aSet
        return projectIds(trx)
      }),
    ])
    expect(a).toEqual(['pa1', 'pa2'])
    expect(b).toEqual(['pb1', 'pb2'])
  })

  describe('the start-up check', () => {
    it('passes when every piece is in place', async () => {
      await expect(checkRowLevelSecurity(app, TABLES)).resolves.toBeUndefined()
    })

    it('refuses a role that bypasses Row Level Security, unless told it is intended', async () => {
      await expect(checkRowLevelSecurity(admin, TABLES)).rejects.toThrow(/is a superuser/)
      await expect(checkRowLevelSecurity(admin, { ...TABLES, allowBypassingRole: true })).resolves.toBeUndefined()
      const bypassing = await createAppRole(admin, { attributes: 'bypassrls', max: 1 })
      try {
        await expect(checkRowLevelSecurity(bypassing.db, TABLES)).rejects.toThrow(
          new RegExp(`${bypassing.name} has BYPASSRLS`),
        )
      } finally {
        await bypassing.drop()
      }
    })

    it('refuses each missing piece, naming the table', async () => {
      const refusal = async () => {
        const error = await checkRowLevelSecurity(app, TABLES).then(
          () => undefined,
          (caught: Error) => caught,
        )
        expect(error).toBeInstanceOf(Error)
        return error!.message
      }
      await sql`alter table tasks no force row level security`.execute(admin)
      expect(await refusal()).toMatch(/tasks does not FORCE Row Level Security/)
      await sql`alter table tasks disable row level security`.execute(admin)
      expect(await refusal()).toMatch(/tasks has Row Level Security disabled/)
      await enableRowLevelSecurity(admin, TABLES)
      await sql`drop policy orgkit_organization_isolation on projects`.execute(admin)
      expect(await refusal()).toMatch(/projects has no policy that reads orgkit.organization_id/)
      await enableRowLevelSecurity(admin, TABLES)
      await sql`create policy everyone on projects for select using (true)`.execute(admin)
      try {
        expect(await refusal()).toMatch(/projects has a permissive policy everyone/)
      } finally {
        await sql`drop policy everyone on projects`.execute(admin)
      }
      await expect(checkRowLevelSecurity(app, { tables: ['projects', 'invoices'] })).rejects.toThrow(
        /invoices does not exist/,
      )
    })
  })

  it('refuses an organization column the policy cannot compare, naming the table', async () => {
    await admin.schema.createTable('counters').addColumn('organization_id', 'integer').execute()
    await expect(enableRowLevelSecurity(admin, { tables: ['counters'] })).rejects.toThrow(
      /counters\.organization_id is integer/,
    )
    await expect(enableRowLevelSecurity(admin, { tables: ['counters'], column: 'org' })).rejects.toThrow(
      /counters has no column org/,
    )
    const state = await sql<{
      enabled: boolean
    }>`select relrowsecurity as enabled from pg_class where oid = to_regclass('counters')`.execute(admin)
    expect(state.rows[0]?.enabled).toBe(false)
  })
})
