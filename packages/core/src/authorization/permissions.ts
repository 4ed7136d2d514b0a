/** The permissions orgkit declares for its own resources. */
export const ORGKIT_PERMISSIONS = [
  'organization.update',
  'organization.delete',
  'members.read',
  'members.add',
  'members.update',
  'members.remove',
  'invitations.read',
  'invitations.create',
  'invitations.revoke',
  'roles.read',
  'roles.create',
  'roles.update',
  'roles.delete',
  'teams.read',
  'teams.create',
  'teams.update',
  'teams.delete',
  'apikeys.read',
  'apikeys.create',
  'apikeys.revoke',
  'audit.read',
] as const

/** One of orgkit's own permissions: always declared, whatever the host adds. */
export type BuiltInPermission = (typeof ORGKIT_PERMISSIONS)[number]

/** The same union as `BuiltInPermission`. */
export type OrgkitPermission = BuiltInPermission

/** The resource part of each permission in `P`: `projects` for `projects.read`. */
export type PermissionResource<P extends string> = P extends `${infer Resource}.${string}` ? Resource : never

/**
 * What a role, a custom role or an API key may be granted out of the permissions `P`: one of
 * them, a whole resource (`projects.*`), or everything (`*`). With `P = string` (permissions
 * not known to the compiler) any string.
 */
export type Grant<P extends string> = P | `${PermissionResource<P>}.*` | '*'

/** `resource.action`, each part a letter followed by letters, digits, `_` or `-`. */
export const PERMISSION_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]*\.[a-zA-Z][a-zA-Z0-9_-]*$/

/** A grant: a permission, `resource.*`, or `*`. */
export const GRANT_PATTERN = /^(?:\*|[a-zA-Z][a-zA-Z0-9_-]*\.(?:\*|[a-zA-Z][a-zA-Z0-9_-]*))$/

export const OWNER_ROLE = 'owner'
