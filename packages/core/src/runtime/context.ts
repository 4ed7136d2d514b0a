import type { AuthorizationContext } from '../authorization/access'
import type { Storage } from '../storage/port'
import type { OrgkitOptions } from './config'
import type { EventBus } from './event-bus'
import type { HookRunner } from './events'

/** What every service function receives: the options, resolved once by `createOrgkit`. */
export interface Context extends AuthorizationContext {
  options: OrgkitOptions
  storage: Storage
  events: EventBus
  /** The `before` hooks, run inside each mutation's transaction. */
  hooks: HookRunner
  defaultTeamRole: string
  now: () => Date
  defaultRole: string
  industries: readonly string[]
  reservedSlugs: ReadonlySet<string>
  /** How long a new or resent invitation stays valid. */
  invitationTtlMs: number
  /** Reports a failure that must not fail the call (a listener, the invitation mailer). */
  reportError: (error: unknown, event: { action: string }) => void
}
