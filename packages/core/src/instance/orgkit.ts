import type { CompiledRole, PermissionEngine } from '../authorization/engine'
import type { OrganizationView } from '../organizations/service'
import type { OrgkitOptions } from '../runtime/config'
import type { BeforeHook, OrgkitEvent, OrgkitEventAction } from '../runtime/events'
import type { Actor, ApiKeyActor, OrganizationRecord } from '../shared/types'
import type { createClient } from './client'

/** `{org}`: an organization's slug, its id, or `me` (the actor's current organization). */
export type OrganizationRef = string

export type { ApiKeysApi } from '../api-keys/service'
export type { AuditApi } from '../audit/service'
export type { InvitationsApi } from '../invitations/service'
export type { MembersApi } from '../members/service'
export type { OrganizationsApi, OrganizationView, PermissionSummary } from '../organizations/service'
export type { RolesApi } from '../roles/service'
export type { TeamsApi } from '../teams/service'

/** Everything an actor can do, bound to that actor: `orgkit.as(actor).members.list('acme')`. Built by `createClient`. */
export type OrgkitClient = ReturnType<typeof createClient>

export type OrgkitListener<A extends OrgkitEventAction = OrgkitEventAction> = (
  event: OrgkitEvent<A>,
) => void | Promise<void>

export interface Orgkit {
  readonly options: Readonly<OrgkitOptions>
  /** The compiled system roles and declared permissions. */
  readonly engine: PermissionEngine
  /** The configured industry choices. */
  readonly industries: readonly string[]
  as(actor: Actor): OrgkitClient
  /**
   * A public organization's public fields, for a caller who is not signed in. Anything
   * else (private, nonexistent, `me`) is `unauthenticated`: signing in may reveal more,
   * and the answer does not tell a private organization from a missing one.
   */
  publicOrganization(org: OrganizationRef): Promise<OrganizationView>
  /**
   * Turns a presented `ok_<prefix>_<secret>` key into its actor. Throws `unauthenticated`
   * for an unknown, revoked or expired key, and for anything that is not a key.
   */
  authenticateApiKey(presented: string): Promise<ApiKeyActor>
  /**
   * Listens for committed events (`member.removed`), or every event with `'*'`. Listeners run
   * after the commit; one that throws is reported to `onListenerError` and undoes nothing.
   * Returns an unsubscribe function.
   */
  on<A extends OrgkitEventAction>(action: A | '*', listener: OrgkitListener<A>): () => void
  /**
   * Adds a `before` hook: it runs inside the transaction of every mutation that writes an
   * `action` event, just before the event is written, and vetoes the mutation by throwing
   * (nothing is written; an `OrgkitError` reaches the caller as is). Returns a remove function.
   */
  before<A extends OrgkitEventAction>(action: A, hook: BeforeHook<A>): () => void
  /**
   * Checks `permission` for `actor` in an organization exactly as orgkit's own routes do, for
   * the host's routes (`requirePermission`). Resolves to the organization and the role the
   * permission came from; throws `OrgkitError`: `unauthenticated`, `not_found` (nonexistent,
   * another organization than an API key's own, or private and the caller not a member) or
   * `forbidden`. Throws a `TypeError` for an undeclared permission.
   */
  authorize(actor: Actor, org: OrganizationRef, permission: string): Promise<AccessGrant>
}

export interface AccessGrant {
  organization: OrganizationRecord
  /** The actor's effective role: a member's role, or an API key's permissions. `null` for the system actor. */
  role: CompiledRole | null
}
