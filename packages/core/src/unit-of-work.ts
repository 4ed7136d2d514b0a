import { actorRef } from './audit/event-bus'
import type { Context } from './context'
import { createId } from './ids'
import type { Repositories } from './storage/port'
import type { Actor, AuditEventRecord, JsonObject } from './types'

export interface EventInput {
  organizationId: string
  action: string
  target: { type: string; id: string }
  changes?: JsonObject
}

export interface Work {
  tx: Repositories
  now: Date
  /** Writes an audit event in this transaction; it is delivered to listeners after commit. */
  record(event: EventInput): Promise<void>
  /** An event for listeners only (its organization's audit trail is being deleted with it). */
  announce(event: EventInput): void
}

/**
 * Runs one mutation in one transaction: every successful mutation writes its audit
 * events in the same transaction, and listeners hear of them only after commit. The
 * storage may re-run `fn` on a deadlock, so events are collected per attempt.
 */
export async function mutate<T>(ctx: Context, actor: Actor, fn: (work: Work) => Promise<T>): Promise<T> {
  let committed: AuditEventRecord[] = []
  const result = await ctx.storage.transaction(async (tx) => {
    const now = ctx.now()
    const events: AuditEventRecord[] = []
    const toRecord = (input: EventInput): AuditEventRecord => ({
      id: createId('event'),
      organizationId: input.organizationId,
      action: input.action,
      actor: actorRef(actor),
      target: input.target,
      changes: input.changes ?? {},
      createdAt: now,
    })
    const value = await fn({
      tx,
      now,
      async record(input) {
        const event = toRecord(input)
        await tx.audit.append(event)
        events.push(event)
      },
      announce(input) {
        events.push(toRecord(input))
      },
    })
    committed = events
    return value
  })
  await ctx.events.deliver(committed)
  return result
}
