/**
 * The host's data in the organization's lifecycle: deleting an organization deletes the rows
 * of the host tables declared organization-owned (or hands them to the table's `onDelete`) in
 * the same transaction as orgkit's own, `before` hooks write through that transaction, and a
 * failure in the host's part rolls the whole deletion back.
 */
import { createOrgkit, currentOrganizationId, type Orgkit, OrgkitError, type UserActor } from '@orgkit/core'
import { kyselyStorage, migrateToLatest, type OrganizationTable } from '@orgkit/kysely'
import { type Kysely, sql, type Transaction } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  createTestStorage,
  createUsersTable,
  insertUser,
  TEST_USERS_TABLE,
  type TestDatabase,
  testDialects,
} from '../../../test/support/databases'
import { ORGKIT_TABLES } from '../src/schema'

/** The host's tables, as its Kysely types them. */
interface HostDatabase {
  projects: { organization_id: string; id: string; name: string }
  /** Another column name for the organization. */
  tasks: { org: string; id: string; project_id: string }
  /** Handed to `onDelete`, which archives its rows. */
  invoices: { organization_id: string; id: string; amount: number }
  archived_invoices: { organization_id: string; id: string; amount: number }
  /** The host's own `teams`: a name orgkit uses for one of its logical tables. */
  teams: { organization_id: string; id: string }
  deletion_log: { organization_id: string; note: string }
  // biome-ignore lint/suspicious/noExplicitAny: the host's users table, written by the test support.
  users: any
}

const owner = (userId: string): UserActor => ({ type: 'user', userId })

