/**
 * The reference model: what orgkit's state is, written as plainly as possible, and what
 * each operation should answer. It knows nothing of transactions, storage or HTTP; it
 * applies SPEC §2's rules directly ("the actor holds every permission of the role it
 * grants", "only an owner makes an owner", "never zero owners", "an invitation is accepted
 * once, by its addressee"), so that a disagreement with the real system is a finding.
 */

/** orgkit's own permissions and the two the test host declares. */
export const PERMISSIONS = [
  'organization.update',
  'organization.delete',
  'members.read',
  'members.add',
  'members.update',
  'members.remove',
  'invitations.read',
  'invitations.create',
  'invitations.revoke',
  'roles.read',
  'roles.create',
  'roles.update',
  'roles.delete',
  'teams.read',
  'teams.create',
  'teams.update',
  'teams.delete',
  'apikeys.read',
  'apikeys.create',
  'apikeys.revoke',
  'audit.read',
  'domains.read',
  'domains.manage',
  'projects.read',
  'projects.update',
] as const

/** The permissions the test host adds to orgkit's (`createOrgkit({ permissions })`). */
export const HOST_PERMISSIONS = ['projects.read', 'projects.update']

export type Permission = string
export type PermissionSet = ReadonlySet<Permission>

/** A grant as written (`x.*`, `*`, or a permission), resolved to the declared permissions it matches. */
export function expand(grants: readonly string[]): Set<Permission> {
  const out = new Set<Permission>()
  for (const grant of grants) {
    for (const permission of PERMISSIONS) {
      if (
        grant === '*' ||
        grant === permission ||
        (grant.endsWith('.*') && permission.startsWith(grant.slice(0, -1)))
      ) {
        out.add(permission)
      }
    }
  }
  return out
}

export const OWNER = 'owner'

/** The default system roles (SPEC §2): owner `*`, admin all but deleting, member reads. */
export const SYSTEM_ROLES: ReadonlyMap<string, PermissionSet> = new Map([
  ['owner', expand(['*'])],
  ['admin', new Set(PERMISSIONS.filter((p) => p !== 'organization.delete'))],
  ['member', expand(['members.read', 'teams.read', 'roles.read'])],
])

/** The default team roles. */
export const TEAM_ROLES: ReadonlyMap<string, PermissionSet> = new Map([
  ['lead', expand(['teams.read', 'teams.update'])],
  ['member', expand(['teams.read'])],
])

export interface ModelUser {
  id: string
  email: string
  /** What adding a member by username names. */
  username: string
  /** Whether the host reports the email verified (`emailVerified` on the actor). */
  verified: boolean
}

/** The part of an address after its `@`. */
export const emailDomainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1)

export interface ModelOrg {
  id: string
  slug: string
  /** userId → role key */
  members: Map<string, string>
  /** Custom roles: key → permissions (wildcards resolved). A system key here shadows the system role. */
  custom: Map<string, Set<Permission>>
}

export interface ModelTeam {
  id: string
  orgId: string
  /** userId → team role */
  members: Map<string, string>
}

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired'

/** How long an invitation lives from its creation or its last resend (the default, 7 days). */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000

/** The time every sequence and the system under test share: moved only by the sequence's commands. */
export interface ModelClock {
  now: number
}

export interface ModelInvitation {
  id: string
  token: string
  orgId: string
  email: string
  role: string
  teamIds: string[]
  invitedBy: string
  /** As stored: `expired` only once something marked it; a `pending` one may be past its date. */
  status: InvitationStatus
  expiresAt: number
}

/**
 * Past its date: marked so, or still stored `pending` with `expiresAt` reached (an invitation
 * expires at the instant `expiresAt`, not after it).
 */
export function invitationExpired(model: Model, invitation: ModelInvitation): boolean {
  return invitation.status === 'expired' || (invitation.status === 'pending' && invitation.expiresAt <= model.clock.now)
}

export type EnrollmentMode = 'none' | 'suggest' | 'auto'

export interface ModelDomain {
  orgId: string
  /** Normalized: lower case, no trailing dot. */
  name: string
  status: 'pending' | 'verified'
  enrollment: EnrollmentMode
  role: string
  /** The TXT record to publish, as the claim answered it. */
  record: { name: string; value: string }
}

