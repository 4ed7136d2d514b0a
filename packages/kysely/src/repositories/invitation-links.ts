import type { InvitationLinkRecord, InvitationLinkRepository, PageInput } from '@orgkit/core'
import type { Selectable } from 'kysely'
import { affected } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, readKeysetPage } from '../keyset'
import type { InvitationLinksTable } from '../schema'

/**
 * Invitation links live in their organization's table; `invitation_link_tokens` maps a token
 * hash to its link, written in the same transaction. `uses` is counted by one conditional
 * update, so `max_uses` is a bound the database holds under any concurrency.
 */
export function invitationLinkRepository(context: StorageContext): InvitationLinkRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<InvitationLinksTable>) => invitationLinkFromRow(row, dialect)
  const selectOne = (organizationId: string, id: string) =>
    db.selectFrom('invitation_links').selectAll().where('organization_id', '=', organizationId).where('id', '=', id)

  return {
    insert: (link) =>
      atomic(async (trx) => {
        await trx
          .insertInto('invitation_links')
          .values({
            organization_id: link.organizationId,
            id: link.id,
            role: link.role,
            token_hash: link.tokenHash,
            expires_at: link.expiresAt === null ? null : dialect.toTimestamp(link.expiresAt),
            max_uses: link.maxUses,
            uses: link.uses,
            domain: link.domain,
            created_by: link.createdBy,
            created_at: dialect.toTimestamp(link.createdAt),
            revoked_at: link.revokedAt === null ? null : dialect.toTimestamp(link.revokedAt),
          })
          .execute()
        await trx
          .insertInto('invitation_link_tokens')
          .values({ token_hash: link.tokenHash, organization_id: link.organizationId, link_id: link.id })
          .execute()
      }),

    async find(organizationId, id) {
      const row = await selectOne(organizationId, id).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async locate(tokenHash) {
      const row = await db
        .selectFrom('invitation_link_tokens')
        .select(['organization_id', 'link_id'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return row === undefined ? null : { organizationId: row.organization_id, id: row.link_id }
    },

    list: (organizationId, page) => readKeysetPage(invitationLinkPage(context, organizationId, page), dialect),

    revoke: (organizationId, id, now) =>
      atomic(async (trx) => {
        await trx
          .updateTable('invitation_links')
          .set({ revoked_at: dialect.toTimestamp(now) })
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .execute()
        const row = await trx
          .selectFrom('invitation_links')
          .selectAll()
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .executeTakeFirst()
        return row === undefined ? null : toRecord(row)
      }),

    async revokeWithRole(organizationId, role, now) {
      const result = await db
        .updateTable('invitation_links')
        .set({ revoked_at: dialect.toTimestamp(now) })
        .where('organization_id', '=', organizationId)
        .where('role', '=', role)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return affected(result.numUpdatedRows)
    },

    async consume(organizationId, id, now) {
      // The whole precondition is in the WHERE clause: concurrent uses queue on the row lock,
      // and each re-checks `uses < max_uses` against the count the previous one left.
      const at = dialect.toTimestamp(now)
      const result = await db
        .updateTable('invitation_links')
        .set((eb) => ({ uses: eb('uses', '+', 1) }))
        .where('organization_id', '=', organizationId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
        .executeTakeFirst()
      return affected(result.numUpdatedRows) > 0
    },
  }
}

/** A page of the organization's invitation links, newest first. */
export function invitationLinkPage(
  context: StorageContext,
  organizationId: string,
  page: PageInput,
): KeysetRead<Selectable<InvitationLinksTable>, InvitationLinkRecord> {
  return {
    query: context.db
      .selectFrom('invitation_links as l')
      .selectAll('l')
      .where('l.organization_id', '=', organizationId),
    sort: { time: 'l.created_at', id: 'l.id', order: 'desc' },
    page,
    toRecord: (row) => invitationLinkFromRow(row, context.dialect),
    keyOf: (link) => ({ at: link.createdAt, id: link.id }),
  }
}

export function invitationLinkFromRow(
  row: Selectable<InvitationLinksTable>,
  dialect: StorageDialect,
): InvitationLinkRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    role: row.role,
    tokenHash: row.token_hash,
    expiresAt: row.expires_at === null ? null : dialect.fromTimestamp(row.expires_at),
    maxUses: row.max_uses === null ? null : Number(row.max_uses),
    uses: Number(row.uses),
    domain: row.domain,
    createdBy: row.created_by,
    createdAt: dialect.fromTimestamp(row.created_at),
    revokedAt: row.revoked_at === null ? null : dialect.fromTimestamp(row.revoked_at),
  }
}