describe.each(testDialects())('deleting an organization with the host data on %s', (dialect) => {
  let database: TestDatabase
  let db: Kysely<HostDatabase>
  /** What `onDelete` of invoices does next: archive (the default), throw, or leave rows behind. */
  let invoicesMode: 'archive' | 'throw' | 'leave' = 'archive'

  const organizationTables: OrganizationTable<HostDatabase>[] = [
    { table: 'tasks', column: 'org' },
    'projects',
    'teams',
    {
      table: 'invoices',
      async onDelete(transaction, organizationId) {
        if (invoicesMode === 'throw') throw new Error('the archive is down')
        await transaction
          .insertInto('archived_invoices')
          .columns(['organization_id', 'id', 'amount'])
          .expression(
            transaction
              .selectFrom('invoices')
              .select(['organization_id', 'id', 'amount'])
              .where('organization_id', '=', organizationId),
          )
          .execute()
        if (invoicesMode === 'leave') return
        await transaction.deleteFrom('invoices').where('organization_id', '=', organizationId).execute()
      },
    },
  ]

  let orgkit: Orgkit<string, Record<never, never>, Transaction<HostDatabase>>

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    db = database.db as Kysely<HostDatabase>
    await createUsersTable(database)
    const { error } = await migrateToLatest(database.db)
    if (error) throw error
    for (const table of ['projects', 'invoices', 'archived_invoices', 'teams', 'deletion_log'] as const) {
      let create = db.schema
        .createTable(table)
        .addColumn('organization_id', 'varchar(64)', (col) => col.notNull())
        .addColumn(table === 'deletion_log' ? 'note' : 'id', 'varchar(64)', (col) => col.notNull())
      if (table === 'invoices' || table === 'archived_invoices') create = create.addColumn('amount', 'integer')
      if (table === 'projects') create = create.addColumn('name', 'varchar(64)')
      await create.execute()
    }
    await db.schema
      .createTable('tasks')
      .addColumn('org', 'varchar(64)', (col) => col.notNull())
      .addColumn('id', 'varchar(64)', (col) => col.notNull())
      .addColumn('project_id', 'varchar(64)', (col) => col.notNull())
      .execute()
    for (const id of ['ann', 'bob']) await insertUser(database, { id, email: `${id}@example.com` })
    orgkit = createOrgkit({
      storage: kyselyStorage(db, { users: TEST_USERS_TABLE, organizationTables }),
    })
  })
  afterAll(() => database?.destroy())

  /** An organization with a member, an invitation, a key, and rows in every host table. */
  async function seeded(slug: string) {
    const org = await orgkit.as(owner('ann')).organizations.create({ name: slug, slug })
    await orgkit.as(owner('ann')).members.add(org.id, { userId: 'bob', role: 'member' })
    await orgkit.as(owner('ann')).invitations.create(org.id, { email: `zed-${slug}@example.com`, role: 'member' })
    await orgkit.as(owner('ann')).apiKeys.create(org.id, { name: 'ci', role: 'member' })
    await db
      .insertInto('projects')
      .values({ organization_id: org.id, id: `${slug}-p`, name: 'Roadmap' })
      .execute()
    await db
      .insertInto('tasks')
      .values({ org: org.id, id: `${slug}-t`, project_id: `${slug}-p` })
      .execute()
    await db
      .insertInto('invoices')
      .values({ organization_id: org.id, id: `${slug}-i`, amount: 12 })
      .execute()
    await db
      .insertInto('teams')
      .values({ organization_id: org.id, id: `${slug}-team` })
      .execute()
    return org
  }

  /** Every row that names `organizationId`, in orgkit's tables and the host's, by table. */
  async function rowsOf(organizationId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {}
    const count = async (table: string, column: string) => {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(
        column,
      )} = ${organizationId}`.execute(db)
      const n = Number(rows[0]?.n ?? 0)
      if (n > 0) counts[table] = n
    }
    for (const table of ORGKIT_TABLES) {
      if (table === 'organization_creators') continue
      await count(`orgkit_${table}`, table === 'organizations' ? 'id' : 'organization_id')
    }
    for (const table of ['projects', 'invoices', 'teams'] as const) await count(table, 'organization_id')
    await count('tasks', 'org')
    return counts
  }

  it('deletes the rows of every declared host table with the organization, and leaves no row naming it', async () => {
    invoicesMode = 'archive'
    const doomed = await seeded('doomed')
    const survivor = await seeded('survivor')
    const before = await rowsOf(survivor.id)
    expect(await rowsOf(doomed.id)).toMatchObject({ projects: 1, tasks: 1, invoices: 1, teams: 1 })

    await orgkit.as(owner('ann')).organizations.delete(doomed.id)

    expect(await rowsOf(doomed.id)).toEqual({})
    expect(await rowsOf(survivor.id)).toEqual(before)
    // onDelete moved the invoice instead of losing it.
    expect(
      await db.selectFrom('archived_invoices').selectAll().where('organization_id', '=', doomed.id).execute(),
    ).toEqual([{ organization_id: doomed.id, id: 'doomed-i', amount: 12 }])
    // The host's `teams` was emptied of the organization; orgkit's teams are orgkit's business.
    expect(await db.selectFrom('teams').select('id').where('organization_id', '=', survivor.id).execute()).toEqual([
      { id: 'survivor-team' },
    ])
    // bob's "my organizations" no longer lists it.
    const mine = await orgkit.as(owner('bob')).organizations.list()
    expect(mine.data.map((organization) => organization.id)).toEqual([survivor.id])
  })

  it('rolls the whole deletion back when the host part throws: the organization and its rows stay', async () => {
    invoicesMode = 'throw'
    const org = await seeded('kept-on-throw')
    const before = await rowsOf(org.id)
    await expect(orgkit.as(owner('ann')).organizations.delete(org.id)).rejects.toThrow('the archive is down')
    expect(await rowsOf(org.id)).toEqual(before)
    expect(await orgkit.as(owner('bob')).organizations.get(org.slug)).toMatchObject({ id: org.id, memberCount: 2 })
  })

  it('rolls the whole deletion back when onDelete leaves rows of the organization behind', async () => {
    invoicesMode = 'leave'
    const org = await seeded('kept-on-leftovers')
    const before = await rowsOf(org.id)
    await expect(orgkit.as(owner('ann')).organizations.delete(org.id)).rejects.toThrow(
      /onDelete of organization table "invoices" left rows/,
    )
    expect(await rowsOf(org.id)).toEqual(before)
    // What onDelete wrote before the failure was rolled back with the rest.
    expect(
      await db.selectFrom('archived_invoices').select('id').where('organization_id', '=', org.id).execute(),
    ).toEqual([])
  })

  it('hands before hooks the transaction: their writes commit with the deletion, or roll back with a veto', async () => {
    invoicesMode = 'archive'
    const seen: { organization: string | undefined; projects: number }[] = []
    const remove = orgkit.before('organization.deleted', async (event, { transaction }) => {
      // The hook runs first, in the organization being deleted, with its rows still there.
      const projects = await transaction
        .selectFrom('projects')
        .select('id')
        .where('organization_id', '=', event.organizationId)
        .execute()
      seen.push({ organization: currentOrganizationId(), projects: projects.length })
      await transaction
        .insertInto('deletion_log')
        .values({ organization_id: event.organizationId, note: 'gone' })
        .execute()
      if (event.changes.slug.startsWith('vetoed')) throw new OrgkitError('conflict', 'Close the open invoices first.')
    })
    try {
      const vetoed = await seeded('vetoed')
      const before = await rowsOf(vetoed.id)
      await expect(orgkit.as(owner('ann')).organizations.delete(vetoed.id)).rejects.toMatchObject({ code: 'conflict' })
      expect(await rowsOf(vetoed.id)).toEqual(before)
      const deleted = await seeded('logged')
      await orgkit.as(owner('ann')).organizations.delete(deleted.id)
      expect(await rowsOf(deleted.id)).toEqual({})

      expect(seen).toEqual([
        { organization: vetoed.id, projects: 1 },
        { organization: deleted.id, projects: 1 },
      ])
      // The vetoed hook's write went with its transaction; the other's committed.
      expect(await db.selectFrom('deletion_log').select('organization_id').execute()).toEqual([
        { organization_id: deleted.id },
      ])
    } finally {
      remove()
    }
  })

  it('refuses a bad declaration when the storage is made, naming the entry', () => {
    const make = (tables: unknown) =>
      kyselyStorage(db, { users: TEST_USERS_TABLE, organizationTables: tables as OrganizationTable[] })
    expect(() => make(['projects; drop table users'])).toThrow(/organizationTables\[0\].*not a plain SQL table name/)
    expect(() => make([{ table: 'projects', column: 'org id' }])).toThrow(/organizationTables\[0\]: column/)
    expect(() => make(['projects', 'projects'])).toThrow(/organizationTables\[1\]: "projects" is listed twice/)
    expect(() => make(['orgkit_members'])).toThrow(/one of orgkit's own tables/)
    expect(() => make([{ table: 'invoices', onDelete: 'archive' }])).toThrow(/onDelete must be a function/)
    expect(() => make('projects')).toThrow(/must list table names/)
    expect(() => make({ projects: 'org id' })).toThrow(/organizationTables\.projects: column/)
    expect(() => make({ projects: 'organization_id', tasks: 'org' })).not.toThrow()
  })
})

/**
 * What deleting an organization costs in statements. On one server: a fixed number, one
 * indexed statement a table, whatever the organization holds. Distributed (Citus): a fixed
 * number plus one per member (its "my organizations" row), three per invitation (its public
 * id, its token, its addressee's index row) and one per API key (its prefix), each by the key
 * it is placed by. docs/scaling.md states the same.
 */
describe.each(testDialects())('the statements of an organization deletion on %s', (dialect) => {
  const counted = async (distributed: boolean | undefined) => {
    let counting = false
    let count = 0
    let catalogReads = 0
    const env = await createTestStorage(dialect, {
      distributed,
      log: (event) => {
        if (counting) count += 1
        if (event.query.sql.includes('pg_extension')) catalogReads += 1
      },
    })
    for (const id of ['ann', 'u1', 'u2', 'u3']) await env.addUser({ id, email: `${id}@example.com` })
    const orgkit = createOrgkit({ storage: env.storage })
    const deletionStatements = async (extra: {
      members: number
      invitations: number
      keys: number
      links?: number
    }) => {
      const ann = orgkit.as(owner('ann'))
      const org = await ann.organizations.create({ name: 'Counted' })
      for (let i = 1; i <= extra.members; i++) await ann.members.add(org.id, { userId: `u${i}`, role: 'member' })
      for (let i = 1; i <= extra.invitations; i++) {
        await ann.invitations.create(org.id, { email: `guest${i}@example.com`, role: 'member' })
      }
      for (let i = 1; i <= extra.keys; i++) await ann.apiKeys.create(org.id, { name: `k${i}`, role: 'member' })
      for (let i = 1; i <= (extra.links ?? 0); i++) await ann.invitationLinks.create(org.id, { role: 'member' })
      count = 0
      counting = true
      await ann.organizations.delete(org.id)
      counting = false
      return count
    }
    return { env, deletionStatements, catalogReads: () => catalogReads }
  }

  it('on one server, a fixed number whatever the organization holds', async () => {
    const { env, deletionStatements } = await counted(false)
    try {
      const base = await deletionStatements({ members: 0, invitations: 0, keys: 0 })
      expect(await deletionStatements({ members: 3, invitations: 2, keys: 2, links: 2 })).toBe(base)
      // BEGIN and COMMIT, the lock with the caller's membership, the organization's slug and
      // creator, the ten lookup and per-user tables, the ten owned tables, the organization,
      // the creator's count; MariaDB also sets the isolation level.
      expect(base).toBe(dialect === 'mysql' ? 27 : 26)
    } finally {
      await env.destroy()
    }
  })

  it.runIf(dialect === 'postgres')('tells a distributed database by its catalog, read once', async () => {
    const { env, deletionStatements, catalogReads } = await counted(undefined)
    try {
      // No citus extension here: the one-server form. The catalog is read by the first write
      // whose form depends on it (creating the organization, on PostgreSQL), and never again.
      expect(await deletionStatements({ members: 3, invitations: 1, keys: 1 })).toBe(26)
      expect(await deletionStatements({ members: 3, invitations: 1, keys: 1 })).toBe(26)
      expect(catalogReads()).toBe(1)
    } finally {
      await env.destroy()
    }
  })

  it('distributed, a fixed base plus one per member, three per invitation and one per key', async () => {
    const { env, deletionStatements } = await counted(true)
    try {
      const base = await deletionStatements({ members: 0, invitations: 0, keys: 0 })
      expect(await deletionStatements({ members: 3, invitations: 0, keys: 0 })).toBe(base + 3)
      expect(await deletionStatements({ members: 0, invitations: 2, keys: 0 })).toBe(base + 6)
      expect(await deletionStatements({ members: 0, invitations: 0, keys: 2 })).toBe(base + 2)
      expect(await deletionStatements({ members: 0, invitations: 0, keys: 0, links: 2 })).toBe(base + 2)
      // As on one server, but the six key reads (members, invitations, keys, domains, join
      // requests, invitation links), the slug row and the owner's index row in place of the
      // ten per-table statements.
      expect(base).toBe(dialect === 'mysql' ? 25 : 24)
    } finally {
      await env.destroy()
    }
  })
})
