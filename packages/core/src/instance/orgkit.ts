import type { ApiKeyAuthentication } from '../api-keys/authenticate'
import type { ApiKeysApi } from '../api-keys/service'
import type { CompiledRole, PermissionEngine } from '../authorization/engine'
import type { Grant } from '../authorization/permissions'
import type { OrganizationsApi, OrganizationView } from '../organizations/service'
import type { RolesApi } from '../roles/service'
import type { OrgkitOptions } from '../runtime/config'
import type { BeforeHook, OrgkitEvent, OrgkitEventAction } from '../runtime/events'
import type { Page } from '../shared/pagination'
import type { Actor, ApiKeyActor, OrganizationRecord } from '../shared/types'
import type { ClientOptions, createClient } from './client'

export type { ApiKeyAuthentication } from '../api-keys/authenticate'
export type { ClientOptions } from './client'

/** No host fields: what an instance built without `organizationFields` adds to its views. */
export type NoFields = Record<never, never>

/**
 * An organization view with the fields the host's `organizationFields` returns (`F`);
 * orgkit's own fields keep their types, as they keep their values.
 */
export type OrganizationViewWith<F extends object> = OrganizationView & Omit<F, keyof OrganizationView>

/** `{org}`: an organization's slug, its id, or `me` (the actor's current organization). */
export type OrganizationRef = string

export type { ApiKeysApi } from '../api-keys/service'
export type { AuditApi } from '../audit/service'
export type { InvitationsApi } from '../invitations/service'
export type { MembersApi } from '../members/service'
export type { OrganizationsApi, OrganizationView, PermissionSummary } from '../organizations/service'
export type { RolesApi } from '../roles/service'
export type { TeamsApi } from '../teams/service'

type UntypedClient = ReturnType<typeof createClient>

/** `orgkit.as(actor).organizations`, its views carrying the host's `organizationFields` (`F`). */
export interface OrganizationsClient<F extends object = NoFields>
  extends Omit<OrganizationsApi, 'list' | 'create' | 'get' | 'update' | 'transferOwnership'> {
  /** The caller's organizations with its role; platform staff pass `scope: 'all'` for every organization. */
  list(input?: Parameters<OrganizationsApi['list']>[0]): Promise<Page<OrganizationViewWith<F>>>
  /** Creates an organization; the caller becomes its owner. */
  create(input: Parameters<OrganizationsApi['create']>[0]): Promise<OrganizationViewWith<F>>
  /** `org`: a slug, an `org_…` id, or `me`. */
  get(org: OrganizationRef): Promise<OrganizationViewWith<F>>
  update(org: OrganizationRef, input: Parameters<OrganizationsApi['update']>[1]): Promise<OrganizationViewWith<F>>
  /** Owner only: makes another member owner; the caller becomes `admin`. */
  transferOwnership(
    org: OrganizationRef,
    input: Parameters<OrganizationsApi['transferOwnership']>[1],
  ): Promise<OrganizationViewWith<F>>
}

/** `input` with its `permissions` narrowed to grants of the declared permissions `P`. */
type WithGrants<Input, P extends string> = Input extends unknown
  ? Omit<Input, 'permissions'> & { permissions?: readonly Grant<P>[] | undefined }
  : never

/** `orgkit.as(actor).roles`, whose custom roles grant only declared permissions (`P`). */
export interface RolesClient<P extends string = string> extends Omit<RolesApi, 'create' | 'update'> {
  /**
   * Creates a custom role; with a system role's key it shadows that role in this organization
   * only. Never with a permission the caller does not hold. Needs `roles.create`.
   */
  create(
    org: OrganizationRef,
    input: Omit<Parameters<RolesApi['create']>[1], 'permissions'> & { permissions: readonly Grant<P>[] },
  ): ReturnType<RolesApi['create']>
  /** Edits a custom role; seen by the next check everywhere. Needs `roles.update`. */
  update(
    org: OrganizationRef,
    key: string,
    input: WithGrants<Parameters<RolesApi['update']>[2], P>,
  ): ReturnType<RolesApi['update']>
}

/** `orgkit.as(actor).apiKeys`, whose explicit permission lists hold only declared permissions (`P`). */
export interface ApiKeysClient<P extends string = string> extends Omit<ApiKeysApi, 'create'> {
  /** Creates a key; `secret` (`ok_<prefix>_<secret>`) is returned here and never again. */
  create(
    org: OrganizationRef,
    input: WithGrants<Parameters<ApiKeysApi['create']>[1], P>,
  ): ReturnType<ApiKeysApi['create']>
}

/**
 * Everything an actor can do, bound to that actor: `orgkit.as(actor).members.list('acme')`.
 * Built by `createClient`. `P` is the declared permissions (orgkit's and the host's) and `F`
 * the host's `organizationFields`, as `createOrgkit` inferred them.
 */
