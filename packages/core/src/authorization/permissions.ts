/** The permissions orgkit declares for its own resources (SPEC §2). */
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

export type OrgkitPermission = (typeof ORGKIT_PERMISSIONS)[number]

/** `resource.action`, each part a letter followed by letters, digits, `_` or `-`. */
export const PERMISSION_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]*\.[a-zA-Z][a-zA-Z0-9_-]*$/

/** A grant: a permission, `resource.*`, or `*`. */
export const GRANT_PATTERN = /^(?:\*|[a-zA-Z][a-zA-Z0-9_-]*\.(?:\*|[a-zA-Z][a-zA-Z0-9_-]*))$/

export const OWNER_ROLE = 'owner'
