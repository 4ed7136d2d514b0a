import { type Access, assertMayGrant, assignableRole, authorize, authorizeForUpdate } from '../authorization/access'
import type { CompiledRole } from '../authorization/engine'
import { OWNER_ROLE } from '../authorization/permissions'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { createId } from '../shared/ids'
import type { Actor, CustomRolePatch } from '../shared/types'
import { parseInput } from '../shared/validate'
import { roleRules } from './rules'
import {
  type CreateRoleInput,
  createRoleSchema,
  type DeleteRoleInput,
  deleteRoleSchema,
  type UpdateRoleInput,
  updateRoleSchema,
} from './schemas'

/** A role as `GET …/roles` shows it. */
export interface RoleView {
  key: string
  name: string
  description: string | null
  /** Every permission the role holds, wildcards resolved, in declaration order. */
  permissions: string[]
  /** From the configuration (true) or created in this organization (false). */
  system: boolean
  /** A custom role with a system role's key: it replaces that role in this organization. */
  shadowsSystemRole: boolean
}

function toView(ctx: Context, role: CompiledRole): RoleView {
  return {
    key: role.key,
    name: role.name,
    description: role.description,
    permissions: [...role.permissions],
    system: role.system,
    shadowsSystemRole: !role.system && ctx.engine.role(role.key) !== undefined,
  }
}

export async function listRoles(ctx: Context, actor: Actor, ref: string): Promise<RoleView[]> {
  const { roles } = await authorize(ctx, ctx.storage, actor, ref, roleRules.list)
  return roles.all.map((role) => toView(ctx, role))
}

/**
 * Compiles the permissions a role would hold (a malformed or undeclared one is a 400) and
 * refuses unless the actor holds every one of them: a custom role never grants more than
 * its author may grant (`mayGrant`).
 */
function compileFor(
  ctx: Context,
  access: Access,
  key: string,
  role: { name: string; description: string | null; permissions: string[] },
) {
  const compiled = ctx.engine.compile(role.permissions, { key, name: role.name, description: role.description })
  assertMayGrant(access, compiled, 'give', `the ${key} role these permissions`)
  return compiled
}

export async function createRole(ctx: Context, actor: Actor, ref: string, input: CreateRoleInput): Promise<RoleView> {
  const data = parseInput(createRoleSchema, input)
  if (data.key === OWNER_ROLE) throw new OrgkitError('forbidden', 'The owner role cannot be shadowed.')
  const limit = ctx.options.limits?.customRolesPerOrganization
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, roleRules.create)
    const { organization, roles } = access
    if (organization.type === 'personal')
      throw new OrgkitError('conflict', 'A personal organization has no custom roles.')
    if (roles.custom.has(data.key)) throw new OrgkitError('conflict', `The role "${data.key}" exists.`)
    // Counted on the role set read under the organization's lock: concurrent creates queue
    // on the lock, and each sees the roles the previous one committed.
    if (limit !== undefined && roles.custom.size >= limit) {
      throw new OrgkitError('limit_exceeded', `This organization can have at most ${limit} custom roles.`)
    }
    const description = data.description ?? null
    const compiled = compileFor(ctx, access, data.key, { ...data, description })
    // Shadowing a system role changes what everyone holding it can do: only someone who
    // holds all of it may.
    const shadowed = ctx.engine.role(data.key)
    if (shadowed) assertMayGrant(access, shadowed, 'shadow')
    const inserted = await tx.roles.insert({
      id: createId('role'),
      organizationId: organization.id,
      key: data.key,
      name: data.name,
      description,
      permissions: [...data.permissions],
      createdAt: now,
      updatedAt: now,
    })
    if (!inserted) throw new OrgkitError('conflict', `The role "${data.key}" exists.`)
    await tx.organizations.bumpRolesVersion(organization.id, now)
    await record({
      organizationId: organization.id,
      action: 'role.created',
      target: { type: 'role', id: data.key },
      changes: { key: data.key, permissions: [...data.permissions], shadowsSystemRole: shadowed !== undefined },
    })
    return toView(ctx, compiled)
  })
}

/** The custom role `key`, for changing it: `owner` is untouchable, a system role is configured, not edited. */
function customRoleOf(ctx: Context, access: Access, key: string, verb: string) {
  if (key === OWNER_ROLE) throw new OrgkitError('forbidden', `The owner role cannot be ${verb}.`)
  const record = access.roles.custom.get(key)
  if (record) return record
  if (ctx.engine.role(key)) {
    throw new OrgkitError(
      'conflict',
      `"${key}" is a system role: it comes from the configuration. Create a custom role with this key to shadow it here.`,
    )
  }
  throw notFound('Role not found.')
}

