import { requires } from '../authorization/requirement'

/**
 * Who may do what with custom roles. Declared once: the service checks these, the HTTP routes publish them.
 */
export const roleRules = {
  list: requires.permission('roles.read'),
  /** Also: the role holds only permissions the caller holds (`mayGrant`). */
  create: requires.permission('roles.create'),
  update: requires.permission('roles.update'),
  delete: requires.permission('roles.delete'),
} as const
