import type { RoleDefinition } from '../runtime/config'

/** The default system roles; `roles` in the options is merged over these. */
export const DEFAULT_ROLES: Record<string, RoleDefinition> = {
  owner: { name: 'Owner', description: 'Full control, including deleting the organization.', grants: ['*'] },
  admin: {
    name: 'Admin',
    description: 'Everything except deleting the organization.',
    grants: ['*'],
    except: ['organization.delete'],
  },
  member: {
    name: 'Member',
    description: 'Sees the members, teams and roles of the organization.',
    grants: ['members.read', 'teams.read', 'roles.read'],
  },
}
