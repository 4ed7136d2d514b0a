import type {
  JoinRequestListFilter,
  JoinRequestRecord,
  JoinRequestRepository,
  JoinRequestStatus,
  PageInput,
} from '@orgkit/core'
import type { Selectable } from 'kysely'
import { affected } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, keysetPage, keysetQuery, readKeysetPage } from '../keyset'
import type { JoinRequestsTable } from '../schema'

/**
 * Join requests live in their organization's table. `pending_user_id` holds the requester
 * while the request is pending and is cleared by the one conditional update that decides
 * it, so UNIQUE(organization_id, pending_user_id) makes "one pending request per user" a
 * constraint. `join_request_ids` (the public id) and `user_join_requests` (the requester's
 * own list) are written in the same transaction as the request (docs/scaling.md).
 */
export function joinRequestRepository(context: StorageContext): JoinRequestRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<JoinRequestsTable>) => joinRequestFromRow(row, dialect)

  return {
    insert: (request) =>
      atomic(async (trx) => {
        const inserted = await dialect.insertUnlessExists(
          trx.insertInto('join_requests').values({
            organization_id: request.organizationId,
            id: request.id,
            user_id: request.userId,
            pending_user_id: request.status === 'pending' ? request.userId : null,
            email: request.email,
            domain: request.domain,
            status: request.status,
            role: request.role,
            decided_by: request.decidedBy,
            decided_at: request.decidedAt === null ? null : dialect.toTimestamp(request.decidedAt),
            created_at: dialect.toTimestamp(request.createdAt),
            updated_at: dialect.toTimestamp(request.updatedAt),
          }),
        )
        if (!inserted) return false
        await trx
          .insertInto('join_request_ids')
          .values({ id: request.id, organization_id: request.organizationId })
          .execute()
        await trx
          .insertInto('user_join_requests')
          .values({
            user_id: request.userId,
            organization_id: request.organizationId,
            join_request_id: request.id,
            created_at: dialect.toTimestamp(request.createdAt),
          })
          .execute()
        return true
      }),

    async find(organizationId, id) {
      const row = await db
        .selectFrom('join_requests')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async locate(id) {
      const row = await db
        .selectFrom('join_request_ids')
        .select('organization_id')
        .where('id', '=', id)
        .executeTakeFirst()
      return row?.organization_id ?? null
    },

    list: (organizationId, filter, page) =>
      readKeysetPage(joinRequestPage(context, organizationId, filter, page), dialect),

    async listForUser(userId, page) {
      // A page of the requester's index, then those requests in one statement naming their
      // organizations (on Citus: only those organizations' shards).
      const entries = await keysetQuery(
        db
          .selectFrom('user_join_requests as u')
          .select(['u.organization_id', 'u.join_request_id'])
          .where('u.user_id', '=', userId),
        { time: 'u.created_at', id: 'u.join_request_id', order: 'desc' },
        page,
        dialect,
      ).execute()
      if (entries.length === 0) return keysetPage([], page, createdKey)
      const rows = await db
        .selectFrom('join_requests')
        .selectAll()
        .where('organization_id', 'in', [...new Set(entries.map((entry) => entry.organization_id))])
        .where(
          'id',
          'in',
          entries.map((entry) => entry.join_request_id),
        )
        .execute()
      const byKey = new Map(rows.map((row) => [`${row.organization_id} ${row.id}`, row]))
      const records = entries.flatMap((entry) => {
        const row = byKey.get(`${entry.organization_id} ${entry.join_request_id}`)
        return row === undefined ? [] : [toRecord(row)]
      })
      return keysetPage(records, page, createdKey)
    },

    async decide(organizationId, id, change) {
      // The whole precondition is in the WHERE clause: concurrent decisions on one request
      // queue on its row lock, the first moves it, the others match nothing.
      const result = await db
        .updateTable('join_requests')
        .set({
          status: change.to,
          pending_user_id: null,
          role: change.role,
          decided_by: change.decidedBy,
          decided_at: dialect.toTimestamp(change.now),
          updated_at: dialect.toTimestamp(change.now),
        })
        .where('organization_id', '=', organizationId)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst()
      return affected(result.numUpdatedRows) > 0
    },
  }
}

const NEWEST_FIRST = { time: 'r.created_at', id: 'r.id', order: 'desc' } as const
const createdKey = (request: JoinRequestRecord) => ({ at: request.createdAt, id: request.id })

/** A page of the organization's join requests, newest first; `filter.status` filters. */
export function joinRequestPage(
  context: StorageContext,
  organizationId: string,
  filter: JoinRequestListFilter,
  page: PageInput,
): KeysetRead<Selectable<JoinRequestsTable>, JoinRequestRecord> {
  let query = context.db.selectFrom('join_requests as r').selectAll('r').where('r.organization_id', '=', organizationId)
  if (filter.status !== undefined) query = query.where('r.status', '=', filter.status)
  const toRecord = (row: Selectable<JoinRequestsTable>) => joinRequestFromRow(row, context.dialect)
  return { query, sort: NEWEST_FIRST, page, toRecord, keyOf: createdKey }
}

export function joinRequestFromRow(row: Selectable<JoinRequestsTable>, dialect: StorageDialect): JoinRequestRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    email: row.email,
    domain: row.domain,
    status: row.status as JoinRequestStatus,
    role: row.role,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? null : dialect.fromTimestamp(row.decided_at),
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
  }
}
