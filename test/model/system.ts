/**
 * The real system, reached two ways with one interface: through the core client
 * (`orgkit.as(actor)…`, an API key authenticated with `orgkit.authenticateApiKey` on every
 * call, as the HTTP edge does per request) and through HTTP (`app.request` on Express or
 * Fastify). Every call answers an `Outcome`: the value, or the error code.
 */
import { type Actor, isOrgkitError } from '@orgkit/core'
import type { TestApp, TestResponse } from '../http/harness'

export type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string }

/** Who calls, as the drivers need it: a user (id and email) or an API key's secret. */
export type Caller =
  | { kind: 'user'; userId: string; email: string; emailVerified: boolean }
  | { kind: 'key'; secret: string }

export type Channel = 'core' | 'http'

/** A user to add as a member: by id, by username or by email. */
export type MemberRef = { userId: string } | { username: string } | { email: string }

export interface RespondRef {
  token?: string
  id?: string
}

/** Every operation the model drives. `org` is an organization's id or slug. */
export interface Driver {
  createOrganization(caller: Caller, name: string): Promise<Outcome>
  deleteOrganization(caller: Caller, org: string): Promise<Outcome>
  /** `user`: who to add, by id, username or email, as the caller may name them. */
  addMember(caller: Caller, org: string, user: MemberRef, role: string): Promise<Outcome>
  updateMember(caller: Caller, org: string, userId: string, role: string): Promise<Outcome>
  removeMember(caller: Caller, org: string, userId: string): Promise<Outcome>
  leave(caller: Caller, org: string): Promise<Outcome>
  transferOwnership(caller: Caller, org: string, userId: string): Promise<Outcome>
  createInvitation(caller: Caller, org: string, email: string, role: string, teamIds: string[]): Promise<Outcome>
  acceptInvitation(caller: Caller, ref: RespondRef): Promise<Outcome>
  declineInvitation(caller: Caller, ref: RespondRef): Promise<Outcome>
  revokeInvitation(caller: Caller, org: string, id: string): Promise<Outcome>
  /** Rotates the token and extends the expiry: `{ token }` anew. */
  resendInvitation(caller: Caller, org: string, id: string): Promise<Outcome>
  createTeam(caller: Caller, org: string, name: string): Promise<Outcome>
  deleteTeam(caller: Caller, org: string, team: string): Promise<Outcome>
  addTeamMember(caller: Caller, org: string, team: string, userId: string, role: string): Promise<Outcome>
  updateTeamMember(caller: Caller, org: string, team: string, userId: string, role: string): Promise<Outcome>
  removeTeamMember(caller: Caller, org: string, team: string, userId: string): Promise<Outcome>
  createRole(caller: Caller, org: string, key: string, permissions: string[]): Promise<Outcome>
  updateRole(caller: Caller, org: string, key: string, permissions: string[]): Promise<Outcome>
  deleteRole(caller: Caller, org: string, key: string, reassignTo: string | undefined): Promise<Outcome>
  createApiKey(caller: Caller, org: string, grant: { role: string } | { permissions: string[] }): Promise<Outcome>
  revokeApiKey(caller: Caller, org: string, id: string): Promise<Outcome>
  /** `GET …/permissions`: `{ role, permissions, teams }`. */
  permissions(caller: Caller, org: string): Promise<Outcome>
  /** `can(org, permission, { teamId })`: the core only (HTTP has `permissions`). */
  can?(caller: Caller, org: string, permission: string, teamId: string | undefined): Promise<Outcome>
  /** A page (`{ data }`) of the organization's invitations, filtered by `status` when given. */
  listInvitations(caller: Caller, org: string, status: string | undefined): Promise<Outcome>
  /** The pending, unexpired invitations addressed to the caller. */
  myInvitations(caller: Caller): Promise<Outcome>
  /** What an invitation's or an invitation link's token invites to. */
  previewInvitation(caller: Caller, token: string): Promise<Outcome>
  bulkInvite(caller: Caller, org: string, items: { email: string; role: string }[]): Promise<Outcome>
  addDomain(caller: Caller, org: string, domain: string): Promise<Outcome>
  verifyDomain(caller: Caller, org: string, domain: string): Promise<Outcome>
  updateDomain(caller: Caller, org: string, domain: string, patch: DomainPatch): Promise<Outcome>
  removeDomain(caller: Caller, org: string, domain: string): Promise<Outcome>
  discoverable(caller: Caller): Promise<Outcome>
  /** `{ joined }` with the membership, or `{ requested }` with the join request. */
  join(caller: Caller, org: string): Promise<Outcome>
  listJoinRequests(caller: Caller, org: string, status: string | undefined): Promise<Outcome>
  approveJoinRequest(caller: Caller, org: string, id: string, role: string | undefined): Promise<Outcome>
  denyJoinRequest(caller: Caller, org: string, id: string): Promise<Outcome>
  withdrawJoinRequest(caller: Caller, id: string): Promise<Outcome>
  myJoinRequests(caller: Caller): Promise<Outcome>
  createLink(caller: Caller, org: string, input: LinkInput): Promise<Outcome>
  revokeLink(caller: Caller, org: string, id: string): Promise<Outcome>
}