export async function updateRole(
  ctx: Context,
  actor: Actor,
  ref: string,
  key: string,
  input: UpdateRoleInput,
): Promise<RoleView> {
  const data = parseInput(updateRoleSchema, input)
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, roleRules.update)
    const current = customRoleOf(ctx, access, key, 'edited')
    // Editing a role changes what its holders can do: the editor must hold what it holds
    // now and everything it will hold.
    assertMayGrant(access, access.roles.get(key)!, 'edit')
    const next = {
      name: data.name ?? current.name,
      description: data.description === undefined ? current.description : data.description,
      permissions: data.permissions ?? current.permissions,
    }
    const compiled = compileFor(ctx, access, key, next)
    const patch: CustomRolePatch = {}
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    if (next.name !== current.name) {
      patch.name = next.name
      changes.name = { from: current.name, to: next.name }
    }
    if (next.description !== current.description) {
      patch.description = next.description
      changes.description = { from: current.description, to: next.description }
    }
    if (JSON.stringify(next.permissions) !== JSON.stringify(current.permissions)) {
      patch.permissions = [...next.permissions]
      changes.permissions = { from: current.permissions, to: next.permissions }
    }
    if (Object.keys(patch).length === 0) return toView(ctx, compiled)
    if (!(await tx.roles.update(access.organization.id, key, patch, now))) throw notFound('Role not found.')
    await tx.organizations.bumpRolesVersion(access.organization.id, now)
    await record({
      organizationId: access.organization.id,
      action: 'role.updated',
      target: { type: 'role', id: key },
      changes: { key, ...changes } as { key: string },
    })
    return toView(ctx, compiled)
  })
}

export async function deleteRole(
  ctx: Context,
  actor: Actor,
  ref: string,
  key: string,
  input: DeleteRoleInput = {},
): Promise<void> {
  const { reassignTo } = parseInput(deleteRoleSchema, input)
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, roleRules.delete)
    const { organization, roles } = access
    customRoleOf(ctx, access, key, 'deleted')
    assertMayGrant(access, roles.get(key)!, 'delete')
    // Members of a deleted shadow fall back to the system role of the same key; members of
    // any other deleted role need a replacement, given in the same request and applied in
    // the same transaction.
    const fallsBack = ctx.engine.role(key) !== undefined
    let reassigned = 0
    if (reassignTo !== undefined) {
      if (reassignTo === key) {
        throw new OrgkitError('validation_failed', 'A role cannot be replaced by itself.', {
          details: [{ path: 'reassignTo', message: 'Name another role' }],
        })
      }
      const replacement = assignableRole(roles, reassignTo)
      assertMayGrant(access, replacement)
      reassigned = await tx.members.reassignRole(organization.id, key, replacement.key)
    } else if (!fallsBack && (await tx.members.countWithRole(organization.id, key)) > 0) {
      throw new OrgkitError('conflict', `Members hold the role "${key}": name their new role with ?reassignTo=.`)
    }
    // API keys, pending invitations, invitation links and domains name the role by its key
    // alone. Left in place, they would grant a role created later under the same key, which
    // neither their creator, their inviter nor the domain's manager ever chose: keys,
    // invitations and links are revoked with the role, in its transaction, and domains are
    // closed (enrollment `none`, the default role) until a manager opens them again with a
    // role of their choosing. (A deleted shadow's fall back to the system role, as its
    // members do.)
    const revokedApiKeys = fallsBack ? 0 : await tx.apiKeys.revokeWithRole(organization.id, key, now)
    const revokedInvitations = fallsBack ? 0 : await tx.invitations.revokePendingWithRole(organization.id, key, now)
    const revokedLinks = fallsBack ? 0 : await tx.invitationLinks.revokeWithRole(organization.id, key, now)
    const closedDomains = fallsBack ? 0 : await tx.domains.closeWithRole(organization.id, key, ctx.defaultRole, now)
    await tx.roles.delete(organization.id, key)
    await tx.organizations.bumpRolesVersion(organization.id, now)
    await record({
      organizationId: organization.id,
      action: 'role.deleted',
      target: { type: 'role', id: key },
      changes: {
        key,
        ...(reassignTo !== undefined ? { reassignedTo: reassignTo, reassignedMembers: reassigned } : {}),
        ...(revokedApiKeys > 0 ? { revokedApiKeys } : {}),
        ...(revokedInvitations > 0 ? { revokedInvitations } : {}),
        ...(revokedLinks > 0 ? { revokedInvitationLinks: revokedLinks } : {}),
        ...(closedDomains > 0 ? { closedDomains } : {}),
      },
    })
  })
}

/** The organization's roles, as `orgkit.as(actor).roles`. */
export function rolesApi(ctx: Context, actor: Actor) {
  return {
    /** System roles (shadowed ones replaced) and custom roles, with their permissions. Needs `roles.read`. */
    list: (org: string): Promise<RoleView[]> => listRoles(ctx, actor, org),
    /**
     * Creates a custom role; with a system role's key it shadows that role in this organization
     * only. Never with a permission the caller does not hold. Needs `roles.create`.
     */
    create: (org: string, input: CreateRoleInput): Promise<RoleView> => createRole(ctx, actor, org, input),
    /** Edits a custom role; seen by the next check everywhere. Needs `roles.update`. */
    update: (org: string, key: string, input: UpdateRoleInput): Promise<RoleView> =>
      updateRole(ctx, actor, org, key, input),
    /** Deletes a custom role; when members hold it, `reassignTo` names their new role. Needs `roles.delete`. */
    delete: (org: string, key: string, input?: DeleteRoleInput): Promise<void> =>
      deleteRole(ctx, actor, org, key, input),
  }
}

export type RolesApi = ReturnType<typeof rolesApi>