export interface OrgkitClient<P extends string = string, F extends object = NoFields>
  extends Omit<UntypedClient, 'organizations' | 'roles' | 'apiKeys' | 'can'> {
  readonly organizations: OrganizationsClient<F>
  readonly roles: RolesClient<P>
  readonly apiKeys: ApiKeysClient<P>
  /**
   * Whether the actor holds `permission` in the organization: through its role there, or,
   * with `teamId` (a team's id or slug), through its role in that team. Throws for an
   * undeclared permission.
   */
  can(org: OrganizationRef, permission: P, options?: { teamId?: string }): Promise<boolean>
}

export type OrgkitListener<A extends OrgkitEventAction = OrgkitEventAction> = (
  event: OrgkitEvent<A>,
) => void | Promise<void>

/**
 * An orgkit instance. `P` is its declared permissions (orgkit's own and the host's) and `F`
 * the fields its `organizationFields` adds, as `createOrgkit` inferred them from its options,
 * so that a misspelled permission is a compile error wherever one is checked. A plain
 * `Orgkit` takes any instance. `Transaction` is its storage's transaction handle (a Kysely
 * `Transaction` with `kyselyStorage`), which `before` hooks receive.
 */
export interface Orgkit<P extends string = string, F extends object = NoFields, Transaction = unknown> {
  readonly options: Readonly<OrgkitOptions>
  /** The compiled system roles and declared permissions. */
  readonly engine: PermissionEngine
  /** The configured industry choices. */
  readonly industries: readonly string[]
  /**
   * Everything `actor` may do. `options.organization`: the API key's organization as
   * `authenticateApiKeyForRequest` read it, so that the client's first authorization does
   * not read it again.
   */
  as(actor: Actor, options?: ClientOptions): OrgkitClient<P, F>
  /**
   * A public organization's public fields, for a caller who is not signed in. Anything
   * else (private, nonexistent, `me`) is `unauthenticated`: signing in may reveal more,
   * and the answer does not tell a private organization from a missing one.
   */
  publicOrganization(org: OrganizationRef): Promise<OrganizationViewWith<F>>
  /**
   * Turns a presented `ok_<prefix>_<secret>` key into its actor. Throws `unauthenticated`
   * for an unknown, revoked or expired key, and for anything that is not a key.
   */
  authenticateApiKey(presented: string): Promise<ApiKeyActor>
  /**
   * `authenticateApiKey`, answering the key's organization with the actor, as authenticating
   * the key read it: hand both to `as(actor, { organization })` or `authorize(…, { organization })`
   * for the request, and its first authorization does not read the organization again.
   */
  authenticateApiKeyForRequest(presented: string): Promise<ApiKeyAuthentication>
  /**
   * Listens for committed events (`member.removed`), or every event with `'*'`. Listeners run
   * after the commit; one that throws is reported to `onListenerError` and undoes nothing.
   * Returns an unsubscribe function.
   */
  on<A extends OrgkitEventAction>(action: A | '*', listener: OrgkitListener<A>): () => void
  /**
   * Adds a `before` hook: it runs inside the transaction of every mutation that writes an
   * `action` event, just before the event is written, and vetoes the mutation by throwing
   * (nothing is written; an `OrgkitError` reaches the caller as is). Its second argument,
   * `{ transaction }`, is the storage's transaction: the host's writes through it commit or
   * roll back with the mutation. It runs in the event's organization (`runInOrganization`).
   * Returns a remove function.
   */
  before<A extends OrgkitEventAction>(action: A, hook: BeforeHook<A, Transaction>): () => void
  /**
   * Runs `fn` with `organization` (its id, or the organization) as the request's current
   * organization, the one `scopedDb(db)` from `@orgkit/kysely` scopes the host's queries to.
   * It follows `fn` through `await`, timers and streams; concurrent calls never see each
   * other's. The adapters' `requirePermission` runs the route handler in the organization it
   * authorized; orgkit's own routes run the host's hooks and listeners in the event's.
   */
  runInOrganization<T>(organization: string | { id: string }, fn: () => T): T
  /**
   * Checks `permission` for `actor` in an organization exactly as orgkit's own routes do, for
   * the host's routes (`requirePermission`). Resolves to the organization and the role the
   * permission came from; throws `OrgkitError`: `unauthenticated`, `not_found` (nonexistent,
   * another organization than an API key's own, or private and the caller not a member) or
   * `forbidden`. Throws a `TypeError` for an undeclared permission.
   */
  authorize(actor: Actor, org: OrganizationRef, permission: P, options?: ClientOptions): Promise<AccessGrant>
}

export interface AccessGrant {
  organization: OrganizationRecord
  /** The actor's effective role: a member's role, or an API key's permissions. `null` for the system actor. */
  role: CompiledRole | null
}
