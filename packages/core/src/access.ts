import type { Context } from './context'
import { notFound, OrgkitError } from './errors'
import { hasIdPrefix } from './ids'
import type { CompiledRole } from './roles/engine'
import { OWNER_ROLE } from './roles/permissions'
import type { Repositories } from './storage/port'
import type { Actor, ApiKeyActor, MemberRecord, OrganizationRecord, UserActor } from './types'

/** Who the actor is inside one organization. */
export interface Access {
  organization: OrganizationRecord
  /** The actor's membership; `null` for API keys, the system actor, platform staff and public viewers. */
  member: MemberRecord | null
  /** Where the actor's permissions come from; `null` for the system actor, who holds everything. */
  role: CompiledRole | null
  /** A non-member reading a public organization: sees public fields only. */
  publicView: boolean
}

/**
 * What a caller must be for an operation:
 * - a permission string: a member (or API key) whose role holds it;
 * - `member`: any member of the organization, or an API key of it;
 * - `read`: a member, or anyone when the organization is public;
 * - `owner`: a user whose membership role is `owner`.
 */
/** The actor as a signed-in user: what only a person can do (create, leave, accept). */
export function requireUser(actor: Actor, what: string): UserActor {
  if (actor.type !== 'user') throw new OrgkitError('forbidden', `Only a signed-in user can ${what}.`)
  return actor
}

export type Requirement = string | 'member' | 'read' | 'owner'

/** Platform staff (`platformRole: 'superadmin'`) may read, update and delete any organization. */
const PLATFORM_REQUIREMENTS = new Set(['read', 'organization.update', 'organization.delete'])

/** `slug`, `org_…` id, or `me`. `null` when nothing matches. */
export async function findOrganization(
  repos: Repositories,
  actor: Actor,
  ref: string,
): Promise<OrganizationRecord | null> {
  if (ref === 'me') {
    const id = actor.type === 'system' ? undefined : actor.organizationId
    return id ? repos.organizations.findById(id) : null
  }
  // An id can never be a slug: slugs have no underscore.
  if (hasIdPrefix(ref, 'organization')) return repos.organizations.findById(ref)
  return repos.organizations.findBySlug(ref.toLowerCase())
}

/**
 * Resolves `ref` for `actor` and checks `requirement`, following the rules of SPEC §2:
 * an organization the actor may not see answers exactly as a nonexistent one
 * (`not_found`); a member lacking the permission gets `forbidden`.
 *
 * With `lock`, the organization's row is locked first. Mutations that could leave the
 * organization without an owner, or that check a limit, pass `lock: true` and make it
 * the first read of their transaction: on MySQL's REPEATABLE READ the snapshot of later
 * plain reads is then taken after the lock is granted, so they see every change committed
 * by the transaction that held the lock before.
 */
export async function authorize(
  ctx: Context,
  repos: Repositories,
  actor: Actor,
  ref: string | OrganizationRecord,
  requirement: Requirement,
  options: { lock?: boolean } = {},
): Promise<Access> {
  if (requirement !== 'member' && requirement !== 'read' && requirement !== 'owner') {
    // Checking an undeclared permission is a programming error, whoever asks.
    ctx.engine.assertDeclared(requirement)
  }
  let organization = typeof ref === 'string' ? await findOrganization(repos, actor, ref) : ref
  if (organization && options.lock) organization = await repos.organizations.lock(organization.id)
  if (!organization) throw notFound('Organization not found.')

  if (actor.type === 'system') return { organization, member: null, role: null, publicView: false }

  if (actor.type === 'apiKey') {
    if (actor.organizationId !== organization.id) throw notFound('Organization not found.')
    const role = apiKeyRole(ctx, actor)
    if (requirement === 'owner') throw new OrgkitError('forbidden', 'Only an owner can do this.')
    if (requirement !== 'member' && requirement !== 'read' && !role.has(requirement)) {
      throw new OrgkitError('forbidden', `This API key does not have the ${requirement} permission.`)
    }
    return { organization, member: null, role, publicView: false }
  }

  const member = await repos.members.find(organization.id, actor.userId)
  if (!member) {
    if (actor.platformRole === 'superadmin' && PLATFORM_REQUIREMENTS.has(requirement)) {
      return { organization, member: null, role: ctx.engine.role(OWNER_ROLE)!, publicView: false }
    }
    if (organization.visibility === 'public') {
      if (requirement === 'read') return { organization, member: null, role: null, publicView: true }
      throw new OrgkitError('forbidden', 'Only members of this organization can do this.')
    }
    throw notFound('Organization not found.')
  }
  const role = roleOf(ctx, member.role)
  if (requirement === 'owner') {
    if (member.role !== OWNER_ROLE) throw new OrgkitError('forbidden', 'Only an owner can do this.')
  } else if (requirement !== 'member' && requirement !== 'read' && !role.has(requirement)) {
    throw new OrgkitError('forbidden', `Your role does not have the ${requirement} permission.`)
  }
  return { organization, member, role, publicView: false }
}

/**
 * A stored role key compiled to its permissions. A key that is no longer configured
 * (the host removed a role) holds nothing rather than failing every request.
 */
export function roleOf(ctx: Context, key: string): CompiledRole {
  return ctx.engine.role(key) ?? ctx.engine.compile([], { key })
}

/** Whether `key` names a role that can be assigned. */
export function assignableRole(ctx: Context, key: string): CompiledRole {
  const role = ctx.engine.role(key)
  if (!role) {
    throw new OrgkitError('validation_failed', `There is no role "${key}".`, {
      details: [{ path: 'role', message: `Unknown role "${key}"` }],
    })
  }
  return role
}

const apiKeyRoles = new WeakMap<ApiKeyActor, CompiledRole>()

/** An API key's permissions, compiled once per authenticated actor. */
export function apiKeyRole(ctx: Context, actor: ApiKeyActor): CompiledRole {
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
  const missing = access.role.missing(role)
  if (missing.length > 0) {
    throw new OrgkitError(
      'forbidden',
      `You cannot ${verb} the ${role.key} role: it holds permissions you do not have (${missing.slice(0, 5).join(', ')}).`,
    )
  }
}
