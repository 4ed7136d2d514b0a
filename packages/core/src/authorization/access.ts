import { notFound, OrgkitError } from '../shared/errors'
import { hasIdPrefix } from '../shared/ids'
import type {
  Actor,
  ApiKeyActor,
  MemberRecord,
  OrganizationRecord,
  TeamMemberRecord,
  TeamRecord,
  UserActor,
} from '../shared/types'
import type { Repositories, TransactionRepositories } from '../storage/port'
import type { CompiledRole, PermissionEngine } from './engine'
import { OWNER_ROLE } from './permissions'
import type { RoleResolver, RoleSet } from './resolver'

/** What authorizing needs of the instance: the engine, each organization's roles and the team roles. */
export interface AuthorizationContext {
  engine: PermissionEngine
  /** Each organization's compiled roles (system roles with its custom roles over them). */
  roles: RoleResolver
  /** The configured team roles, compiled. */
  teamRoles: ReadonlyMap<string, CompiledRole>
}

/** Who the actor is inside one organization. */
export interface Access {
  organization: OrganizationRecord
  /** The organization's roles: its custom roles over the system roles. */
  roles: RoleSet
  /** The actor's membership; `null` for API keys, the system actor, platform staff and public viewers. */
  member: MemberRecord | null
  /** Where the actor's permissions come from; `null` for the system actor, who holds everything. */
  role: CompiledRole | null
  /** A non-member reading a public organization: sees public fields only. */
  publicView: boolean
  /** With `team`: the team the request is about. */
  team: TeamRecord | null
  /** With `team`: the actor's membership of that team, and its team role. */
  teamMember: TeamMemberRecord | null
  teamRole: CompiledRole | null
}

/** The actor as a signed-in user: what only a person can do (create, leave, accept). */
export function requireUser(actor: Actor, what: string): UserActor {
  if (actor.type !== 'user') throw new OrgkitError('forbidden', `Only a signed-in user can ${what}.`)
  return actor
}

/**
 * What a caller must be for an operation:
 * - a permission string: a member (or API key) whose role holds it — or, with `team`, whose
 *   role in that team holds it;
 * - `member`: any member of the organization, or an API key of it;
 * - `read`: a member, or anyone when the organization is public;
 * - `owner`: a user whose membership role is `owner`.
 */
export type Requirement = string | 'member' | 'read' | 'owner'

export interface AuthorizeOptions {
  /**
   * The team (slug or `team_…` id) the operation is about: resolved in the organization
   * (404 when it is not one of its teams), and the actor's team role counts for the check.
   */
  team?: string | undefined
}

/** Platform staff (`platformRole: 'superadmin'`) may read, update and delete any organization. */
const PLATFORM_REQUIREMENTS = new Set(['read', 'organization.update', 'organization.delete'])

/** `slug`, `org_…` id, or `me`. `null` when nothing matches. */
export async function findOrganization(
  repos: Repositories,
  actor: Actor,
  ref: string,
): Promise<OrganizationRecord | null> {
  const key = organizationKey(actor, ref)
  if (key === null) return null
  return 'id' in key ? repos.organizations.findById(key.id) : repos.organizations.findBySlug(key.slug)
}

/**
 * The organization an API key's authentication read, for the one HTTP request that
 * authenticated it: that request's first non-locking authorization takes it from here
 * instead of reading it again, and it is gone after that. A locking read (a mutation)
 * always reads the row itself.
 */
const authenticatedOrganizations = new WeakMap<ApiKeyActor, OrganizationRecord>()

export function rememberAuthenticatedOrganization(actor: ApiKeyActor, organization: OrganizationRecord): void {
  authenticatedOrganizations.set(actor, organization)
}

/** The remembered organization, when `ref` names it; taken, so it serves one authorization. */
function takeAuthenticatedOrganization(actor: ApiKeyActor, ref: string): OrganizationRecord | null {
  const organization = authenticatedOrganizations.get(actor)
  if (organization === undefined) return null
  authenticatedOrganizations.delete(actor)
  const key = organizationKey(actor, ref)
  if (key === null) return null
  return ('id' in key ? key.id === organization.id : key.slug === organization.slug) ? organization : null
}

/** How `ref` names an organization: `me` (the actor's current one), an `org_…` id, or a slug. */
function organizationKey(actor: Actor, ref: string): { id: string } | { slug: string } | null {
  if (ref === 'me') {
    const id = actor.type === 'system' ? undefined : actor.organizationId
    return id ? { id } : null
  }
  // An id can never be a slug: slugs have no underscore.
  return hasIdPrefix(ref, 'organization') ? { id: ref } : { slug: ref.toLowerCase() }
}