export interface DomainPatch {
  enrollment?: 'none' | 'suggest' | 'auto'
  role?: string
}

export interface LinkInput {
  role: string
  expiresAt?: string
  maxUses?: number
  domain?: string
}

const query = (params: Record<string, string | undefined>): string => {
  const defined = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)
  return defined.length === 0 ? '' : `?${new URLSearchParams(defined).toString()}`
}
const only = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

/** Through `orgkit.as(actor)`: errors are `OrgkitError`s; anything else is a failure of the test. */
export function coreDriver(app: TestApp): Driver {
  const { orgkit } = app
  const actorOf = async (caller: Caller): Promise<Actor> =>
    caller.kind === 'user'
      ? { type: 'user', userId: caller.userId, email: caller.email, emailVerified: caller.emailVerified }
      : orgkit.authenticateApiKey(caller.secret)
  const call = async (caller: Caller, body: (client: ReturnType<typeof orgkit.as>) => Promise<unknown>) => {
    try {
      const value = await body(orgkit.as(await actorOf(caller)))
      return { ok: true, value } as Outcome
    } catch (error) {
      if (isOrgkitError(error)) return { ok: false, code: error.code, message: error.message } as Outcome
      throw error
    }
  }
  return {
    createOrganization: (c, name) => call(c, (k) => k.organizations.create({ name })),
    deleteOrganization: (c, org) => call(c, (k) => k.organizations.delete(org)),
    addMember: (c, org, user, role) => call(c, (k) => k.members.add(org, { ...user, role })),
    updateMember: (c, org, userId, role) => call(c, (k) => k.members.update(org, userId, { role })),
    removeMember: (c, org, userId) => call(c, (k) => k.members.remove(org, userId)),
    leave: (c, org) => call(c, (k) => k.organizations.leave(org)),
    transferOwnership: (c, org, userId) => call(c, (k) => k.organizations.transferOwnership(org, { userId })),
    createInvitation: (c, org, email, role, teamIds) =>
      call(c, (k) => k.invitations.create(org, { email, role, ...(teamIds.length > 0 ? { teamIds } : {}) })),
    acceptInvitation: (c, ref) => call(c, (k) => k.invitations.accept(respondInput(ref))),
    declineInvitation: (c, ref) => call(c, (k) => k.invitations.decline(respondInput(ref))),
    revokeInvitation: (c, org, id) => call(c, (k) => k.invitations.revoke(org, id)),
    resendInvitation: (c, org, id) => call(c, (k) => k.invitations.resend(org, id)),
    createTeam: (c, org, name) => call(c, (k) => k.teams.create(org, { name })),
    deleteTeam: (c, org, team) => call(c, (k) => k.teams.delete(org, team)),
    addTeamMember: (c, org, team, userId, role) => call(c, (k) => k.teams.members.add(org, team, { userId, role })),
    updateTeamMember: (c, org, team, userId, role) =>
      call(c, (k) => k.teams.members.update(org, team, userId, { role })),
    removeTeamMember: (c, org, team, userId) => call(c, (k) => k.teams.members.remove(org, team, userId)),
    createRole: (c, org, key, permissions) => call(c, (k) => k.roles.create(org, { key, name: key, permissions })),
    updateRole: (c, org, key, permissions) => call(c, (k) => k.roles.update(org, key, { permissions })),
    deleteRole: (c, org, key, reassignTo) =>
      call(c, (k) => k.roles.delete(org, key, reassignTo === undefined ? {} : { reassignTo })),
    createApiKey: (c, org, grant) => call(c, (k) => k.apiKeys.create(org, { name: 'model key', ...grant })),
    revokeApiKey: (c, org, id) => call(c, (k) => k.apiKeys.revoke(org, id)),
    permissions: (c, org) => call(c, (k) => k.organizations.permissions(org)),
    can: (c, org, permission, teamId) => call(c, (k) => k.can(org, permission, teamId === undefined ? {} : { teamId })),
    listInvitations: (c, org, status) =>
      call(c, (k) => k.invitations.list(org, only({ status: status as 'pending' | undefined, limit: 100 }))),
    myInvitations: (c) => call(c, (k) => k.invitations.mine({ limit: 100 })),
    previewInvitation: (c, token) => call(c, (k) => k.invitations.preview({ token })),
    bulkInvite: (c, org, items) => call(c, (k) => k.invitations.bulkCreate(org, { invitations: items })),
    addDomain: (c, org, domain) => call(c, (k) => k.domains.add(org, { domain })),
    verifyDomain: (c, org, domain) => call(c, (k) => k.domains.verify(org, domain)),
    updateDomain: (c, org, domain, patch) => call(c, (k) => k.domains.update(org, domain, patch)),
    removeDomain: (c, org, domain) => call(c, (k) => k.domains.remove(org, domain)),
    discoverable: (c) => call(c, (k) => k.joinRequests.discoverable()),
    join: (c, org) => call(c, (k) => k.joinRequests.join(org)),
    listJoinRequests: (c, org, status) =>
      call(c, (k) => k.joinRequests.list(org, only({ status: status as 'pending' | undefined, limit: 100 }))),
    approveJoinRequest: (c, org, id, role) => call(c, (k) => k.joinRequests.approve(org, id, only({ role }))),
    denyJoinRequest: (c, org, id) => call(c, (k) => k.joinRequests.deny(org, id)),
    withdrawJoinRequest: (c, id) => call(c, (k) => k.joinRequests.withdraw(id)),
    myJoinRequests: (c) => call(c, (k) => k.joinRequests.mine({ limit: 100 })),
    createLink: (c, org, input) => call(c, (k) => k.invitationLinks.create(org, input)),
    revokeLink: (c, org, id) => call(c, (k) => k.invitationLinks.revoke(org, id)),
  }
}

