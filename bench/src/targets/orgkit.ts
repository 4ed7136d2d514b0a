import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { type Kysely, sql } from 'kysely'
import type { StatementCounter } from '../measure'
import type { BenchOrganization, BenchSystem, BenchUser } from '../workloads'

// The scratch database's own tables (users) and orgkit's; their types are not worth spelling out.
// biome-ignore lint/suspicious/noExplicitAny: a scratch database
export type ScratchDb = Kysely<any>

const PREFIX = 'orgkit_'
const BATCH = 500

/** The host's user table, created the way a host would have it. */
export async function createUsersTable(db: ScratchDb): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('email', 'varchar(320)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)')
    .execute()
}

/** orgkit on a Kysely instance, migrated, reading the host's `users` table. */
export async function createOrgkitOn(db: ScratchDb): Promise<Orgkit> {
  await createUsersTable(db)
  const { error } = await migrateToLatest(db, { tablePrefix: PREFIX })
  if (error) throw error
  const storage = kyselyStorage(db, {
    tablePrefix: PREFIX,
    // The bench's users, like most hosts', have their emails stored lower-cased: said so, the
    // lookups by email use the column's own index (docs/storage.md).
    users: { table: 'users', columns: { id: 'id', email: 'email', name: 'name' }, emailNormalized: true },
  })
  return createOrgkit({ storage, invitations: { requireVerifiedEmail: false } })
}

export function orgkitSystem(
  name: string,
  db: ScratchDb,
  orgkit: Orgkit,
  counter: StatementCounter,
  dialect: 'sqlite' | 'postgres',
): BenchSystem {
  let nextUser = 0
  /** The first user number of the large organization's members. */
  let largeStart: number | undefined
  const actor = (user: BenchUser): Actor => ({ type: 'user', userId: user.id, email: user.email })
  const as = (user: BenchUser) => orgkit.as(actor(user))

  return {
    name,
    counter,
    notes: [],
    async seedUsers(count) {
      const users: BenchUser[] = []
      for (let i = 0; i < count; i++) {
        const n = nextUser++
        users.push({ id: `usr_${n}`, email: `user${n}@example.com` })
      }
      for (let i = 0; i < users.length; i += BATCH) {
        const batch = users.slice(i, i + BATCH).map((u) => ({ ...u, name: `User ${u.id}` }))
        await db.insertInto('users').values(batch).execute()
      }
      return users
    },
    async createOrganization(owner, orgName, slug) {
      const org = await as(owner).organizations.create({ name: orgName, slug })
      return { id: org.id, slug: org.slug }
    },
    async addMember(owner, org, user, role) {
      await as(owner).members.add(org.id, { userId: user.id, role })
    },
    async pageAt(owner, org, offset) {
      // Keyset pages have no offset: walk there once, untimed, and keep the cursor.
      let cursor: string | undefined
      for (let skipped = 0; skipped < offset; ) {
        const limit = Math.min(100, offset - skipped)
        const page = await as(owner).members.list(org.id, cursor === undefined ? { limit } : { limit, cursor })
        cursor = page.nextCursor ?? undefined
        skipped += limit
      }
      return cursor
    },
    async listMembers(owner, org, page) {
      const cursor = page as string | undefined
      const result = await as(owner).members.list(org.id, cursor === undefined ? { limit: 50 } : { limit: 50, cursor })
      return result.data.length
    },
    async invite(owner, org, email) {
      const issued = await as(owner).invitations.create(org.id, { email, role: 'member' })
      return issued.token
    },
    async accept(invitee, _org, token) {
      await as(invitee).invitations.accept({ token })
    },
    can: (user, org) => as(user).can(org.id, 'members.read'),
    async getOrganization(user, org) {
      await as(user).organizations.get(org.id)
    },
    largeMember: (index) => {
      if (largeStart === undefined) throw new Error('no large organization seeded')
      const n = largeStart + index
      return { id: `usr_${n}`, email: `user${n}@example.com` }
    },
    async changeRole(owner, org, user, role) {
      await as(owner).members.update(org.id, user.id, { role })
    },
    async listOrganizations(user) {
      let count = 0
      let cursor: string | undefined
      do {
        const page = await as(user).organizations.list(cursor === undefined ? { limit: 100 } : { limit: 100, cursor })
        count += page.data.length
        cursor = page.nextCursor ?? undefined
      } while (cursor !== undefined)
      return count
    },
    async settle() {
      await sql`analyze`.execute(db)
    },
    async seedLargeOrganization(owner, count): Promise<BenchOrganization> {
      const org = await this.createOrganization(owner, 'Large', 'large')
      const start = nextUser
      largeStart = start
      nextUser += count
      const base = Date.UTC(2026, 0, 1)
      // One INSERT … SELECT per table, generated by the database: the rows orgkit's own
      // `members.add` writes (the member row; the kept count on the organization).
      if (dialect === 'postgres') {
        await sql`insert into users (id, email, name)
          select 'usr_' || n, 'user' || n || '@example.com', 'User usr_' || n
          from generate_series(${start}::int, ${start + count - 1}::int) as n`.execute(db)
        await sql`insert into ${sql.table(`${PREFIX}members`)} (organization_id, user_id, role, joined_at)
          select ${org.id}, 'usr_' || n, 'member', to_timestamp((${base}::bigint + n) / 1000.0)
          from generate_series(${start}::int, ${start + count - 1}::int) as n`.execute(db)
      } else {
        await sql`with recursive seq(n) as (select cast(${start} as integer) union all select n + 1 from seq where n < ${start + count - 1})
          insert into users (id, email, name) select 'usr_' || n, 'user' || n || '@example.com', 'User usr_' || n from seq`.execute(
          db,
        )
        await sql`with recursive seq(n) as (select cast(${start} as integer) union all select n + 1 from seq where n < ${start + count - 1})
          insert into ${sql.table(`${PREFIX}members`)} (organization_id, user_id, role, joined_at)
          select ${org.id}, 'usr_' || n, 'member', strftime('%Y-%m-%dT%H:%M:%fZ', (${base} + n) / 1000.0, 'unixepoch') from seq`.execute(
          db,
        )
      }
      // Newer schemas keep a per-user index of memberships ("my organizations"), written
      // with the member row: copied from the rows just inserted.
      const indexTable = `${PREFIX}user_memberships`
      const exists =
        dialect === 'postgres'
          ? await sql<{ t: string | null }>`select to_regclass(${indexTable})::text as t`.execute(db)
          : await sql<{ t: string | null }>`select name as t from sqlite_master where name = ${indexTable}`.execute(db)
      if (exists.rows[0]?.t) {
        await sql`insert into ${sql.table(`${PREFIX}user_memberships`)} (user_id, organization_id, joined_at)
          select user_id, organization_id, joined_at from ${sql.table(`${PREFIX}members`)}
          where organization_id = ${org.id} and user_id <> ${owner.id}`.execute(db)
      }
      // A million rows just inserted: on PostgreSQL autovacuum would now vacuum and analyze
      // those tables in the background, in the middle of the measurements; done here first.
      await (dialect === 'postgres' ? sql`vacuum analyze` : sql`analyze`).execute(db)
      await sql`update ${sql.table(`${PREFIX}organizations`)} set member_count = member_count + ${count} where id = ${org.id}`.execute(
        db,
      )
      return org
    },
  }
}
