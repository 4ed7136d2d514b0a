import { requires } from '../authorization/requirement'

/**
 * Who may do what with members. Declared once: the service checks these, the HTTP routes publish them.
 */
export const memberRules = {
  list: requires.permission('members.read'),
  get: requires.permission('members.read'),
  /** Also: the role given holds only permissions the caller holds (`mayGrant`). */
  add: requires.permission('members.add'),
  /** Also: the caller may grant both the member's role and the new one (`mayGrant`). */
  update: requires.permission('members.update'),
  /** Also: the caller may grant the member's role (`mayGrant`). */
  remove: requires.permission('members.remove'),
} as const
