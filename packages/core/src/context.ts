import type { EventBus } from './audit/event-bus'
import type { HookRunner } from './audit/events'
import type { OrgkitOptions } from './config'
import type { EnrollmentSettings } from './enrollment/options'
import type { CompiledRole, PermissionEngine } from './roles/engine'
import type { RoleResolver } from './roles/resolver'
import type { Storage } from './storage/port'

/** What every service function receives: the options, resolved once by `createOrgkit`. */
export interface Context {
  options: OrgkitOptions
  storage: Storage
  engine: PermissionEngine
  events: EventBus
  /** The `before` hooks, run inside each mutation's transaction. */
  hooks: HookRunner
  /** Each organization's compiled roles (system roles with its custom roles over them). */
  roles: RoleResolver
  /** The configured team roles, compiled. */
  teamRoles: ReadonlyMap<string, CompiledRole>
  defaultTeamRole: string
  now: () => Date
  defaultRole: string
  industries: readonly string[]
  reservedSlugs: ReadonlySet<string>
  /** How long a new or resent invitation stays valid. */
  invitationTtlMs: number
  /** Domain verification and enrollment, resolved from `options.enrollment`. */
  enrollment: EnrollmentSettings
  /** Reports a failure that must not fail the call (a listener, the invitation mailer). */
  reportError: (error: unknown, event: { action: string }) => void
}
