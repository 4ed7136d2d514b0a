import { requires } from '../authorization/requirement'

/**
 * Who may do what with teams: a role in the team counts for the operations about that team. Declared once: the service checks these, the HTTP routes publish them.
 */
export const teamRules = {
  list: requires.permission('teams.read'),
  create: requires.permission('teams.create'),
  get: requires.permissionInTeam('teams.read'),
  update: requires.permissionInTeam('teams.update'),
  delete: requires.permissionInTeam('teams.delete'),
  listMembers: requires.permissionInTeam('teams.read'),
  getMember: requires.permissionInTeam('teams.read'),
  /** A team lead adds to their own team; the team role given holds only permissions the caller holds. */
  addMember: requires.permissionInTeam('teams.update'),
  updateMember: requires.permissionInTeam('teams.update'),
  removeMember: requires.permissionInTeam('teams.update'),
} as const