function respondInput(ref: RespondRef): { token: string } | { id: string } {
  if (ref.token !== undefined) return { token: ref.token }
  return { id: ref.id ?? '' }
}

/** Through HTTP: 2xx is success, anything else must carry orgkit's error body. A 500 fails the test. */
export function httpDriver(app: TestApp): Driver {
  const send = async (caller: Caller, method: string, path: string, body?: unknown): Promise<Outcome> => {
    const response: TestResponse = await app.request(method, path, {
      ...(caller.kind === 'user' ? { as: caller.userId } : { apiKey: caller.secret }),
      ...(body === undefined ? {} : { body }),
    })
    if (response.status >= 200 && response.status < 300) {
      // `join` says what it did by its status alone: 201 a membership, 202 a join request.
      if (path.endsWith('/join')) {
        return { ok: true, value: response.status === 201 ? { joined: response.body } : { requested: response.body } }
      }
      return { ok: true, value: response.body }
    }
    const error = response.body?.error
    if (response.status >= 500 || typeof error?.code !== 'string') {
      throw new Error(`${method} ${path} answered ${response.status} ${JSON.stringify(response.body)}`)
    }
    return { ok: false, code: error.code, message: String(error.message) }
  }
  const o = (org: string) => `/organizations/${encodeURIComponent(org)}`
  const e = encodeURIComponent
  return {
    createOrganization: (c, name) => send(c, 'POST', '/organizations', { name }),
    deleteOrganization: (c, org) => send(c, 'DELETE', o(org)),
    addMember: (c, org, user, role) => send(c, 'POST', `${o(org)}/members`, { ...user, role }),
    updateMember: (c, org, userId, role) => send(c, 'PATCH', `${o(org)}/members/${e(userId)}`, { role }),
    removeMember: (c, org, userId) => send(c, 'DELETE', `${o(org)}/members/${e(userId)}`),
    leave: (c, org) => send(c, 'POST', `${o(org)}/leave`),
    transferOwnership: (c, org, userId) => send(c, 'POST', `${o(org)}/transfer-ownership`, { userId }),
    createInvitation: (c, org, email, role, teamIds) =>
      send(c, 'POST', `${o(org)}/invitations`, { email, role, ...(teamIds.length > 0 ? { teamIds } : {}) }),
    acceptInvitation: (c, ref) => send(c, 'POST', '/invitations/accept', respondInput(ref)),
    declineInvitation: (c, ref) => send(c, 'POST', '/invitations/decline', respondInput(ref)),
    revokeInvitation: (c, org, id) => send(c, 'DELETE', `${o(org)}/invitations/${e(id)}`),
    resendInvitation: (c, org, id) => send(c, 'POST', `${o(org)}/invitations/${e(id)}/resend`),
    createTeam: (c, org, name) => send(c, 'POST', `${o(org)}/teams`, { name }),
    deleteTeam: (c, org, team) => send(c, 'DELETE', `${o(org)}/teams/${e(team)}`),
    addTeamMember: (c, org, team, userId, role) =>
      send(c, 'POST', `${o(org)}/teams/${e(team)}/members`, { userId, role }),
    updateTeamMember: (c, org, team, userId, role) =>
      send(c, 'PATCH', `${o(org)}/teams/${e(team)}/members/${e(userId)}`, { role }),
    removeTeamMember: (c, org, team, userId) => send(c, 'DELETE', `${o(org)}/teams/${e(team)}/members/${e(userId)}`),
    createRole: (c, org, key, permissions) => send(c, 'POST', `${o(org)}/roles`, { key, name: key, permissions }),
    updateRole: (c, org, key, permissions) => send(c, 'PATCH', `${o(org)}/roles/${e(key)}`, { permissions }),
    deleteRole: (c, org, key, reassignTo) =>
      send(c, 'DELETE', `${o(org)}/roles/${e(key)}${reassignTo === undefined ? '' : `?reassignTo=${e(reassignTo)}`}`),
    createApiKey: (c, org, grant) => send(c, 'POST', `${o(org)}/api-keys`, { name: 'model key', ...grant }),
    revokeApiKey: (c, org, id) => send(c, 'DELETE', `${o(org)}/api-keys/${e(id)}`),
    permissions: (c, org) => send(c, 'GET', `${o(org)}/permissions`),
    listInvitations: (c, org, status) => send(c, 'GET', `${o(org)}/invitations${query({ status, limit: '100' })}`),
    myInvitations: (c) => send(c, 'GET', '/invitations?limit=100'),
    previewInvitation: (c, token) => send(c, 'POST', '/invitations/preview', { token }),
    bulkInvite: async (c, org, items) => {
      const answer = await send(c, 'POST', `${o(org)}/invitations/bulk`, { invitations: items })
      return answer.ok ? { ok: true, value: (answer.value as { data: unknown }).data } : answer
    },
    addDomain: (c, org, domain) => send(c, 'POST', `${o(org)}/domains`, { domain }),
    verifyDomain: (c, org, domain) => send(c, 'POST', `${o(org)}/domains/${e(domain)}/verify`),
    updateDomain: (c, org, domain, patch) => send(c, 'PATCH', `${o(org)}/domains/${e(domain)}`, patch),
    removeDomain: (c, org, domain) => send(c, 'DELETE', `${o(org)}/domains/${e(domain)}`),
    discoverable: (c) => send(c, 'GET', '/organizations/discoverable'),
    join: (c, org) => send(c, 'POST', `${o(org)}/join`),
    listJoinRequests: (c, org, status) => send(c, 'GET', `${o(org)}/join-requests${query({ status, limit: '100' })}`),
    approveJoinRequest: (c, org, id, role) =>
      send(c, 'POST', `${o(org)}/join-requests/${e(id)}/approve`, only({ role })),
    denyJoinRequest: (c, org, id) => send(c, 'POST', `${o(org)}/join-requests/${e(id)}/deny`),
    withdrawJoinRequest: (c, id) => send(c, 'DELETE', `/join-requests/${e(id)}`),
    myJoinRequests: (c) => send(c, 'GET', '/join-requests?limit=100'),
    createLink: (c, org, input) => send(c, 'POST', `${o(org)}/invitation-links`, input),
    revokeLink: (c, org, id) => send(c, 'DELETE', `${o(org)}/invitation-links/${e(id)}`),
  }
}
