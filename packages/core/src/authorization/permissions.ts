/**
 * The permissions orgkit declares for its own resources; a host's own permissions are
 * declared next to them (`permissions` in the options).
 */
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

/** One of orgkit's built-in permissions. */
export type BuiltInPermission = (typeof ORGKIT_PERMISSIONS)[number]

/** The same union under its first name. */
export type OrgkitPermission = BuiltInPermission

/** `resource.action`, each part a letter followed by letters, digits, `_` or `-`. */
export const PERMISSION_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]*\.[a-zA-Z][a-zA-Z0-9_-]*$/

/** A grant: a permission, `resource.*`, or `*`. */
export const GRANT_PATTERN = /^(?:\*|[a-zA-Z][a-zA-Z0-9_-]*\.(?:\*|[a-zA-Z][a-zA-Z0-9_-]*))$/

export const OWNER_ROLE = 'owner'
