/** The part of a permission map (`client.organizations.permissions(org)`) that `can` reads. */
export interface PermissionGrants {
  permissions: readonly string[]
  teams?: readonly { teamId: string; permissions: readonly string[] }[]
}

/** Whether `grant` (`projects.update`, `projects.*` or `*`) covers `permission`. */
function covers(grant: string, permission: string): boolean {
  if (grant === '*' || grant === permission) return true
  return grant.endsWith('.*') && permission.startsWith(grant.slice(0, -1))
}

/**
 * Whether a permission map allows `permission`: by the organization role, or, with
 * `teamId`, by the caller's role in that team. Grants match as on the server: exactly,
 * `resource.*` for every action on the resource, `*` for everything.
 *
 * For showing and hiding things only: the server decides on every request.
 */
export function can(map: PermissionGrants, permission: string, options: { teamId?: string } = {}): boolean {
  if (map.permissions.some((grant) => covers(grant, permission))) return true
  const { teamId } = options
  if (teamId === undefined) return false
  return (map.teams ?? []).some(
    (team) => team.teamId === teamId && team.permissions.some((grant) => covers(grant, permission)),
  )
}
