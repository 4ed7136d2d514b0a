import { requires } from '../authorization/requirement'

/**
 * Who may do what with invitations. Declared once: the service checks these, the HTTP routes publish them.
 */
export const invitationRules = {
  list: requires.permission('invitations.read'),
  /** Also: the role invited to holds only permissions the caller holds (`mayGrant`), checked again at accept time for the inviter. */
  create: requires.permission('invitations.create'),
  resend: requires.permission('invitations.create'),
  revoke: requires.permission('invitations.revoke'),
  mine: requires.user('list their invitations'),
  preview: requires.user('preview an invitation'),
  /** The addressee: the signed-in user whose email the invitation names. */
  accept: requires.user('accept an invitation'),
  decline: requires.user('decline an invitation'),
} as const