/** A team of the organization by slug or id; `null` when it has none such. */
export function findTeam(repos: Repositories, organizationId: string, ref: string): Promise<TeamRecord | null> {
  // Slugs are stored lower-case; lower-casing here answers alike on every dialect's collation.
  return hasIdPrefix(ref, 'team')
    ? repos.teams.find(organizationId, ref)
    : repos.teams.findBySlug(organizationId, ref.toLowerCase())
}

/**
 * Resolves `ref` for `actor` and checks `requirement`, following the rules of SPEC §2:
 * an organization the actor may not see answers exactly as a nonexistent one
 * (`not_found`); a member lacking the permission gets `forbidden`. Roles are resolved in
 * the organization (its custom roles shadow system roles).
 */
export function authorize(
  ctx: AuthorizationContext,
  repos: Repositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  requirement: Requirement,
  options: AuthorizeOptions = {},
): Promise<Access> {
  return check(ctx, repos, actor, ref, requirement, options, null)
}

/**
 * `authorize` for a mutation: the organization's row is locked first. Mutations that could
 * leave the organization without an owner, or that check a limit, take this lock as the
 * first read of their transaction: on MySQL's REPEATABLE READ the snapshot of later plain
 * reads is then taken after the lock is granted, so they see every change committed by the
 * transaction that held the lock before.
 */
export function authorizeForUpdate(
  ctx: AuthorizationContext,
  tx: TransactionRepositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  requirement: Requirement,
  options: AuthorizeOptions = {},
): Promise<Access> {
  return check(ctx, tx, actor, ref, requirement, options, tx)
}

async function check(
  ctx: AuthorizationContext,
  repos: Repositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  requirement: Requirement,
  options: AuthorizeOptions,
  lockWith: TransactionRepositories | null,
): Promise<Access> {
  const permission = requirement !== 'member' && requirement !== 'read' && requirement !== 'owner'
  // Checking an undeclared permission is a programming error, whoever asks.
  if (permission) ctx.engine.assertDeclared(requirement)
  let organization: OrganizationRecord | null
  /** `undefined` until read: a user's membership comes with the organization when nothing is locked. */
  let member: MemberRecord | null | undefined
  if (lockWith !== null) {
    // Locking reads the row: nothing else of the organization is read before the lock.
    const key = typeof ref === 'string' ? organizationKey(actor, ref) : { id: ref.id }
    const id = key === null ? null : 'id' in key ? key.id : await repos.organizations.findIdBySlug(key.slug)
    if (id !== null && actor.type === 'user') {
      // The membership comes with the lock, read after it is granted: the committed one.
      const found = await lockWith.organizations.lockWithMember(id, actor.userId)
      organization = found?.organization ?? null
      member = found?.member ?? null
    } else organization = id === null ? null : await lockWith.organizations.lock(id)
  } else if (typeof ref !== 'string') organization = ref
  else if (actor.type === 'user') {
    const key = organizationKey(actor, ref)
    const found = key === null ? null : await repos.organizations.findWithMember(key, actor.userId)
    organization = found?.organization ?? null
    member = found?.member ?? null
  } else if (actor.type === 'apiKey') {
    organization = takeAuthenticatedOrganization(actor, ref) ?? (await findOrganization(repos, actor, ref))
  } else organization = await findOrganization(repos, actor, ref)
  if (!organization) throw notFound('Organization not found.')
  const roles = await ctx.roles.forOrganization(repos, organization)
  const access: Access = {
    organization,
    roles,
    member: null,
    role: null,
    publicView: false,
    team: null,
    teamMember: null,
    teamRole: null,
  }

  if (actor.type === 'system') return withTeam(ctx, repos, access, options)

  if (actor.type === 'apiKey') {
    if (actor.organizationId !== organization.id) throw notFound('Organization not found.')
    access.role = apiKeyRole(ctx, actor)
    if (requirement === 'owner') throw new OrgkitError('forbidden', 'Only an owner can do this.')
    await withTeam(ctx, repos, access, options)
    if (permission && !access.role.has(requirement)) {
      throw new OrgkitError('forbidden', `This API key does not have the ${requirement} permission.`)
    }
    return access
  }

  if (member === undefined) member = await repos.members.find(organization.id, actor.userId)
  if (!member) {
    if (actor.platformRole === 'superadmin' && PLATFORM_REQUIREMENTS.has(requirement)) {
      return { ...access, role: roles.get(OWNER_ROLE)! }
    }
    if (organization.visibility === 'public') {
      if (requirement === 'read') return { ...access, publicView: true }
      throw new OrgkitError('forbidden', 'Only members of this organization can do this.')
    }
    throw notFound('Organization not found.')
  }
  access.member = member
  access.role = roleIn(roles, member.role)
  await withTeam(ctx, repos, access, options)
  if (requirement === 'owner') {
    if (member.role !== OWNER_ROLE) throw new OrgkitError('forbidden', 'Only an owner can do this.')
  } else if (permission && !holds(access, requirement)) {
    throw new OrgkitError('forbidden', `Your role does not have the ${requirement} permission.`)
  }
  return access
}

