import { requires } from '../authorization/requirement'

/**
 * Who may do what with organizations. Declared once: the service checks these, the HTTP routes publish them.
 */
export const organizationRules = {
  /** The caller's organizations (an API key: its own). */
  list: requires.signedIn,
  create: requires.user('create an organization'),
  /** A member, or anyone for a public organization's public fields. */
  get: requires.read,
  update: requires.permission('organization.update'),
  delete: requires.permission('organization.delete'),
  /** A member leaves; only a user has a membership to leave. */
  leave: requires.member,
  transferOwnership: requires.owner,
  permissions: requires.member,
  publicView: requires.none,
} as const
