import type { AuditEventRecord, AuditListFilter, AuditRepository, PageInput } from '@orgkit/core'
import type { Insertable, Selectable } from 'kysely'
import { parseJsonObject, toJson } from '../codec'
import { compiled, slot, slotRow } from '../compiled'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { type KeysetRead, readKeysetPage } from '../keyset'
import type { AuditEventsTable } from '../schema'

export const AUDIT_COLUMNS = [
  'organization_id',
  'id',
  'action',
  'actor_type',
  'actor_id',
  'target_type',
  'target_id',
  'changes',
  'created_at',
] as const

/**
 * The insert of one mutation's events, compiled for 1 to 4 rows (a mutation writes one or
 * two, at times a few more); a longer batch is built as it comes.
 */
const insertEvents = [1, 2, 3, 4].map((count) =>
  compiled((context) =>
    context.db
      .insertInto('audit_events')
      .values(Array.from({ length: count }, (_, i) => slotRow<Insertable<AuditEventsTable>>(AUDIT_COLUMNS, String(i)))),
  ),
)

const eventById = compiled((context) =>
  context.db
    .selectFrom('audit_events')
    .select('id')
    .where('organization_id', '=', slot<string>('organizationId'))
    .where('id', '=', slot<string>('id')),
)

/** Whether the event `id` is in the organization's audit trail: how a write that carried it is known to have committed. */
export async function eventWritten(context: StorageContext, organizationId: string, id: string): Promise<boolean> {
  return (await eventById.run(context, { organizationId, id })).rows.length > 0
}

function auditRow(event: AuditEventRecord, dialect: StorageDialect): Insertable<AuditEventsTable> {
  return {
    organization_id: event.organizationId,
    id: event.id,
    action: event.action,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    target_type: event.target.type,
    target_id: event.target.id,
    changes: toJson(event.changes),
    created_at: dialect.toTimestamp(event.createdAt),
  }
}

/**
 * The values of a compiled statement that writes `events`: each column's value named after
 * the column and the event's position (`action0`, `action1`, …), as `slotRow` names them.
 */
export function auditValues(
  events: readonly AuditEventRecord[],
  dialect: StorageDialect,
  values: Record<string, unknown> = {},
): Record<string, unknown> {
  events.forEach((event, i) => {
    for (const [column, value] of Object.entries(auditRow(event, dialect))) values[`${column}${i}`] = value
  })
  return values
}

export function auditRepository(context: StorageContext): AuditRepository {
  const { db, dialect } = context

  return {
    async append(events) {
      if (events.length === 0) return
      const insert = insertEvents[events.length - 1]
      if (insert === undefined) {
        await db
          .insertInto('audit_events')
          .values(events.map((event) => auditRow(event, dialect)))
          .execute()
        return
      }
      await insert.run(context, auditValues(events, dialect))
    },

    list: (organizationId, filter, page) => readKeysetPage(auditPage(context, organizationId, filter, page), dialect),
  }
}

/** A page of the organization's audit trail, newest first; `filter.action` filters. */
export function auditPage(
  context: StorageContext,
  organizationId: string,
  filter: AuditListFilter,
  page: PageInput,
): KeysetRead<Selectable<AuditEventsTable>, AuditEventRecord> {
  let query = context.db.selectFrom('audit_events as e').selectAll('e').where('e.organization_id', '=', organizationId)
  if (filter.action !== undefined) query = query.where('e.action', '=', filter.action)
  return {
    query,
    // Served by the (organization_id, created_at, id) index, read backwards.
    sort: { time: 'e.created_at', id: 'e.id', order: 'desc' },
    page,
    toRecord: (row) => auditEventFromRow(row, context.dialect),
    keyOf: (event) => ({ at: event.createdAt, id: event.id }),
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
