import type { AuditEventRecord, AuditRepository } from '@orgkit/core'
import type { Selectable } from 'kysely'
import { parseJsonObject, toJson } from '../codec'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { paginate } from '../keyset'
import type { AuditEventsTable } from '../schema'

export function auditRepository(context: StorageContext): AuditRepository {
  const { db, dialect } = context

  return {
    async append(events) {
      if (events.length === 0) return
      await db
        .insertInto('audit_events')
        .values(
          events.map((event) => ({
            organization_id: event.organizationId,
            id: event.id,
            action: event.action,
            actor_type: event.actor.type,
            actor_id: event.actor.id,
            target_type: event.target.type,
            target_id: event.target.id,
            changes: toJson(event.changes),
            created_at: dialect.toTimestamp(event.createdAt),
          })),
        )
        .execute()
    },

    async list(organizationId, filter, page) {
      let query = db.selectFrom('audit_events as e').selectAll('e').where('e.organization_id', '=', organizationId)
      if (filter.action !== undefined) query = query.where('e.action', '=', filter.action)
      // Served by the (organization_id, created_at, id) index, read backwards.
      return paginate(
        query,
        { time: 'e.created_at', id: 'e.id', order: 'desc' },
        page,
        dialect,
        (row) => auditEventFromRow(row, dialect),
        (event) => ({ at: event.createdAt, id: event.id }),
      )
    },
  }
}

function auditEventFromRow(row: Selectable<AuditEventsTable>, dialect: StorageDialect): AuditEventRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    action: row.action,
    actor: { type: row.actor_type as AuditEventRecord['actor']['type'], id: row.actor_id },
    target: { type: row.target_type, id: row.target_id },
    changes: parseJsonObject(row.changes),
    createdAt: dialect.fromTimestamp(row.created_at),
  }
}
