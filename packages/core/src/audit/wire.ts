import * as z from 'zod'
import type { AuditEventRecord } from '../shared/types'
import { iso, timestamp } from '../shared/wire'

/**
 * The audit event object of the HTTP API: a zod schema (for the OpenAPI document) next to the function
 * that produces it. A serializer picks fields one by one, so a field added to a record
 * (one the storage keeps for itself) never reaches a response by accident.
 */

export const auditEventWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  action: z.string(),
  actor: z.object({ type: z.enum(['user', 'apiKey', 'system']), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }),
  changes: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
})

export function serializeAuditEvent(event: AuditEventRecord): z.output<typeof auditEventWire> {
  return {
    id: event.id,
    organizationId: event.organizationId,
    action: event.action,
    actor: { type: event.actor.type, id: event.actor.id },
    target: { type: event.target.type, id: event.target.id },
    changes: event.changes,
    createdAt: iso(event.createdAt),
  }
}