/** With a `team` option: the team (404 when the organization has none such) and the actor's role in it. */
async function withTeam(
  ctx: AuthorizationContext,
  repos: Repositories,
  access: Access,
  options: AuthorizeOptions,
): Promise<Access> {
  if (options.team === undefined) return access
  const team = await findTeam(repos, access.organization.id, options.team)
  if (!team) throw notFound('Team not found.')
  access.team = team
  if (access.member) {
    access.teamMember = await repos.teamMembers.find(access.organization.id, team.id, access.member.userId)
    access.teamRole = access.teamMember ? (ctx.teamRoles.get(access.teamMember.role) ?? null) : null
  }
  return access
}

/**
 * Whether the actor holds `permission` here: through its organization role, or, when the
 * access is about a team, through its role in that team.
 */
export function holds(access: Access, permission: string): boolean {
  if (access.role === null && access.member === null && !access.publicView) return true // the system actor
  if (access.role?.has(permission)) return true
  return access.teamRole?.has(permission) ?? false
}

/**
 * A stored role key compiled to its permissions in the organization. A key that is no
 * longer a role there (the host removed it from the configuration) holds nothing rather
 * than failing every request.
 */
export function roleIn(roles: RoleSet, key: string): CompiledRole {
  return roles.get(key) ?? EMPTY_ROLES.get(key) ?? emptyRole(key)
}

const EMPTY_ROLES = new Map<string, CompiledRole>()
function emptyRole(key: string): CompiledRole {
  const role: CompiledRole = {
    key,
    name: key,
    description: null,
    system: false,
    grants: [],
    permissions: [],
    has: () => false,
    includes: (other) => other.permissions.length === 0,
    missing: (other) => [...other.permissions],
    explain: (permission) => ({ allowed: false, permission, role: key, reason: `"${key}" is not a role here` }),
  }
  if (EMPTY_ROLES.size < 100) EMPTY_ROLES.set(key, role)
  return role
}

/** The role `key` of the organization, for assigning it; a 400 when there is none such. */
export function assignableRole(roles: RoleSet, key: string): CompiledRole {
  const role = roles.get(key)
  if (!role) {
    throw new OrgkitError('validation_failed', `There is no role "${key}".`, {
      details: [{ path: 'role', message: `Unknown role "${key}"` }],
    })
  }
  return role
}

const apiKeyRoles = new WeakMap<ApiKeyActor, CompiledRole>()

/** An API key's permissions, compiled once per authenticated actor. */
export function apiKeyRole(ctx: AuthorizationContext, actor: ApiKeyActor): CompiledRole {
  let role = apiKeyRoles.get(actor)
  if (!role) {
    role = ctx.engine.compile(actor.permissions, { key: actor.role ?? 'api-key' })
    apiKeyRoles.set(actor, role)
  }
  return role
}

/**
 * Rule 2 of SPEC §2 (no escalation): an actor grants only permissions it holds, changes or
 * removes only members whose role's permissions it holds, and only an owner makes or
 * touches an owner.
 */
export function assertMayGrant(access: Access, role: CompiledRole, verb = 'grant'): void {
  if (!access.role) return // the system actor
  if (role.key === OWNER_ROLE && access.member?.role !== OWNER_ROLE) {
    throw new OrgkitError('forbidden', `Only an owner can ${verb} the owner role.`)
  }
  assertHoldsAll(access, role.permissions, `${verb} the ${role.key} role`)
}

/** Refuses unless the actor holds every one of `permissions` (through its organization or team role). */
export function assertHoldsAll(access: Access, permissions: readonly string[], what: string): void {
  if (!access.role) return // the system actor
  const missing = permissions.filter((permission) => !holds(access, permission))
  if (missing.length > 0) {
    throw new OrgkitError(
      'forbidden',
      `You cannot ${what}: it holds permissions you do not have (${missing.slice(0, 5).join(', ')}).`,
    )
  }
}