export type JoinRequestStatus = 'pending' | 'approved' | 'denied' | 'withdrawn'

export interface ModelJoinRequest {
  id: string
  orgId: string
  userId: string
  /** The requester's email domain, through which they asked. */
  domain: string
  status: JoinRequestStatus
}

export interface ModelLink {
  id: string
  token: string
  orgId: string
  role: string
  createdBy: string
  expiresAt: number | null
  maxUses: number | null
  uses: number
  domain: string | null
  revoked: boolean
}

export interface ModelKey {
  id: string
  secret: string
  orgId: string
  createdBy: string
  /** The role key the key holds, or `null` for an explicit list. */
  role: string | null
  /** The explicit list, resolved when the key was made. */
  permissions: Set<Permission>
  revoked: boolean
}

export interface Model {
  /** Unique per sequence: the names of its users and organizations. */
  namespace: string
  users: ModelUser[]
  /** An address no user has: invitations to a stranger. */
  strangerEmail: string
  orgs: ModelOrg[]
  teams: ModelTeam[]
  invitations: ModelInvitation[]
  keys: ModelKey[]
  /** The clock the system reads (`createOrgkit({ clock })`), moved by the sequence. */
  clock: ModelClock
  /** The DNS the system's resolver answers from: TXT values by name. */
  dns: Map<string, string[]>
  /** Two claimable domains of the sequence's own; users u3, u5, u6 and u7 have addresses on the first, u4 on the second. */
  domainNames: [string, string]
  domains: ModelDomain[]
  joinRequests: ModelJoinRequest[]
  links: ModelLink[]
  /** What deleting organizations took away: each id must answer `not_found`, each key secret `unauthenticated`. */
  deleted: { orgIds: string[]; keySecrets: string[] }
}

/** Who calls: a user, or an API key presented as its secret. */
export type ModelActor = { kind: 'user'; user: ModelUser } | { kind: 'key'; key: ModelKey }

export type ErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'email_mismatch'
  | 'not_found'
  | 'conflict'
  | 'last_owner'
  | 'invitation_used'
  | 'invitation_revoked'
  | 'invitation_expired'
  | 'email_unverified'
  | 'domain_unverified'
  | 'link_exhausted'
  | 'link_expired'
  | 'link_revoked'

/** What the model says an operation answers: success, or one of a few error codes. */
export type Expected = { ok: true } | { ok: false; codes: ErrorCode[] }

export const OK: Expected = { ok: true }
export const fail = (...codes: ErrorCode[]): Expected => ({ ok: false, codes })

/** Thrown inside a decision to stop at the first refusal, as the services do. */
class Refusal {
  constructor(readonly expected: Expected) {}
}
const refuse = (...codes: ErrorCode[]): never => {
  throw new Refusal(fail(...codes))
}

/** Runs a decision written with `refuse`: the first refusal wins, else success. */
export function decide(body: () => void): Expected {
  try {
    body()
    return OK
  } catch (error) {
    if (error instanceof Refusal) return error.expected
    throw error
  }
}

// ── Roles ───────────────────────────────────────────────────────────────────────────

/** A role key in an organization: its custom role, else the system role, else nothing. */
export function roleExists(org: ModelOrg, key: string): boolean {
  return org.custom.has(key) || SYSTEM_ROLES.has(key)
}

export function rolePermissions(org: ModelOrg, key: string): PermissionSet {
  return org.custom.get(key) ?? SYSTEM_ROLES.get(key) ?? new Set()
}

export function ownerCount(org: ModelOrg): number {
  return [...org.members.values()].filter((role) => role === OWNER).length
}

export function orgOf(model: Model, id: string): ModelOrg {
  const org = model.orgs.find((o) => o.id === id)
  if (!org) throw new Error(`model: no organization ${id}`)
  return org
}

/** What a key holds now: its role (as the organization defines it now) or its list, cut to its creator's role. */
export function keyPermissions(model: Model, key: ModelKey): Set<Permission> | null {
  const org = orgOf(model, key.orgId)
  const creatorRole = org.members.get(key.createdBy)
  if (key.revoked || creatorRole === undefined) return null
  const granted = key.role === null ? key.permissions : rolePermissions(org, key.role)
  const ceiling = rolePermissions(org, creatorRole)
  return new Set([...granted].filter((p) => ceiling.has(p)))
}

