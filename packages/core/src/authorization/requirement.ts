import type { BuiltInPermission } from './permissions'

/**
 * What a caller must be for one operation. Each domain area declares its operations'
 * requirements once, in its `rules.ts`; the service checks that declaration (`authorize`,
 * `requireUser`) and the HTTP route publishes the same one (`x-orgkit-permission`), so what
 * the API documents and what it enforces cannot drift, and the core API called directly
 * enforces exactly what the route does.
 */
export type Requirement =
  | PermissionRequirement
  /** A member of the organization, or anyone when the organization is public (public fields only). */
  | { readonly kind: 'read' }
  /** Any member of the organization, or one of its API keys. */
  | { readonly kind: 'member' }
  /** A signed-in user whose membership role is `owner`. */
  | { readonly kind: 'owner' }
  /** A signed-in user; no organization is involved. `what` ends "Only a signed-in user can …". */
  | UserRequirement
  /** Any caller with an actor: a user or an API key. */
  | { readonly kind: 'signed-in' }
  /** Nobody in particular: public. */
  | { readonly kind: 'none' }

/**
 * A member (or API key) whose organization role holds `permission`; with `team`, the
 * operation is about one team (named by the request) and the caller's role in that team
 * counts too — a team lead holds `teams.update` for their own team.
 */
export interface PermissionRequirement<P extends string = string> {
  readonly kind: 'permission'
  readonly permission: P
  readonly team: boolean
}

export interface UserRequirement {
  readonly kind: 'user'
  readonly what: string
}

/** The requirements an organization's authorization checks (`authorize`). */
export type OrganizationRequirement = Extract<Requirement, { kind: 'permission' | 'read' | 'member' | 'owner' }>

/** Builders for the rules tables, typed by orgkit's built-in permissions. */
export const requires = {
  permission: (permission: BuiltInPermission): PermissionRequirement<BuiltInPermission> => ({
    kind: 'permission',
    permission,
    team: false,
  }),
  /** `permission` through the organization role, or through the caller's role in the team the request names. */
  permissionInTeam: (permission: BuiltInPermission): PermissionRequirement<BuiltInPermission> => ({
    kind: 'permission',
    permission,
    team: true,
  }),
  read: { kind: 'read' },
  member: { kind: 'member' },
  owner: { kind: 'owner' },
  user: (what: string): UserRequirement => ({ kind: 'user', what }),
  signedIn: { kind: 'signed-in' },
  none: { kind: 'none' },
} as const satisfies Record<string, Requirement | ((argument: never) => Requirement)>

/** The permission a requirement names, for the OpenAPI document and the route table; `null` when it names none. */
export function requiredPermission(requirement: Requirement): string | null {
  return requirement.kind === 'permission' ? requirement.permission : null
}

/** A short name for what a requirement asks, published as `x-orgkit-requirement`. */
export function requirementName(requirement: Requirement): string {
  if (requirement.kind === 'permission') return requirement.team ? 'permission-or-team-role' : 'permission'
  return requirement.kind
}
