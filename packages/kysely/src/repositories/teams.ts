import type { PageInput, TeamPatch, TeamRecord, TeamRepository } from '@orgkit/core'
import type { Kysely, Selectable, Updateable } from 'kysely'
import { affected, toCount } from '../codec'
import type { StorageContext } from '../context'
import { moveOrganizationCount } from '../counts'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, readKeysetPage } from '../keyset'
import type { OrgkitDatabase, TeamsTable } from '../schema'

/**
 * Teams of one organization. The slug is unique per organization by a constraint
 * (`organization_id`, `slug`), so a claim is an insert or an update that either passes it
 * or writes nothing.
 */
export function teamRepository(context: StorageContext): TeamRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<TeamsTable>) => teamFromRow(row, dialect)
  const selectOne = (executor: Kysely<OrgkitDatabase>, organizationId: string) =>
    executor.selectFrom('teams').selectAll().where('organization_id', '=', organizationId)

  return {
    insert: (team) =>
      atomic(async (trx) => {
        const inserted = await dialect.insertUnlessExists(
          trx.insertInto('teams').values({
            organization_id: team.organizationId,
            id: team.id,
            slug: team.slug,
            name: team.name,
            description: team.description,
            member_count: 0,
            created_at: dialect.toTimestamp(team.createdAt),
            updated_at: dialect.toTimestamp(team.updatedAt),
          }),
        )
        if (inserted) await moveOrganizationCount({ ...context, db: trx }, team.organizationId, 'team_count', 1)
        return inserted
      }),

    async find(organizationId, id) {
      const row = await selectOne(db, organizationId).where('id', '=', id).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async findBySlug(organizationId, slug) {
      const row = await selectOne(db, organizationId).where('slug', '=', slug).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async findMany(organizationId, ids) {
      if (ids.length === 0) return []
      const rows = await selectOne(db, organizationId)
        .where('id', 'in', [...ids])
        .execute()
      return rows.map(toRecord)
    },

    list: (organizationId, page) => readKeysetPage(teamPage(context, organizationId, page), dialect),

    update: (organizationId, id, patch, now) =>
      atomic(async (trx) => {
        const current = await dialect.forUpdate(selectOne(trx, organizationId).where('id', '=', id)).executeTakeFirst()
        if (current === undefined) return null
        if (patch.slug !== undefined && patch.slug !== current.slug) {
          // The core changes a team's slug under its organization's row lock, so no other
          // claim of a slug in this organization runs between this check and the update.
          const taken = await selectOne(trx, organizationId).where('slug', '=', patch.slug).executeTakeFirst()
          if (taken !== undefined) return 'slug_taken' as const
        }
        await trx
          .updateTable('teams')
          .set(patchToRow(patch, now, dialect))
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .execute()
        return toRecord({ ...current, ...patchToRow(patch, now, dialect) } as Selectable<TeamsTable>)
      }),

    delete: (organizationId, id) =>
      atomic(async (trx) => {
        const result = await trx
          .deleteFrom('teams')
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .executeTakeFirst()
        if (affected(result.numDeletedRows) === 0) return false
        await trx
          .deleteFrom('team_members')
          .where('organization_id', '=', organizationId)
          .where('team_id', '=', id)
          .execute()
        await moveOrganizationCount({ ...context, db: trx }, organizationId, 'team_count', -1)
        return true
      }),
  }
}

/** A page of the organization's teams, oldest first. */
export function teamPage(
  context: StorageContext,
  organizationId: string,
  page: PageInput,
): KeysetRead<Selectable<TeamsTable>, TeamRecord> {
  return {
    query: context.db.selectFrom('teams as t').selectAll('t').where('t.organization_id', '=', organizationId),
    sort: { time: 't.created_at', id: 't.id', order: 'asc' },
    page,
    toRecord: (row) => teamFromRow(row, context.dialect),
    keyOf: (team) => ({ at: team.createdAt, id: team.id }),
  }
}

function patchToRow(patch: TeamPatch, now: Date, dialect: StorageDialect): Updateable<TeamsTable> {
  const row: Updateable<TeamsTable> = { updated_at: dialect.toTimestamp(now) }
  if (patch.slug !== undefined) row.slug = patch.slug
  if (patch.name !== undefined) row.name = patch.name
  if (patch.description !== undefined) row.description = patch.description
  return row
}

export function teamFromRow(row: Selectable<TeamsTable>, dialect: StorageDialect): TeamRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    memberCount: toCount(row.member_count),
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
  }
}
