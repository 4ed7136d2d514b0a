import type { MemberRecord, MemberRepository, MemberWithUser, UserSummary } from '@orgkit/core'
import { type Kysely, type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely'
import { affected, toCount } from '../codec'
import type { StorageContext } from '../context'
import { moveOrganizationCount } from '../counts'
import type { StorageDialect } from '../dialects'
import { paginate } from '../keyset'
import type { UsersTableMapping } from '../options'
import type { MembersTable, OrgkitDatabase } from '../schema'

export type UserColumns = {
  user_email: string | null
  user_username: string | null
  user_name: string | null
  user_image_url: string | null
}

export function memberRepository(context: StorageContext): MemberRepository {
  const { db, dialect, users, atomic } = context
  const userColumns = hostUserColumns(users)

  /** Members left-joined with the host's users: one query, and a missing user reads as nulls. */
  const withUsers = (executor: Kysely<OrgkitDatabase>, organizationId: string) =>
    executor
      .selectFrom('members as m')
      .leftJoin('host_users as u', (join) => join.on(sql<SqlBool>`${userColumns.id} = ${sql.ref('m.user_id')}`))
      .selectAll('m')
      .select([
        userColumns.email.as('user_email'),
        userColumns.username.as('user_username'),
        userColumns.name.as('user_name'),
        userColumns.imageUrl.as('user_image_url'),
      ])
      .where('m.organization_id', '=', organizationId)

  const exists = async (organizationId: string, userId: string) =>
    (await db
      .selectFrom('members')
      .select('user_id')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst()) !== undefined

  return {
    insert: (member) =>
      atomic(async (trx) => {
        const inserted = await dialect.insertUnlessExists(
          trx.insertInto('members').values({
            organization_id: member.organizationId,
            user_id: member.userId,
            role: member.role,
            joined_at: dialect.toTimestamp(member.joinedAt),
          }),
        )
        if (!inserted) return false
        await moveOrganizationCount(trx, member.organizationId, 'member_count', 1)
        // "My organizations" reads this index by user, in the same transaction as the member.
        await trx
          .insertInto('user_memberships')
          .values({
            user_id: member.userId,
            organization_id: member.organizationId,
            joined_at: dialect.toTimestamp(member.joinedAt),
          })
          .execute()
        return true
      }),

    async find(organizationId, userId) {
      const row = await db
        .selectFrom('members')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return row === undefined ? null : memberFromRow(row, dialect)
    },

    async findWithUser(organizationId, userId) {
      const row = await withUsers(db, organizationId).where('m.user_id', '=', userId).executeTakeFirst()
      return row === undefined ? null : memberWithUserFromRow(row, dialect)
    },

    async list(organizationId, filter, page) {
      let query = withUsers(db, organizationId)
      if (filter.role !== undefined) query = query.where('m.role', '=', filter.role)
      if (filter.q !== undefined && filter.q !== '') {
        const pattern = `${escapeLike(filter.q.toLowerCase())}%`
        const searchable = [userColumns.name, userColumns.email, userColumns.username].filter(
          (column) => column !== NULL_COLUMN,
        )
        // lower() on both sides: PostgreSQL's LIKE is case-sensitive, MySQL's depends on the
        // collation, SQLite's folds ASCII only; this reads the same on all three.
        query = query.where((eb) =>
          eb.or(searchable.map((column) => sql<SqlBool>`lower(${column}) like ${pattern} escape '!'`)),
        )
      }
      return paginate(
        query,
        { time: 'm.joined_at', id: 'm.user_id', order: 'asc' },
        page,
        dialect,
        (row) => memberWithUserFromRow(row, dialect),
        (member) => ({ at: member.joinedAt, id: member.userId }),
      )
    },

    async updateRole(organizationId, userId, role) {
      const result = await db
        .updateTable('members')
        .set({ role })
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      // mysql2 counts matched rows by default (FOUND_ROWS), but a connection without that
      // flag counts changed rows, and setting the current role changes none: 0 is only
      // trusted after checking that the member is really missing.
      return affected(result.numUpdatedRows) > 0 || exists(organizationId, userId)
    },

    delete: (organizationId, userId) =>
      atomic(async (trx) => {
        const removed = await trx
          .deleteFrom('members')
          .where('organization_id', '=', organizationId)
          .where('user_id', '=', userId)
          .executeTakeFirst()
        if (affected(removed.numDeletedRows) === 0) return false
        await moveOrganizationCount(trx, organizationId, 'member_count', -1)
        await trx
          .deleteFrom('user_memberships')
          .where('user_id', '=', userId)
          .where('organization_id', '=', organizationId)
          .execute()
        // Only members can be team members: the user leaves every team of the organization
        // in the same transaction, and each of those teams counts one member less.
        await trx
          .updateTable('teams')
          .set((eb) => ({ member_count: eb('member_count', '-', 1) }))
          .where('organization_id', '=', organizationId)
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('team_members')
              .select('team_id')
              .where('organization_id', '=', organizationId)
              .where('user_id', '=', userId),
          )
          .execute()
        await trx
          .deleteFrom('team_members')
          .where('organization_id', '=', organizationId)
          .where('user_id', '=', userId)
          .execute()
        return true
      }),

    async reassignRole(organizationId, from, to) {
      const result = await db
        .updateTable('members')
        .set({ role: to })
        .where('organization_id', '=', organizationId)
        .where('role', '=', from)
        .executeTakeFirst()
      return affected(result.numUpdatedRows)
    },

    async countWithRole(organizationId, role) {
      const row = await db
        .selectFrom('members')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('organization_id', '=', organizationId)
        .where('role', '=', role)
        .executeTakeFirst()
      return toCount(row?.count)
    },
  }
}

/** Stands in for a user column the host did not map. */
const NULL_COLUMN: RawBuilder<string | null> = sql<string | null>`null`

/** References to the host's user columns on the alias `u`; unmapped ones read as NULL. */
export function hostUserColumns(
  users: UsersTableMapping,
): Record<'id' | 'email' | 'username' | 'name' | 'imageUrl', RawBuilder<string | null>> {
  const column = (name: string | undefined) =>
    name === undefined ? NULL_COLUMN : sql<string | null>`${sql.ref(`u.${name}`)}`
  return {
    id: sql<string | null>`${sql.ref(`u.${users.id}`)}`,
    email: column(users.email),
    username: column(users.username),
    name: column(users.name),
    imageUrl: column(users.imageUrl),
  }
}

/** `!` escapes LIKE's wildcards; a backslash would need different quoting on MySQL. */
function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (char) => `!${char}`)
}

export function memberFromRow(row: Selectable<MembersTable>, dialect: StorageDialect): MemberRecord {
  return {
    organizationId: row.organization_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: dialect.fromTimestamp(row.joined_at),
  }
}

// Written out rather than spread from memberFromRow: a list maps every row of its page here.
function memberWithUserFromRow(row: Selectable<MembersTable> & UserColumns, dialect: StorageDialect): MemberWithUser {
  return {
    organizationId: row.organization_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: dialect.fromTimestamp(row.joined_at),
    user: userFromRow(row.user_id, row),
  }
}

/** The host user's columns of a joined row; a user missing from the host's table reads as nulls. */
export function userFromRow(id: string, row: UserColumns): UserSummary {
  return {
    id,
    email: row.user_email ?? null,
    username: row.user_username ?? null,
    name: row.user_name ?? null,
    imageUrl: row.user_image_url ?? null,
  }
}