/** A user's permissions in an organization; `null` for a non-member. */
export function userPermissions(org: ModelOrg, userId: string): PermissionSet | null {
  const role = org.members.get(userId)
  return role === undefined ? null : rolePermissions(org, role)
}

// ── Who the actor is in an organization ────────────────────────────────────────────

export interface Access {
  org: ModelOrg
  /** The calling user (for a key: none; keys are not members). */
  userId: string | null
  isOwner: boolean
  orgPermissions: PermissionSet
  teamPermissions: PermissionSet
}

export function holds(access: Access, permission: Permission): boolean {
  return access.orgPermissions.has(permission) || access.teamPermissions.has(permission)
}

/** Refuses an invalid key before anything else: the request never gets an actor. */
export function authenticate(model: Model, actor: ModelActor): void {
  if (actor.kind === 'key' && keyPermissions(model, actor.key) === null) refuse('unauthenticated')
}

/** Only a signed-in user creates, leaves, transfers and answers invitations. */
export function requireUser(model: Model, actor: ModelActor): ModelUser {
  authenticate(model, actor)
  if (actor.kind !== 'user') return refuse('forbidden')
  return actor.user
}

/**
 * SPEC §2 rule 1 and the permission check: an organization the actor is not in is
 * `not_found`; a team of another organization too; a member without the permission is
 * `forbidden`.
 */
export function authorize(
  model: Model,
  actor: ModelActor,
  org: ModelOrg,
  requirement: Permission | 'member' | 'owner',
  team?: ModelTeam,
): Access {
  authenticate(model, actor)
  let access: Access
  if (actor.kind === 'key') {
    if (actor.key.orgId !== org.id) refuse('not_found')
    if (requirement === 'owner') refuse('forbidden')
    access = {
      org,
      userId: null,
      isOwner: false,
      orgPermissions: keyPermissions(model, actor.key) ?? new Set(),
      teamPermissions: new Set(),
    }
    if (team && team.orgId !== org.id) refuse('not_found')
  } else {
    const role = org.members.get(actor.user.id)
    if (role === undefined) return refuse('not_found')
    if (team && team.orgId !== org.id) refuse('not_found')
    const teamRole = team?.members.get(actor.user.id)
    access = {
      org,
      userId: actor.user.id,
      isOwner: role === OWNER,
      orgPermissions: rolePermissions(org, role),
      teamPermissions: teamRole === undefined ? new Set() : (TEAM_ROLES.get(teamRole) ?? new Set()),
    }
    if (requirement === 'owner' && role !== OWNER) refuse('forbidden')
  }
  if (requirement !== 'member' && requirement !== 'owner' && !holds(access, requirement)) refuse('forbidden')
  return access
}

/** SPEC §2 rule 2: grant only what you hold; only an owner makes (or touches) an owner. */
export function mayGrant(access: Access, roleKey: string | null, permissions: PermissionSet): void {
  if (roleKey === OWNER && !access.isOwner) refuse('forbidden')
  for (const permission of permissions) if (!holds(access, permission)) refuse('forbidden')
}

/** A role key to assign: unknown keys are a 400. */
export function assignable(org: ModelOrg, key: string): PermissionSet {
  if (!roleExists(org, key)) refuse('validation_failed')
  return rolePermissions(org, key)
}

/** SPEC §2 rule 3: taking the owner role from the last owner is refused. */
export function ownerRemains(org: ModelOrg, currentRole: string): void {
  if (currentRole === OWNER && ownerCount(org) <= 1) refuse('last_owner')
}

export { refuse }

// ── Changes the operations make ────────────────────────────────────────────────────

/** A member leaves or is removed: their team memberships go, their keys are revoked. */
export function dropMember(model: Model, org: ModelOrg, userId: string): void {
  org.members.delete(userId)
  for (const team of model.teams) if (team.orgId === org.id) team.members.delete(userId)
  for (const key of model.keys) if (key.orgId === org.id && key.createdBy === userId) key.revoked = true
}

/** Whether the permission holds for `can(org, permission, { teamId })`. */
export function modelCan(
  model: Model,
  actor: ModelActor,
  org: ModelOrg,
  permission: Permission,
  team: ModelTeam | undefined,
): boolean {
  const decision = decide(() => {
    authorize(model, actor, org, permission, team)
  })
  return decision.ok
}
