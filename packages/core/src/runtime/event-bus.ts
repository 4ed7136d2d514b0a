import type { Actor, AuditEventRecord } from '../shared/types'
import { runInOrganization } from './organization-context'

export type Listener = (event: AuditEventRecord) => void | Promise<void>

/**
 * Delivers committed events to the host's listeners. Delivery happens after the
 * transaction commits, so a listener never sees an event that was rolled back; a listener
 * that throws is reported and does not undo the change.
 */
export interface EventBus {
  on(action: string, listener: Listener): () => void
  deliver(events: readonly AuditEventRecord[]): Promise<void>
}

export function createEventBus(onError: (error: unknown, event: { action: string }) => void): EventBus {
  const listeners = new Map<string, Set<Listener>>()
  return {
    on(action, listener) {
      const set = listeners.get(action) ?? new Set()
      listeners.set(action, set)
      set.add(listener)
      return () => set.delete(listener)
    },
    async deliver(events) {
      if (listeners.size === 0) return
      for (const event of events) {
        for (const listener of [...(listeners.get(event.action) ?? []), ...(listeners.get('*') ?? [])]) {
          try {
            // In the event's organization, as the hooks: `scopedDb(db)` in a listener is scoped to it.
            await runInOrganization(event.organizationId, () => listener(event))
          } catch (error) {
            onError(error, event)
          }
        }
      }
    },
  }
}

export function actorRef(actor: Actor): AuditEventRecord['actor'] {
  switch (actor.type) {
    case 'user':
      return { type: 'user', id: actor.userId }
    case 'apiKey':
      return { type: 'apiKey', id: actor.keyId }
    case 'system':
      return { type: 'system', id: null }
  }
}
