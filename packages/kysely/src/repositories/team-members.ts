import type { PageInput, TeamMemberRecord, TeamMemberRepository, TeamMemberWithUser } from '@orgkit/core'
import { type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely'
import { affected } from '../codec'
import type { StorageContext } from '../context'
import { moveTeamCount } from '../counts'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, readKeysetPage } from '../keyset'
import type { TeamMembersTable } from '../schema'
import { hostUserColumns, type UserColumns, userFromRow } from './members'

/**
 * A team's memberships (`tm`) left-joined with the host's users (`u`): one query, and a user
 * missing from the host's table reads as nulls. `teamId` is the team's id, or a reference to
 * it in an enclosing statement (`findWithMemberAndTeam` reads them with the team).
 */
function teamMembersWithUsers(context: StorageContext, organizationId: string, teamId: string | RawBuilder<string>) {
  const userColumns = hostUserColumns(context.users)
  return context.db
    .selectFrom('team_members as tm')
    .leftJoin('host_users as u', (join) =>
      join.on(sql<SqlBool>`${userColumns.id} = ${context.hostUsers.id.fromOrgkitColumn(sql.ref('tm.user_id'))}`),
    )
    .selectAll('tm')
    .select([
      userColumns.email.as('user_email'),
      userColumns.username.as('user_username'),
      userColumns.name.as('user_name'),
      userColumns.imageUrl.as('user_image_url'),
    ])
    .where('tm.organization_id', '=', organizationId)
    .where('tm.team_id', '=', teamId)
}

/**
 * A page of a team's members with their users, by join time, then user id; `teamId` as for
 * `teamMembersWithUsers`.
 */
export function teamMemberPage(
  context: StorageContext,
  organizationId: string,
  teamId: string | RawBuilder<string>,
  page: PageInput,
): KeysetRead<Selectable<TeamMembersTable> & UserColumns, TeamMemberWithUser> {
  return {
    query: teamMembersWithUsers(context, organizationId, teamId),
    sort: { time: 'tm.joined_at', id: 'tm.user_id', order: 'asc' },
    page,
    toRecord: (row) => teamMemberWithUserFromRow(row, context.dialect),
    keyOf: (member) => ({ at: member.joinedAt, id: member.userId }),
  }
}

export function teamMemberRepository(context: StorageContext): TeamMemberRepository {
  const { db, dialect, atomic } = context

  const selectOne = (organizationId: string, teamId: string, userId: string) =>
    db
      .selectFrom('team_members')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('team_id', '=', teamId)
      .where('user_id', '=', userId)

  return {
    insert: (member) =>
      atomic(async (trx) => {
        const inserted = await dialect.insertUnlessExists(
          trx.insertInto('team_members').values({
            organization_id: member.organizationId,
            team_id: member.teamId,
            user_id: member.userId,
            role: member.role,
            joined_at: dialect.toTimestamp(member.joinedAt),
          }),
        )
        if (inserted) await moveTeamCount(trx, member.organizationId, member.teamId, 1)
        return inserted
      }),

    async find(organizationId, teamId, userId) {
      const row = await selectOne(organizationId, teamId, userId).executeTakeFirst()
      return row === undefined ? null : teamMemberFromRow(row, dialect)
    },

    async findWithUser(organizationId, teamId, userId) {
      const row = await teamMembersWithUsers(context, organizationId, teamId)
        .where('tm.user_id', '=', userId)
        .executeTakeFirst()
      return row === undefined ? null : teamMemberWithUserFromRow(row, dialect)
    },

    list: (organizationId, teamId, page) =>
      readKeysetPage(teamMemberPage(context, organizationId, teamId, page), dialect),

    async listForUser(organizationId, userId) {
      const rows = await db
        .selectFrom('team_members')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .orderBy('joined_at')
        .orderBy('team_id')
        .execute()
      return rows.map((row) => teamMemberFromRow(row, dialect))
    },

    async updateRole(organizationId, teamId, userId, role) {
      const current = await selectOne(organizationId, teamId, userId).executeTakeFirst()
      if (current === undefined) return false
      if (current.role === role) return true
      await db
        .updateTable('team_members')
        .set({ role })
        .where('organization_id', '=', organizationId)
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .execute()
      return true
    },

    delete: (organizationId, teamId, userId) =>
      atomic(async (trx) => {
        const result = await trx
          .deleteFrom('team_members')
          .where('organization_id', '=', organizationId)
          .where('team_id', '=', teamId)
          .where('user_id', '=', userId)
          .executeTakeFirst()
        if (affected(result.numDeletedRows) === 0) return false
        await moveTeamCount(trx, organizationId, teamId, -1)
        return true
      }),
  }
}

export function teamMemberFromRow(row: Selectable<TeamMembersTable>, dialect: StorageDialect): TeamMemberRecord {
  return {
    organizationId: row.organization_id,
    teamId: row.team_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: dialect.fromTimestamp(row.joined_at),
  }
}

function teamMemberWithUserFromRow(
  row: Selectable<TeamMembersTable> & UserColumns,
  dialect: StorageDialect,
): TeamMemberWithUser {
  return { ...teamMemberFromRow(row, dialect), user: userFromRow(row.user_id, row) }
}
