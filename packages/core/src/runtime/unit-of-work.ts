import { createSortableId } from '../shared/ids'
import type { Actor, AuditEventRecord, JsonObject } from '../shared/types'
import type { Repositories, TransactionRepositories } from '../storage/port'
import type { Context } from './context'
import { actorRef } from './event-bus'
import type { OrgkitEventAction, OrgkitEventMap } from './events'
import { runInOrganization } from './organization-context'

/** An event to write, typed by its action: `changes` must have the shape `OrgkitEventMap` gives it. */
export type EventInput = {
  [A in OrgkitEventAction]: {
    organizationId: string
    action: A
    target: { type: string; id: string }
    changes: OrgkitEventMap[A]
  }
}[OrgkitEventAction]

export interface Work {
  tx: TransactionRepositories
  now: Date
  /**
   * Runs the `before` hooks of the event (one that throws vetoes the whole mutation: the
   * transaction rolls back), and writes it to the audit trail in this transaction (the
   * mutation's events together, in one statement, when it is done); it is delivered to
   * listeners after commit.
   */
  record(event: EventInput): Promise<void>
  /**
   * Records `inputs` with the write that makes them, so that a storage can write the audit
   * events in the write's own statement: `write` receives the events to write with its
   * change (in the same transaction, and only if it writes anything), and resolves to `false`
   * when it wrote nothing — then nothing is recorded. When a `before` hook is registered for
   * one of the actions, `write` receives no events instead: it writes, then the hooks run
   * and see the change, and the events are written when the mutation is done, as `record`
   * does (one statement more). A write that throws records nothing.
   */
  recordWith<T>(inputs: readonly EventInput[], write: (events: readonly AuditEventRecord[]) => Promise<T>): Promise<T>
  /**
   * Like `record`, for an event whose organization's audit trail is being deleted with it:
   * the hooks run and listeners hear of it, but nothing is written.
   */
  announce(event: EventInput): Promise<void>
}

/**
 * The one path of every mutation: one transaction, in which each change runs its `before`
 * hooks and writes its audit event; listeners hear of the events only after commit, and a
 * listener's failure never undoes the change. The storage may re-run `fn` on a deadlock, so
 * events are collected per attempt.
 */
export async function mutate<T>(ctx: Context, actor: Actor, fn: (work: Work) => Promise<T>): Promise<T> {
  let committed: AuditEventRecord[] = []
  const result = await ctx.storage.transaction(async (tx) => {
    const now = ctx.now()
    const events: AuditEventRecord[] = []
    /** The events to write to the audit trail: written together, in one statement, before the commit. */
    const trail: AuditEventRecord[] = []
    // The host's hooks join this transaction through the storage's handle on it, and run in
    // the event's organization, so that `scopedDb(db)` inside a hook is scoped to it. With no
    // hook for the action nothing runs: the organization is not set, which on Node keeps the
    // async context tracking, and its cost on every promise, off for hosts that use none.
    const runHooks = async (event: AuditEventRecord) => {
      if (!ctx.hooks.has(event.action)) return
      await runInOrganization(event.organizationId, () => ctx.hooks.run(event, { transaction: tx.transaction }))
    }
    const toRecord = (input: EventInput) => eventRecord(actor, now, input)
    const value = await fn({
      tx,
      now,
      async record(input) {
        const event = toRecord(input)
        await runHooks(event)
        trail.push(event)
        events.push(event)
      },
      async recordWith(inputs, write) {
        const recorded = inputs.map(toRecord)
        const hooked = recorded.some((event) => ctx.hooks.has(event.action))
        const result = await write(hooked ? [] : recorded)
        if (result === false) return result
        if (hooked) {
          for (const event of recorded) await runHooks(event)
          trail.push(...recorded)
        }
        events.push(...recorded)
        return result
      },
      async announce(input) {
        const event = toRecord(input)
        await runHooks(event)
        events.push(event)
      },
    })
    await tx.audit.append(trail)
    committed = events
    return value
  })
  await ctx.events.deliver(committed)
  return result
}

/** What a mutation made of one atomic write is given (see `mutateAtomically`). */
export interface AtomicWork {
  /** The repositories: the storage's own, or, with a `before` hook, the transaction's. */
  repositories: Repositories
  now: Date
  /** As `Work.recordWith`. */
  recordWith: Work['recordWith']
}

/**
 * A mutation whose every write is one call of the storage that is atomic on its own (the
 * port's methods are, outside a transaction: one statement, or a transaction of their own)
 * and leaves nothing behind when it writes nothing, so that no transaction needs to hold
 * them together. With no `before` hook for any of `actions` (the actions of the events `fn`
 * records) nothing runs between a write and its commit, so `fn` writes through the storage
 * itself: a storage that makes the write one statement spares the BEGIN and COMMIT.
 * Listeners hear of the events after it, as after `mutate`. With a hook, the hook must run
 * inside the write's transaction, before its commit: `fn` runs in `mutate`.
 */
export async function mutateAtomically<T>(
  ctx: Context,
  actor: Actor,
  actions: readonly OrgkitEventAction[],
  fn: (work: AtomicWork) => Promise<T>,
): Promise<T> {
  if (actions.some((action) => ctx.hooks.has(action))) {
    return mutate(ctx, actor, ({ tx, now, recordWith }) => fn({ repositories: tx, now, recordWith }))
  }
  const now = ctx.now()
  const events: AuditEventRecord[] = []
  const value = await fn({
    repositories: ctx.storage,
    now,
    async recordWith(inputs, write) {
      const recorded = inputs.map((input) => eventRecord(actor, now, input))
      const result = await write(recorded)
      if (result !== false) events.push(...recorded)
      return result
    },
  })
  await ctx.events.deliver(events)
  return value
}

function eventRecord(actor: Actor, now: Date, input: EventInput): AuditEventRecord {
  return {
    id: createSortableId('event'),
    organizationId: input.organizationId,
    action: input.action,
    actor: actorRef(actor),
    target: input.target,
    changes: input.changes as JsonObject,
    createdAt: now,
  }
}
