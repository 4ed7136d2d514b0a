import type { Storage } from './storage/port'
import type { InvitationRecord } from './types'

/** A role as configured: its grants, optionally on top of another role's. */
export interface RoleDefinition {
  /** Display name. @default the key, capitalized */
  name?: string
  description?: string
  /** Roles whose grants this role also has. */
  extends?: string | readonly string[]
  /** Permissions or wildcards (`projects.*`, `*`) granted by this role. */
  grants?: readonly string[]
  /** Permissions or wildcards taken away again after `grants` and `extends` (admin: `['organization.delete']`). */
  except?: readonly string[]
}

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

export interface OrgkitOptions {
  /** Where orgkit keeps its data: `kyselyStorage(db, …)` from `@orgkit/kysely`. */
  storage: Storage
  /** The host's own permissions, `resource.action`. orgkit's own are always declared. */
  permissions?: readonly string[]
  /**
   * System roles, merged over the defaults (`owner` = `*`; `admin` = everything except
   * `organization.delete`; `member` = `members.read teams.read roles.read`). `owner` always
   * holds `*` and cannot be redefined.
   */
  roles?: Record<string, RoleDefinition>
  /** The role a direct add or invitation gets when none is named. @default 'member' */
  defaultRole?: string
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
