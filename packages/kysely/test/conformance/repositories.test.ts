/**
 * The storage conformance suite (`@orgkit/testing`) on every dialect,
 * and what only the Kysely adapter has to answer for: the host's user table read through a
 * column mapping, and an organization's delete reaching every table that holds its rows.
 */

import { createId, pageInput } from '@orgkit/core'
import { DEFAULT_TABLE_PREFIX, kyselyStorage, migrateToLatest, orgkitMigrationTables } from '@orgkit/kysely'
import {
  apiKey,
  customRole,
  domainRecord,
  event,
  invitation,
  invitationLinkRecord,
  joinRequestRecord,
  organization,
  runOrganizationsConformance,
  runStorageConformance,
  team,
} from '@orgkit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  createTestStorage,
  ownTables,
  type TestDatabase,
  type TestStorage,
  testDialects,
} from '../../../../test/support/databases'
import { ORGANIZATION_ROW_TABLES, ORGKIT_TABLES } from '../../src/schema'

const T0 = new Date('2026-01-01T00:00:00.000Z')
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

for (const dialect of testDialects()) {
  runStorageConformance(dialect, () => createTestStorage(dialect))
}
// Distributed, as on Citus, a create claims the slug and the creator's slot in statements of
// their own instead of folding them into the organization's.
if (testDialects().includes('postgres')) {
  runOrganizationsConformance('postgres, distributed', () => createTestStorage('postgres', { distributed: true }))
  // orgkit's compiled statements named through `preparedStatements`: the same answers.
  runStorageConformance('postgres, prepared statements', () =>
    createTestStorage('postgres', { preparedStatements: true }),
  )
}

describe.each(testDialects())('the host user table on %s', (dialect) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
  })
  afterAll(() => database?.destroy())

  it('reads the host user table through a column mapping, in the member listing query', async () => {
    await database.db.schema
      .createTable('accounts')
      .addColumn('account_id', 'varchar(64)', (col) => col.primaryKey())
      .addColumn('mail', 'varchar(320)', (col) => col.notNull())
      .addColumn('display_name', 'varchar(255)')
      .execute()
    await database.db
      .insertInto('accounts')
      .values({ account_id: 'a1', mail: 'A1@Example.com', display_name: 'First' })
      .execute()
    expect((await migrateToLatest(database.db, { tablePrefix: 'tenant2_' })).error).toBeUndefined()
    const storage = kyselyStorage(database.db, {
      tablePrefix: 'tenant2_',
      users: { table: 'accounts', columns: { id: 'account_id', email: 'mail', name: 'display_name' } },
    })
    const org = organization('mapped')
    await storage.organizations.insert(org)
    await storage.members.insert({ organizationId: org.id, userId: 'a1', role: 'owner', joinedAt: T0 })
    await storage.members.insert({ organizationId: org.id, userId: 'gone', role: 'member', joinedAt: at(1) })
    const listed = await storage.members.list(org.id, {}, pageInput({ limit: 10 }))
    expect(listed.data.map((m) => m.user)).toEqual([
      { id: 'a1', email: 'A1@Example.com', username: null, name: 'First', imageUrl: null },
      // A user missing from the host's table reads as nulls rather than vanishing.
      { id: 'gone', email: null, username: null, name: null, imageUrl: null },
    ])
    expect((await storage.users.findByEmail('a1@example.com'))?.id).toBe('a1')
    expect(() =>
      kyselyStorage(database.db, { users: { table: 'accounts; drop', columns: { id: 'id', email: 'mail' } } }),
    ).toThrow(/@orgkit\/kysely/)
  })
})

describe.each(testDialects())('the organization cascade on %s', (dialect) => {
  let env: TestStorage

  beforeAll(async () => {
    env = await createTestStorage(dialect)
  })
  afterAll(() => env?.destroy())

  /** orgkit's tables as the database has them: logical name → column names. */
  async function orgkitTables(): Promise<Map<string, string[]>> {
    const { migrationTableName, migrationLockTableName } = orgkitMigrationTables()
    const tables = new Map<string, string[]>()
    for (const table of await ownTables(env.db, dialect)) {
      if (!table.name.startsWith(DEFAULT_TABLE_PREFIX)) continue
      if (table.name === migrationTableName || table.name === migrationLockTableName) continue
      tables.set(table.name.slice(DEFAULT_TABLE_PREFIX.length), table.columns)
    }
    return tables
  }

  /** Rows of `organizationId` in one table, counted in the database itself. */
  async function rowsOf(table: string, organizationId: string): Promise<number> {
    const row = await env.db
      .selectFrom(`${DEFAULT_TABLE_PREFIX}${table}`)
      .select((eb) => eb.fn.countAll().as('count'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
    return Number(row.count)
  }

  /** An organization with a row in every table an organization can own. */
  async function populated(slug: string) {
    const { storage } = env
    const org = organization(slug)
    await storage.organizations.insert(org)
    await storage.members.insert({ organizationId: org.id, userId: 'ann', role: 'owner', joinedAt: T0 })
    const red = team(org.id, 'red')
    await storage.teams.insert(red)
    await storage.teamMembers.insert({
      organizationId: org.id,
      teamId: red.id,
      userId: 'ann',
      role: 'lead',
      joinedAt: T0,
    })
    await storage.roles.insert(customRole(org.id, 'billing'))
    await storage.invitations.insert(invitation(org.id, `${slug}@example.com`), T0)
    await storage.apiKeys.insert(apiKey(org.id, createId('apiKey').slice(-12)))
    await storage.audit.append([event(org.id, 'organization.created', at(1))])
    await storage.domains.insert(domainRecord(org.id, `${slug}.example.com`))
    await storage.domains.markVerified(org.id, `${slug}.example.com`, at(1))
    await storage.joinRequests.insert(joinRequestRecord(org.id, 'bob'))
    await storage.invitationLinks.insert(invitationLinkRecord(org.id))
    return org
  }

  it('knows every table: those with an organization_id column are exactly the ones the delete empties', async () => {
    const tables = await orgkitTables()
    // A table a migration adds must be named in ORGKIT_TABLES (and so get the prefix)…
    expect([...tables.keys()].sort()).toEqual([...ORGKIT_TABLES].sort())
    // …and, when it holds rows of an organization, in the cascade's list.
    const owned = [...tables]
      .filter(([, columns]) => columns.includes('organization_id'))
      .map(([name]) => name)
      .sort()
    expect(owned).toEqual([...ORGANIZATION_ROW_TABLES].sort())
  })

  it('leaves no row of a deleted organization in any table, and every row of another', async () => {
    const doomed = await populated('cascade-doomed')
    const survivor = await populated('cascade-survivor')
    const owned = [...(await orgkitTables())].filter(([, columns]) => columns.includes('organization_id'))
    expect(owned.length).toBeGreaterThan(0)
    const before = new Map<string, number>()
    for (const [table] of owned) {
      // Every table holds rows of both, so the checks below are not vacuous.
      expect(await rowsOf(table, doomed.id), table).toBeGreaterThan(0)
      before.set(table, await rowsOf(table, survivor.id))
    }
    expect(await env.storage.organizations.delete(doomed.id)).toBe(true)
    for (const [table] of owned) {
      expect(await rowsOf(table, doomed.id), table).toBe(0)
      expect(await rowsOf(table, survivor.id), table).toBe(before.get(table))
    }
    const { data } = await env.storage.organizations.listAll(pageInput({ limit: 100 }))
    expect(data.map((o) => o.id)).toEqual([survivor.id])
  })
})
