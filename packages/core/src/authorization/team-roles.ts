import { OrgkitConfigError } from '../shared/errors'
import type { CompiledRole, PermissionEngine } from './engine'
import type { Grant } from './permissions'

/** A team role: grants that apply only to the resources of the team it is held in. */
export interface TeamRoleDefinition<P extends string = string> {
  /** Display name. @default the key, capitalized */
  name?: string
  description?: string
  /** Permissions or wildcards (`projects.*`) the role grants inside its team. */
  grants: readonly Grant<P>[]
}

/** The default team roles: a lead manages its own team's members, a member sees the team. */
export const DEFAULT_TEAM_ROLES: Record<string, TeamRoleDefinition> = {
  lead: { name: 'Lead', description: "Manages the team's members.", grants: ['teams.read', 'teams.update'] },
  member: { name: 'Member', description: 'Belongs to the team.', grants: ['teams.read'] },
}

export const DEFAULT_TEAM_ROLE = 'member'

const TEAM_ROLE_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,47}$/

/** Compiles the configured team roles once, at `createOrgkit`; a mistake names the role. */
export function compileTeamRoles(
  engine: PermissionEngine,
  definitions: Record<string, TeamRoleDefinition> = DEFAULT_TEAM_ROLES,
): ReadonlyMap<string, CompiledRole> {
  if (typeof definitions !== 'object' || definitions === null || Object.keys(definitions).length === 0) {
    throw new OrgkitConfigError('teamRoles must define at least one team role')
  }
  const roles = new Map<string, CompiledRole>()
  for (const [key, definition] of Object.entries(definitions)) {
    if (!TEAM_ROLE_KEY_PATTERN.test(key)) {
      throw new OrgkitConfigError(`team role key "${key}" must match ${TEAM_ROLE_KEY_PATTERN}`)
    }
    if (!Array.isArray(definition?.grants)) throw new OrgkitConfigError(`team role "${key}" needs a grants list`)
    for (const grant of definition.grants) {
      const problem = engine.grantProblem(grant)
      if (problem) throw new OrgkitConfigError(`team role "${key}": ${problem}`)
    }
    roles.set(
      key,
      engine.compile(definition.grants, {
        key,
        name: definition.name ?? key.charAt(0).toUpperCase() + key.slice(1),
        description: definition.description ?? null,
      }),
    )
  }
  return roles
}
