import type { ApiKeyRecord, ApiKeyRepository, PageInput } from '@orgkit/core'
import type { Kysely, Selectable } from 'kysely'
import { affected, parseStringArray, toJson } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, readKeysetPage } from '../keyset'
import type { ApiKeysTable, OrgkitDatabase } from '../schema'

/**
 * API keys live in their organization's table; `api_key_prefixes` is the global index a
 * presented key is resolved through. A revoked key keeps its prefix, so that presenting it
 * finds the key and answers "revoked" rather than "unknown"; only deleting the
 * organization frees prefixes.
 */
export function apiKeyRepository(context: StorageContext): ApiKeyRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<ApiKeysTable>) => apiKeyFromRow(row, dialect)

  const selectOne = (executor: Kysely<OrgkitDatabase>, organizationId: string, id: string) =>
    executor
      .selectFrom('api_keys')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst()

  return {
    insert: (key) =>
      atomic(async (trx) => {
        const claimed = await dialect.insertUnlessExists(
          trx
            .insertInto('api_key_prefixes')
            .values({ prefix: key.prefix, organization_id: key.organizationId, key_id: key.id }),
        )
        if (!claimed) return false
        await trx
          .insertInto('api_keys')
          .values({
            organization_id: key.organizationId,
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            secret_hash: key.secretHash,
            role: key.role,
            permissions: toJson(key.permissions),
            created_by: key.createdBy,
            created_at: dialect.toTimestamp(key.createdAt),
            expires_at: key.expiresAt === null ? null : dialect.toTimestamp(key.expiresAt),
            last_used_at: key.lastUsedAt === null ? null : dialect.toTimestamp(key.lastUsedAt),
            revoked_at: key.revokedAt === null ? null : dialect.toTimestamp(key.revokedAt),
          })
          .execute()
        return true
      }),

    async find(organizationId, id) {
      const row = await selectOne(db, organizationId, id)
      return row === undefined ? null : toRecord(row)
    },

    async findByPrefix(prefix) {
      // Two steps, each on one shard: the global prefix lookup, then the key in its
      // organization (never a join of the lookup table to an organization's table).
      const claim = await db
        .selectFrom('api_key_prefixes')
        .select(['organization_id', 'key_id'])
        .where('prefix', '=', prefix)
        .executeTakeFirst()
      if (claim === undefined) return null
      const row = await selectOne(db, claim.organization_id, claim.key_id)
      return row === undefined ? null : toRecord(row)
    },

    list: (organizationId, page) => readKeysetPage(apiKeyPage(context, organizationId, page), dialect),

    revoke: (organizationId, id, now) =>
      atomic(async (trx) => {
        // `revoked_at IS NULL` keeps the first revocation's time when two race.
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: dialect.toTimestamp(now) })
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .execute()
        const row = await selectOne(trx, organizationId, id)
        return row === undefined ? null : toRecord(row)
      }),

    async revokeCreatedBy(organizationId, userId, now) {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: dialect.toTimestamp(now) })
        .where('organization_id', '=', organizationId)
        .where('created_by', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      // Every matched row changes (NULL → a time), so matched and changed counts agree.
      return affected(result.numUpdatedRows)
    },

    async revokeWithRole(organizationId, role, now) {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: dialect.toTimestamp(now) })
        .where('organization_id', '=', organizationId)
        .where('role', '=', role)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return affected(result.numUpdatedRows)
    },

    async touch(organizationId, id, now) {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: dialect.toTimestamp(now) })
        .where('organization_id', '=', organizationId)
        .where('id', '=', id)
        .execute()
    },
  }
}

/** A page of the organization's API keys, newest first. */
export function apiKeyPage(
  context: StorageContext,
  organizationId: string,
  page: PageInput,
): KeysetRead<Selectable<ApiKeysTable>, ApiKeyRecord> {
  return {
    query: context.db.selectFrom('api_keys as k').selectAll('k').where('k.organization_id', '=', organizationId),
    sort: { time: 'k.created_at', id: 'k.id', order: 'desc' },
    page,
    toRecord: (row) => apiKeyFromRow(row, context.dialect),
    keyOf: (key) => ({ at: key.createdAt, id: key.id }),
  }
}

function apiKeyFromRow(row: Selectable<ApiKeysTable>, dialect: StorageDialect): ApiKeyRecord {
  const optionalDate = (value: Date | string | null) => (value === null ? null : dialect.fromTimestamp(value))
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    prefix: row.prefix,
    secretHash: row.secret_hash,
    role: row.role,
    permissions: parseStringArray(row.permissions),
    createdBy: row.created_by,
    createdAt: dialect.fromTimestamp(row.created_at),
    expiresAt: optionalDate(row.expires_at),
    lastUsedAt: optionalDate(row.last_used_at),
    revokedAt: optionalDate(row.revoked_at),
  }
}
