import type { RoleDefinition } from '../authorization/defaults'
import type { BuiltInPermission } from '../authorization/permissions'
import type { TeamRoleDefinition } from '../authorization/team-roles'
import type { InvitationRecord, JsonObject, OrganizationRecord } from '../shared/types'
import type { Storage } from '../storage/port'
import type { BeforeHooks } from './events'

/** The system roles every configuration has (`roles` may redefine `admin` and `member`). */
export type DefaultRoleKey = 'owner' | 'admin' | 'member'

export type { RoleDefinition, TeamRoleDefinition }

export interface InvitationOptions {
  /** How long an invitation stays valid: milliseconds, or `'30m'`, `'12h'`, `'7d'`. @default '7d' */
  expiresIn?: number | string
  /** Builds the link the invitee follows. @default (token) => `/invitations/accept?token=${token}` */
  acceptUrl?: (token: string) => string
  /**
   * Delivers a new or resent invitation (by mail, usually). Called after the invitation is
   * committed; the only place besides the create/resend response that sees the token.
   */
  send?: (invitation: InvitationRecord, secret: { token: string; acceptUrl: string }) => void | Promise<void>
  /**
   * Refuse to accept for a user whose host reports `emailVerified: false`. Users for whom the
   * host reports nothing are not refused. @default true
   */
  requireVerifiedEmail?: boolean
}

export interface ApiKeyOptions {
  /**
   * `lastUsedAt` is written at most once per key in this many milliseconds, so that
   * authenticating a key is not a write on every request. @default 60000
   */
  lastUsedPrecisionMs?: number
}

/** Per-organization and per-user ceilings; each is enforced inside the transaction that would pass it. */
export interface LimitOptions {
  /** Team organizations one user may create. @default unlimited */
  organizationsPerUser?: number
  /** @default unlimited */
  membersPerOrganization?: number
  /** Unexpired pending invitations. @default unlimited */
  pendingInvitationsPerOrganization?: number
  /** @default unlimited */
  teamsPerOrganization?: number
  /** @default unlimited */
  customRolesPerOrganization?: number
}

/**
 * The options of `createOrgkit`. `P` is the host's permissions, `R` the keys of `roles` and
 * `F` the fields `organizationFields` adds: `createOrgkit` infers all three from the options
 * written in place, so that grants, role keys and permission checks are checked by the
 * compiler. Written as a plain `OrgkitOptions`, all of them are just strings. `Transaction` is
 * the storage's own transaction handle (a Kysely `Transaction` with `kyselyStorage`), inferred
 * from `storage`: what `before` hooks receive to join their writes to the mutation's.
 */
export interface OrgkitOptions<
  P extends string = string,
  R extends string = string,
  F extends object = JsonObject,
  Transaction = unknown,
> {
  /** Where orgkit keeps its data: `kyselyStorage(db, …)` from `@orgkit/kysely`. */
  storage: Storage<Transaction>
  /** The host's own permissions, `resource.action`. orgkit's own are always declared. */
  permissions?: readonly P[]
  /**
   * System roles, merged over the defaults (`owner` = `*`; `admin` = everything except
   * `organization.delete`; `member` = `members.read teams.read roles.read`). `owner` always
   * holds `*` and cannot be redefined.
   */
  roles?: { readonly [K in R]: RoleDefinition<NoInfer<P> | BuiltInPermission, NoInfer<R> | DefaultRoleKey> }
  /** The role a direct add or invitation gets when none is named. @default 'member' */
  defaultRole?: NoInfer<R> | DefaultRoleKey
  /**
   * Team roles, replacing the defaults: `lead` = `teams.read teams.update` (manages its own
   * team's members), `member` = `teams.read`.
   */
  teamRoles?: Record<string, TeamRoleDefinition<NoInfer<P> | BuiltInPermission>>
  /** The team role a team member gets when none is named, and on joining through an invitation. @default 'member' */
  defaultTeamRole?: string
  /** How many organizations' compiled custom roles stay cached in memory. @default 1000 */
  roleCacheSize?: number
  /**
   * Hooks that run inside the transaction of a mutation, just before its audit event is
   * written, keyed by the event's action (`'member.added'`). One that throws vetoes the
   * operation: nothing is written, and an `OrgkitError` it throws is what the caller gets.
   * A hook receives the storage's transaction as its second argument (`{ transaction }`), so
   * that the host's own writes join it. `orgkit.before(action, hook)` adds more at run time.
   */
  before?: BeforeHooks<Transaction>
  /**
   * Derived fields the host adds to every organization view (get, list, create, update):
   * called once per response with the organizations it shows, returns their extra fields in
   * the same order (`[{ projectCount: 3 }]`). orgkit's own fields win over a field of the same name.
   */
  organizationFields?: (organizations: readonly OrganizationRecord[]) => Promise<readonly F[]> | readonly F[]
  invitations?: InvitationOptions
  apiKeys?: ApiKeyOptions
  limits?: LimitOptions
  /** One personal organization per user, created on first need. @default false */
  personalOrganizations?: boolean
  /** The choices for an organization's `industry`, served at `GET /industries`. */
  industries?: readonly string[]
  /** Slugs nobody may take, added to the built-in list (`me`, `new`, `api`, `admin`, `settings`, …). */
  reservedSlugs?: readonly string[]
  /** The time source; tests inject one. @default () => new Date() */
  clock?: () => Date
  /**
   * Called when an event listener or the invitation `send` callback throws: both run after
   * the commit, so their failure is reported here and does not undo the change.
   * @default console.error
   */
  onListenerError?: (error: unknown, event: { action: string }) => void
}
