import type { InvitationRecord, InvitationRepository, InvitationStatus } from '@orgkit/core'
import type { Kysely, Selectable } from 'kysely'
import { affected, parseStringArray, toCount, toJson } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { paginate } from '../keyset'
import type { InvitationsTable, OrgkitDatabase } from '../schema'

/**
 * Invitations live in their organization's table; `invitation_lookups` is the global index
 * for the three questions that start without an organization: by public id, by token hash
 * and by addressee email.
 *
 * `pending_email` holds the email while the invitation is pending and is cleared by every
 * transition out of `pending`, in the same statement. UNIQUE(organization_id,
 * pending_email) therefore makes "one pending invitation per email" a database constraint.
 */
export function invitationRepository(context: StorageContext): InvitationRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<InvitationsTable>) => invitationFromRow(row, dialect)

  const selectOne = (executor: Kysely<OrgkitDatabase>, organizationId: string, id: string) =>
    executor
      .selectFrom('invitations')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst()

  /** Resolves a global lookup row to the invitation in its organization's table. */
  const throughLookup = () =>
    db
      .selectFrom('invitation_lookups as l')
      .innerJoin('invitations as i', (join) =>
        join.onRef('i.organization_id', '=', 'l.organization_id').onRef('i.id', '=', 'l.id'),
      )
      .selectAll('i')

  return {
    insert: (invitation, now) =>
      atomic(async (trx) => {
        const email = invitation.email
        // An expired pending invitation still holds the email's slot; release it first.
        await trx
          .updateTable('invitations')
          .set({ status: 'expired', pending_email: null, updated_at: dialect.toTimestamp(now) })
          .where('organization_id', '=', invitation.organizationId)
          .where('pending_email', '=', email)
          .where('expires_at', '<=', dialect.toTimestamp(now))
          .execute()
        // Of concurrent inserts for one email exactly one passes the unique key; the others
        // wait for it to commit and then insert nothing.
        const inserted = await dialect.insertUnlessExists(
          trx.insertInto('invitations').values({
            organization_id: invitation.organizationId,
            id: invitation.id,
            email,
            pending_email: invitation.status === 'pending' ? email : null,
            role: invitation.role,
            team_ids: toJson(invitation.teamIds),
            status: invitation.status,
            token_hash: invitation.tokenHash,
            expires_at: dialect.toTimestamp(invitation.expiresAt),
            invited_by: invitation.invitedBy,
            responded_by: invitation.respondedBy,
            created_at: dialect.toTimestamp(invitation.createdAt),
            updated_at: dialect.toTimestamp(invitation.updatedAt),
          }),
        )
        if (!inserted) return 'duplicate' as const
        await trx
          .insertInto('invitation_lookups')
          .values({
            id: invitation.id,
            token_hash: invitation.tokenHash,
            email,
            organization_id: invitation.organizationId,
          })
          .execute()
        return 'inserted' as const
      }),

    async find(organizationId, id) {
      const row = await selectOne(db, organizationId, id)
      return row === undefined ? null : toRecord(row)
    },

    async findById(id) {
      const row = await throughLookup().where('l.id', '=', id).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async findByTokenHash(tokenHash) {
      const row = await throughLookup().where('l.token_hash', '=', tokenHash).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async list(organizationId, filter, now, page) {
      const at = dialect.toTimestamp(now)
      let query = db.selectFrom('invitations as i').selectAll('i').where('i.organization_id', '=', organizationId)
      const status = filter.status
      if (status === 'pending') {
        query = query.where('i.status', '=', 'pending').where('i.expires_at', '>', at)
      } else if (status === 'expired') {
        query = query.where((eb) =>
          eb.or([
            eb('i.status', '=', 'expired'),
            eb.and([eb('i.status', '=', 'pending'), eb('i.expires_at', '<=', at)]),
          ]),
        )
      } else if (status !== undefined) {
        query = query.where('i.status', '=', status)
      }
      return paginate(query, NEWEST_FIRST, page, dialect, toRecord, createdKey)
    },

    async listPendingForEmail(email, now, page) {
      const query = throughLookup()
        .where('l.email', '=', email.trim().toLowerCase())
        .where('i.status', '=', 'pending')
        .where('i.expires_at', '>', dialect.toTimestamp(now))
      return paginate(query, NEWEST_FIRST, page, dialect, toRecord, createdKey)
    },

    transition: (organizationId, id, change) =>
      atomic(async (trx) => {
        // The whole precondition is in the WHERE clause: concurrent accepts, declines and
        // revokes of one invitation queue on its row lock, the first flips the status, and
        // the others re-check the condition against the committed row and match nothing.
        const result = await trx
          .updateTable('invitations')
          .set({
            status: change.to,
            pending_email: null,
            responded_by: change.respondedBy,
            updated_at: dialect.toTimestamp(change.now),
          })
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .where('expires_at', '>', dialect.toTimestamp(change.now))
          .executeTakeFirst()
        // The status always changes when the row matches, so affected rows mean the same
        // with and without mysql2's FOUND_ROWS flag.
        return affected(result.numUpdatedRows) > 0
      }),

    async markExpired(organizationId, id, now) {
      await db
        .updateTable('invitations')
        .set({ status: 'expired', pending_email: null, updated_at: dialect.toTimestamp(now) })
        .where('organization_id', '=', organizationId)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('expires_at', '<=', dialect.toTimestamp(now))
        .execute()
    },

    rotateToken: (organizationId, id, change) =>
      atomic(async (trx) => {
        const result = await trx
          .updateTable('invitations')
          .set({
            token_hash: change.tokenHash,
            expires_at: dialect.toTimestamp(change.expiresAt),
            updated_at: dialect.toTimestamp(change.now),
          })
          .where('organization_id', '=', organizationId)
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .executeTakeFirst()
        // A fresh hash always differs from the stored one, so the row changes when it matches.
        if (affected(result.numUpdatedRows) === 0) return null
        // The old hash stops resolving in the same transaction.
        await trx
          .updateTable('invitation_lookups')
          .set({ token_hash: change.tokenHash })
          .where('id', '=', id)
          .where('organization_id', '=', organizationId)
          .execute()
        const row = await selectOne(trx, organizationId, id)
        return row === undefined ? null : toRecord(row)
      }),

    async countPending(organizationId, now) {
      const row = await db
        .selectFrom('invitations')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('organization_id', '=', organizationId)
        .where('status', '=', 'pending')
        .where('expires_at', '>', dialect.toTimestamp(now))
        .executeTakeFirst()
      return toCount(row?.count)
    },
  }
}

const NEWEST_FIRST = { time: 'i.created_at', id: 'i.id', order: 'desc' } as const
const createdKey = (invitation: InvitationRecord) => ({ at: invitation.createdAt, id: invitation.id })

function invitationFromRow(row: Selectable<InvitationsTable>, dialect: StorageDialect): InvitationRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    role: row.role,
    teamIds: parseStringArray(row.team_ids),
    status: row.status as InvitationStatus,
    tokenHash: row.token_hash,
    expiresAt: dialect.fromTimestamp(row.expires_at),
    invitedBy: row.invited_by,
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
    respondedBy: row.responded_by,
  }
}
