import * as z from 'zod'
import { authorize } from '../authorization/access'
import type { Context } from '../runtime/context'
import { type Page, pageInput } from '../shared/pagination'
import type { Actor, AuditEventRecord } from '../shared/types'
import { parseInput } from '../shared/validate'

export const listAuditEventsSchema = z.strictObject({
  limit: z.number().int().min(1).max(100).optional(),
  cursor: z.string().optional(),
  action: z.string().trim().min(1).max(100).optional(),
})
export type ListAuditEventsInput = z.input<typeof listAuditEventsSchema>

export async function listAuditEvents(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListAuditEventsInput = {},
): Promise<Page<AuditEventRecord>> {
  const { limit, cursor, action } = parseInput(listAuditEventsSchema, input)
  const page = pageInput({ limit, cursor })
  const { organization } = await authorize(ctx, ctx.storage, actor, ref, 'audit.read')
  return ctx.storage.audit.list(organization.id, { action }, page)
}

/** The audit trail, as `orgkit.as(actor).audit`. */
export function auditApi(ctx: Context, actor: Actor) {
  return {
    /** Newest first; `action` filters. Needs `audit.read`. */
    list: (org: string, input?: ListAuditEventsInput): Promise<Page<AuditEventRecord>> =>
      listAuditEvents(ctx, actor, org, input),
  }
}

export type AuditApi = ReturnType<typeof auditApi>
