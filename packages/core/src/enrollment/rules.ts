import { requires } from '../authorization/requirement'

/**
 * Who may do what with enrollment: verified domains, joining, join requests, invitation links
 * and bulk invitations. Declared once: the services check these, the HTTP routes publish them.
 */
export const enrollmentRules = {
  listDomains: requires.permission('domains.read'),
  /** Also: the domain's role (given to those who join through it) is one the caller may grant (`mayGrant`). */
  addDomain: requires.permission('domains.manage'),
  verifyDomain: requires.permission('domains.manage'),
  updateDomain: requires.permission('domains.manage'),
  removeDomain: requires.permission('domains.manage'),
  discoverable: requires.user('discover organizations'),
  join: requires.user('join an organization'),
  listJoinRequests: requires.permission('members.add'),
  /** Also: the role given on approval is one the caller may grant (`mayGrant`). */
  approveJoinRequest: requires.permission('members.add'),
  denyJoinRequest: requires.permission('members.add'),
  myJoinRequests: requires.user('list their join requests'),
  withdrawJoinRequest: requires.user('withdraw a join request'),
  listInvitationLinks: requires.permission('invitations.read'),
  /** Also: the link's role is one the caller may grant (`mayGrant`), checked again at accept time for its creator. */
  createInvitationLink: requires.permission('invitations.create'),
  revokeInvitationLink: requires.permission('invitations.revoke'),
  /** Accepting an invitation link's token: as accepting an invitation. */
  acceptInvitationLink: requires.user('accept an invitation'),
  /** Also: each role invited to is one the caller may grant (`mayGrant`). */
  bulkCreateInvitations: requires.permission('invitations.create'),
} as const
