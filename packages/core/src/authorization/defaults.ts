import type { Grant } from './permissions'

/**
 * A role as configured: its grants, optionally on top of another role's. `P` is the
 * declared permissions and `R` the role keys, so that `createOrgkit` refuses a misspelled
 * grant or role at compile time; both are `string` where they are not known.
 */
export interface RoleDefinition<P extends string = string, R extends string = string> {
  /** Display name. @default the key, capitalized */
  name?: string
  description?: string
  /** Roles whose grants this role also has. */
  extends?: R | readonly R[]
  /** Permissions or wildcards (`projects.*`, `*`) granted by this role. */
  grants?: readonly Grant<P>[]
  /** Permissions or wildcards taken away again after `grants` and `extends` (admin: `['organization.delete']`). */
  except?: readonly Grant<P>[]
}

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
