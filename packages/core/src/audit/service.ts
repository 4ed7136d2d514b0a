import { authorizedPage } from '../authorization/access'
import type { Context } from '../runtime/context'
import { type Page, pageInput } from '../shared/pagination'
import type { Actor, AuditEventRecord } from '../shared/types'
import { parseInput } from '../shared/validate'
import { auditRules } from './rules'
import { type ListAuditEventsInput, listAuditEventsSchema } from './schemas'

export async function listAuditEvents(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListAuditEventsInput = {},
): Promise<Page<AuditEventRecord>> {
  const { limit, cursor, action } = parseInput(listAuditEventsSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  return authorizedPage(ctx, ctx.storage, actor, ref, auditRules.list, { list: 'audit', input: [{ action }, page] })
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
