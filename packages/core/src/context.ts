import type { EventBus } from './audit/event-bus'
import type { OrgkitOptions } from './config'
import type { PermissionEngine } from './roles/engine'
import type { Storage } from './storage/port'

/** What every service function receives: the options, resolved once by `createOrgkit`. */
export interface Context {
  options: OrgkitOptions
  storage: Storage
  engine: PermissionEngine
  events: EventBus
  now: () => Date
  defaultRole: string
  industries: readonly string[]
  reservedSlugs: ReadonlySet<string>
  /** How long a new or resent invitation stays valid. */
  invitationTtlMs: number
  /** Reports a failure that must not fail the call (a listener, the invitation mailer). */
  reportError: (error: unknown, event: { action: string }) => void
}
