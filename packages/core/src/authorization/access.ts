import { notFound, OrgkitError } from '../shared/errors'
import { hasIdPrefix } from '../shared/ids'
import type { Page } from '../shared/pagination'
import type {
  Actor,
  ApiKeyActor,
  MemberRecord,
  MemberWithUser,
  OrganizationRecord,
  TeamMemberRecord,
  TeamMemberWithUser,
  TeamRecord,
  UserActor,
  UserSummary,
} from '../shared/types'
import { readOrganizationPage } from '../storage/pages'
import type {
  OrganizationPageKind,
  OrganizationPageRead,
  OrganizationPages,
  Repositories,
  TeamRead,
  TransactionRepositories,
} from '../storage/port'
import type { CompiledRole, PermissionEngine } from './engine'
import { OWNER_ROLE } from './permissions'
import type { OrganizationRequirement } from './requirement'
import type { RoleResolver, RoleSet } from './resolver'

/** What authorizing needs of the instance: the engine, each organization's roles and the team roles. */
export interface AuthorizationContext {
  engine: PermissionEngine
  /** Each organization's compiled roles (system roles with its custom roles over them). */
  roles: RoleResolver
  /** The configured team roles, compiled. */
  teamRoles: ReadonlyMap<string, CompiledRole>
  /**
   * An organization the caller already read: authenticating an API key reads the key's
   * organization, and a client made with it (`orgkit.as(actor, { organization })`) hands it
   * here. The client's first non-locking authorization of an API key that names it uses it
   * instead of reading it again, and clears it, so that a client kept for long does not keep
   * a stale copy. A locking read (a mutation) always reads the row itself.
   */
  preread?: { organization: OrganizationRecord | null } | undefined
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
  /**
   * With `readUser`: the host's user read with the organization (`null`: no such user), or
   * `undefined` when the storage did not read it there.
   */
  user?: UserSummary | null
  /**
   * With `readMember`: that member with their user, read with the lock as committed when it
   * was granted (`null`: not a member), or `undefined` when the lock was taken without it
   * (an actor other than a user): the caller reads it, after the lock.
   */
  target?: MemberWithUser | null
  /**
   * With `readTeam`: what was read with the team (a members page, or one member: `null`
   * when not in the team), or `undefined` when the storage did not read it there.
   */
  teamRead?: { page?: Page<TeamMemberWithUser> | null | undefined; target?: TeamMemberWithUser | null | undefined }
}

/** The actor as a signed-in user: what only a person can do (create, leave, accept). */
export function requireUser(actor: Actor, what: string): UserActor {
  if (actor.type !== 'user') throw new OrgkitError('forbidden', `Only a signed-in user can ${what}.`)
  return actor
}

export interface AuthorizeOptions {
  /**
   * The team (slug or `team_…` id) the operation is about: resolved in the organization
   * (404 when it is not one of its teams). The actor's team role counts for a requirement
   * declared with `team` (`requires.permissionInTeam`).
   */
  team?: string | undefined
  /**
   * A host user the operation is about (adding a member), read with the organization (with
   * the lock, when locking) when the storage can (`Access.user`).
   */
  readUser?: string | undefined
  /**
   * Not locking, with `ref` an organization already read: the user actor's membership of it,
   * read in the same statement (`null`: not a member), so that it is not read again.
   */
  member?: MemberRecord | null | undefined
  /**
   * Locking only: the user id of the member the operation is about (a role change, a
   * removal, an ownership transfer), read with the lock, as committed when it is granted
   * (`Access.target`).
   */
  readMember?: string | undefined
  /**
   * Not locking, with `team`: a members page of the team, or one of its members, read with
   * the team where the storage can (`Access.teamRead`).
   */
  readTeam?: TeamRead | undefined
}

/** Platform staff (`platformRole: 'superadmin'`) may read, update and delete any organization. */
const PLATFORM_PERMISSIONS: ReadonlySet<string> = new Set(['organization.update', 'organization.delete'])

/**
 * The id of the organization `ref` names (an `org_…` id or `me`), or, by slug, from the
 * slug table alone; `null` when it names none. Nothing of the organization is read.
 */
export async function findOrganizationId(repos: Repositories, actor: Actor, ref: string): Promise<string | null> {
  const key = organizationKey(actor, ref)
  if (key === null) return null
  return 'id' in key ? key.id : repos.organizations.findIdBySlug(key.slug)
}

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

