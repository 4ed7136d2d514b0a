import type { CustomRolePatch, CustomRoleRecord, CustomRoleRepository } from '@orgkit/core'
import type { Kysely, Selectable, Updateable } from 'kysely'
import { affected, parseStringArray, toJson } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import type { OrgkitDatabase, RolesTable } from '../schema'

/** Custom roles of one organization; the key is unique per organization by a constraint. */
export function customRoleRepository(context: StorageContext): CustomRoleRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<RolesTable>) => customRoleFromRow(row, dialect)
  const selectByKey = (executor: Kysely<OrgkitDatabase>, organizationId: string, key: string) =>
    executor.selectFrom('roles').selectAll().where('organization_id', '=', organizationId).where('key', '=', key)

  return {
    insert: (role) =>
      dialect.insertUnlessExists(
        db.insertInto('roles').values({
          organization_id: role.organizationId,
          id: role.id,
          key: role.key,
          name: role.name,
          description: role.description,
          permissions: toJson(role.permissions),
          created_at: dialect.toTimestamp(role.createdAt),
          updated_at: dialect.toTimestamp(role.updatedAt),
        }),
      ),

    async findByKey(organizationId, key) {
      const row = await selectByKey(db, organizationId, key).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async list(organizationId) {
      const rows = await db
        .selectFrom('roles')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('key')
        .execute()
      return rows.map(toRecord)
    },

    update: (organizationId, key, patch, now) =>
      atomic(async (trx) => {
        const current = await selectByKey(trx, organizationId, key).executeTakeFirst()
        if (current === undefined) return null
        const row = patchToRow(patch, now, dialect)
        await trx
          .updateTable('roles')
          .set(row)
          .where('organization_id', '=', organizationId)
          .where('key', '=', key)
          .execute()
        return toRecord({ ...current, ...row } as Selectable<RolesTable>)
      }),

    async delete(organizationId, key) {
      const result = await db
        .deleteFrom('roles')
        .where('organization_id', '=', organizationId)
        .where('key', '=', key)
        .executeTakeFirst()
      return affected(result.numDeletedRows) > 0
    },
  }
}

function patchToRow(patch: CustomRolePatch, now: Date, dialect: StorageDialect): Updateable<RolesTable> {
  const row: Updateable<RolesTable> = { updated_at: dialect.toTimestamp(now) }
  if (patch.name !== undefined) row.name = patch.name
  if (patch.description !== undefined) row.description = patch.description
  if (patch.permissions !== undefined) row.permissions = toJson(patch.permissions)
  return row
}

function customRoleFromRow(row: Selectable<RolesTable>, dialect: StorageDialect): CustomRoleRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    key: row.key,
    name: row.name,
    description: row.description,
    permissions: parseStringArray(row.permissions),
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
  }
}