/** The organization the context's caller already read, when `ref` names it; taken, so it serves one authorization. */
function takePreread(ctx: AuthorizationContext, actor: ApiKeyActor, ref: string): OrganizationRecord | null {
  const organization = ctx.preread?.organization ?? null
  if (organization === null) return null
  ctx.preread!.organization = null
  if (organization.id !== actor.organizationId) return null
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

/**
 * How `ref` names a team: a `team_…` id, or a slug. Slugs are stored lower-case;
 * lower-casing here answers alike on every dialect's collation.
 */
function teamKey(ref: string): { id: string } | { slug: string } {
  return hasIdPrefix(ref, 'team') ? { id: ref } : { slug: ref.toLowerCase() }
}

/** A team of the organization by slug or id; `null` when it has none such. */
export function findTeam(repos: Repositories, organizationId: string, ref: string): Promise<TeamRecord | null> {
  const key = teamKey(ref)
  return 'id' in key ? repos.teams.find(organizationId, key.id) : repos.teams.findBySlug(organizationId, key.slug)
}

/**
 * Resolves `ref` for `actor` and checks `requirement`: an organization the actor may not
 * see answers exactly as a nonexistent one (`not_found`), so a caller cannot learn which
 * private organizations exist; a member lacking the permission gets `forbidden`. Roles are
 * resolved in the organization (its custom roles shadow system roles).
 */
export function authorize(
  ctx: AuthorizationContext,
  repos: Repositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  requirement: OrganizationRequirement,
  options: AuthorizeOptions = {},
): Promise<Access> {
  return check(ctx, repos, actor, ref, requirement, options, null)
}

/**
 * `authorize` for a user's read that the storage makes together with the organization and
 * the user's membership (`read`, by the organization's id: one statement where the storage
 * can): the check runs on the organization and membership it read, and what else it read
 * reaches the caller only once the check passed.
 */
export async function authorizeWithRead<
  Found extends { organization: OrganizationRecord; member: MemberRecord | null },
>(
  ctx: AuthorizationContext,
  repos: Repositories,
  actor: UserActor,
  ref: string,
  requirement: OrganizationRequirement,
  read: (organizationId: string) => Promise<Found | null>,
): Promise<Found & { access: Access }> {
  const id = await findOrganizationId(repos, actor, ref)
  const found = id === null ? null : await read(id)
  if (found === null) throw notFound('Organization not found.')
  const access = await check(ctx, repos, actor, found.organization, requirement, { member: found.member }, null)
  return { ...found, access }
}

/**
 * A page of the organization `ref` names (`read`), once `requirement` is checked: read with
 * the organization and a user's membership where the storage can
 * (`organizations.findWithMemberAndPage`: one statement by id), else after them.
 */
export async function authorizedPage<K extends OrganizationPageKind>(
  ctx: AuthorizationContext,
  repos: Repositories,
  actor: Actor,
  ref: string,
  requirement: OrganizationRequirement,
  read: OrganizationPageRead<K>,
): Promise<Page<OrganizationPages[K]['row']>> {
  const organizations = repos.organizations
  const findWithMemberAndPage = organizations.findWithMemberAndPage
  if (actor.type === 'user' && findWithMemberAndPage !== undefined) {
    const found = await authorizeWithRead(ctx, repos, actor, ref, requirement, (id) =>
      findWithMemberAndPage.call(organizations, id, actor.userId, read),
    )
    // No page when the check passed without a membership (platform staff): read it now.
    return found.page ?? readOrganizationPage(repos, found.organization.id, read)
  }
  const { organization } = await authorize(ctx, repos, actor, ref, requirement)
  return readOrganizationPage(repos, organization.id, read)
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
  requirement: OrganizationRequirement,
  options: AuthorizeOptions = {},
): Promise<Access> {
  return check(ctx, tx, actor, ref, requirement, options, tx)
}

/**
 * The member a locking authorization with `readMember` is about (a role change, a removal,
 * an ownership transfer): the one read with the lock, or, where the lock was taken without
 * it (an actor other than a user), read now, under it. Not a member: 404.
 */
export async function lockedTarget(
  repos: TransactionRepositories,
  access: Access,
  userId: string,
): Promise<MemberWithUser> {
  const target =
    access.target === undefined ? await repos.members.findWithUser(access.organization.id, userId) : access.target
  if (target === null) throw notFound('Member not found.')
  return target
}

/**
 * What a locking authorization reads: the organization's row locked (nothing of it is read
 * before the lock) and, for a user, their membership, read after the lock is granted (the
 * committed one), with the member the operation is about (`readMember`) or a host user
 * (`readUser`) when asked. By slug, the storage finds the organization through the slug's
 * lookup in the locking statement where it can (`lockWithMemberBySlug`,
 * `lockWithTargetBySlug`); otherwise the slug is resolved first.
 */
async function lockedRead(
  tx: TransactionRepositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  options: AuthorizeOptions,
): Promise<{
  organization: OrganizationRecord | null
  member?: MemberRecord | null
  target?: MemberWithUser | null | undefined
  user?: UserSummary | null | undefined
}> {
  const organizations = tx.organizations
  const key = typeof ref === 'string' ? organizationKey(actor, ref) : { id: ref.id }
  if (key === null) return { organization: null }
  const idOf = async () => ('id' in key ? key.id : organizations.findIdBySlug(key.slug))
  if (actor.type !== 'user') {
    const id = await idOf()
    return { organization: id === null ? null : await organizations.lock(id) }
  }
  const { userId } = actor
  const { readMember, readUser } = options
  const none = { organization: null, member: null }
  if (readMember !== undefined) {
    const bySlug = organizations.lockWithTargetBySlug
    if ('slug' in key && bySlug !== undefined) {
      return (await bySlug.call(organizations, key.slug, userId, readMember)) ?? none
    }
    const id = await idOf()
    return (id === null ? null : await organizations.lockWithTarget(id, userId, readMember)) ?? none
  }
  const bySlug = organizations.lockWithMemberBySlug
  if ('slug' in key && bySlug !== undefined)
    return (await bySlug.call(organizations, key.slug, userId, readUser)) ?? none
  const id = await idOf()
  return (id === null ? null : await organizations.lockWithMember(id, userId, readUser)) ?? none
}

async function check(
  ctx: AuthorizationContext,
  repos: Repositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  requirement: OrganizationRequirement,
  options: AuthorizeOptions,
  lockWith: TransactionRepositories | null,
): Promise<Access> {
  const permission = requirement.kind === 'permission' ? requirement.permission : null
  // Checking an undeclared permission is a programming error, whoever asks; so is a
  // requirement about a team without the team, or a team without such a requirement.
  if (permission !== null) ctx.engine.assertDeclared(permission)
  const teamCounts = requirement.kind === 'permission' && requirement.team
  if (teamCounts !== (options.team !== undefined) && requirement.kind === 'permission') {
    throw new TypeError(`The ${permission} requirement ${teamCounts ? 'needs' : 'takes no'} team`)
  }
  let organization: OrganizationRecord | null
  /** `undefined` until read: a user's membership comes with the organization when nothing is locked. */
  let member: MemberRecord | null | undefined
  let readUser: UserSummary | null | undefined
  let target: MemberWithUser | null | undefined
  /** With `team`, the team and the user's membership of it, when they came with the organization. */
  let teamFound: { team: TeamRecord | null; teamMember: TeamMemberRecord | null } | undefined
  /** With `readTeam`, what was read with the team, for a member of the organization. */
  let readWithTeam: Access['teamRead']
  if (lockWith !== null) {
    const locked = await lockedRead(lockWith, actor, ref, options)
    organization = locked.organization
    member = locked.member
    target = locked.target
    readUser = locked.user
  } else if (typeof ref !== 'string') {
    organization = ref
    member = options.member
  } else if (actor.type === 'user') {
    const key = organizationKey(actor, ref)
    const organizations = repos.organizations
    const withTeam = organizations.findWithMemberAndTeam
    if (options.team !== undefined && options.readUser === undefined && withTeam !== undefined) {
      // The team and the user's membership of it come with the organization (one statement by id).
      const team = teamKey(options.team)
      const found = key === null ? null : await withTeam.call(organizations, key, actor.userId, team, options.readTeam)
      organization = found?.organization ?? null
      member = found?.member ?? null
      if (found !== null) {
        teamFound = { team: found.team, teamMember: found.teamMember }
        if (options.readTeam !== undefined) readWithTeam = { page: found.page, target: found.target }
      }
    } else {
      const found = key === null ? null : await organizations.findWithMember(key, actor.userId, options.readUser)
      organization = found?.organization ?? null
      member = found?.member ?? null
      readUser = found?.user
    }
  } else if (actor.type === 'apiKey') {
    organization = takePreread(ctx, actor, ref) ?? (await findOrganization(repos, actor, ref))
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
  if (readUser !== undefined) access.user = readUser
  if (target !== undefined) access.target = target

  if (actor.type === 'system') return withTeam(ctx, repos, access, options)

  if (actor.type === 'apiKey') {
    if (actor.organizationId !== organization.id) throw notFound('Organization not found.')
    access.role = apiKeyRole(ctx, actor)
    if (requirement.kind === 'owner') throw new OrgkitError('forbidden', 'Only an owner can do this.')
    await withTeam(ctx, repos, access, options)
    if (permission !== null && !access.role.has(permission)) {
      throw new OrgkitError('forbidden', `This API key does not have the ${permission} permission.`)
    }
    return access
  }

  if (member === undefined) member = await repos.members.find(organization.id, actor.userId)
  if (!member) {
    if (
      actor.platformRole === 'superadmin' &&
      (requirement.kind === 'read' || (permission !== null && PLATFORM_PERMISSIONS.has(permission)))
    ) {
      return { ...access, role: roles.get(OWNER_ROLE)! }
    }
    if (organization.visibility === 'public') {
      if (requirement.kind === 'read') return { ...access, publicView: true }
      throw new OrgkitError('forbidden', 'Only members of this organization can do this.')
    }
    throw notFound('Organization not found.')
  }
  access.member = member
  access.role = roleIn(roles, member.role)
  await withTeam(ctx, repos, access, options, teamFound)
  if (readWithTeam !== undefined) access.teamRead = readWithTeam
  if (requirement.kind === 'owner') {
    if (member.role !== OWNER_ROLE) throw new OrgkitError('forbidden', 'Only an owner can do this.')
  } else if (permission !== null && !holds(access, permission)) {
    throw new OrgkitError('forbidden', `Your role does not have the ${permission} permission.`)
  }
  return access
}

/**
 * With a `team` option: the team (404 when the organization has none such) and the actor's
 * role in it, as read with the organization (`read`, a member's) or read now.
 */
async function withTeam(
  ctx: AuthorizationContext,
  repos: Repositories,
  access: Access,
  options: AuthorizeOptions,
  read?: { team: TeamRecord | null; teamMember: TeamMemberRecord | null },
): Promise<Access> {
  if (options.team === undefined) return access
  const team = read === undefined ? await findTeam(repos, access.organization.id, options.team) : read.team
  if (!team) throw notFound('Team not found.')
  access.team = team
  if (access.member) {
    access.teamMember =
      read === undefined
        ? await repos.teamMembers.find(access.organization.id, team.id, access.member.userId)
        : read.teamMember
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

/**
 * An API key's permissions, compiled for one authorization: a handful of bit operations over
 * the declared permissions, cheaper than keeping a cache keyed by the actor object.
 */
export function apiKeyRole(ctx: AuthorizationContext, actor: ApiKeyActor): CompiledRole {
  return ctx.engine.compile(actor.permissions, { key: actor.role ?? 'api-key' })
}

/** Who grants an organization role: their organization role, and whether they are an owner. */
export interface Granter {
  /** The granter's organization role (a member's role, an API key's permissions); `null` for the system actor. */
  role: CompiledRole | null
  /** A member whose role is `owner`. */
  owner: boolean
}

/** Why a granter may not grant a role: only an owner grants `owner`, or permissions the granter lacks. */
export type GrantRefusal = { reason: 'owner' } | { reason: 'missing'; missing: readonly string[] }

/**
 * May `granter` grant the organization role `role` — the one rule of no escalation, used by
 * every grant (role change, direct add, invitation create, resend and accept, API key,
 * custom-role edit): the granter holds every permission of the role through its
 * organization role, and only an owner grants the owner role. A team role never counts: a
 * team lead leads one team, and no team role lets anyone hand out organization roles.
 * `null`: it may.
 */
export function grantRefusal(granter: Granter, role: CompiledRole): GrantRefusal | null {
  if (granter.role === null) return null // the system actor
  if (role.key === OWNER_ROLE && !granter.owner) return { reason: 'owner' }
  const missing = granter.role.missing(role)
  return missing.length === 0 ? null : { reason: 'missing', missing }
}

export function mayGrant(granter: Granter, role: CompiledRole): boolean {
  return grantRefusal(granter, role) === null
}

/** The caller of an authorized operation as a granter: its organization role, never its team role. */
export function granterOf(access: Access): Granter {
  return { role: access.role, owner: access.member?.role === OWNER_ROLE }
}

/**
 * Refuses unless the caller may grant `role` (`grantRefusal`). `verb` names the act in the
 * message: the caller also changes or removes only members whose role it may grant.
 */
export function assertMayGrant(
  access: Access,
  role: CompiledRole,
  verb = 'grant',
  what = `the ${role.key} role`,
): void {
  const refusal = grantRefusal(granterOf(access), role)
  if (refusal === null) return
  if (refusal.reason === 'owner') throw new OrgkitError('forbidden', `Only an owner can ${verb} the owner role.`)
  throw new OrgkitError(
    'forbidden',
    `You cannot ${verb} ${what}: it holds permissions you do not have (${refusal.missing.slice(0, 5).join(', ')}).`,
  )
}

/**
 * Refuses unless the caller holds every one of `permissions` through its organization role
 * or its role in the team the access is about: the check for granting, changing or removing
 * a team role, so that a lead hands out team roles within their own team. A team role is not
 * an organization role: granting one of those is `assertMayGrant`.
 */
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
