import {
  type Access,
  assertMayGrant,
  assignableRole,
  authorize,
  authorizeForUpdate,
  authorizeWithRead,
  lockedTarget,
  roleIn,
} from '../authorization/access'
import { assertOwnerRemains } from '../organizations/service'
import type { Context } from '../runtime/context'
import { mutate, mutateAtomically } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { type Page, pageInput } from '../shared/pagination'
import type { Actor, MemberRecord, MemberWithUser, OrganizationRecord, UserSummary } from '../shared/types'
import { parseInput } from '../shared/validate'
import type { DecidedInsert, Repositories } from '../storage/port'
import { memberRules } from './rules'
import {
  type AddMemberInput,
  addMemberSchema,
  type ListMembersInput,
  listMembersSchema,
  type UpdateMemberInput,
  updateMemberSchema,
} from './schemas'

/**
 * `limits.membersPerOrganization`, checked on the organization row the caller locked: the
 * count on it is kept by every member insert and delete, and the lock orders concurrent
 * adds (and accepts), so the limit cannot be raced past. An add decided without the lock
 * (`addAsDecided`) is checked here on its read, and again by its write, under the lock.
 */
export function assertMemberRoom(ctx: Context, organization: OrganizationRecord): void {
  const limit = ctx.options.limits?.membersPerOrganization
  if (limit !== undefined && organization.memberCount >= limit) {
    throw new OrgkitError('limit_exceeded', `This organization can have at most ${limit} members.`)
  }
}

async function findWithUser(repos: Repositories, organizationId: string, userId: string): Promise<MemberWithUser> {
  const member = await repos.members.findWithUser(organizationId, userId)
  if (!member) throw notFound('Member not found.')
  return member
}

export async function listMembers(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListMembersInput = {},
): Promise<Page<MemberWithUser>> {
  const { limit, cursor, role, q } = parseInput(listMembersSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  const filter = { role, q }
  const members = ctx.storage.members
  const listWithMember = members.listWithMember
  if (actor.type === 'user' && listWithMember !== undefined) {
    // The page comes with the organization and the caller's membership (one statement by id).
    const found = await authorizeWithRead(ctx, ctx.storage, actor, ref, memberRules.list, (id) =>
      listWithMember.call(members, id, actor.userId, filter, page),
    )
    return found.page ?? members.list(found.organization.id, filter, page)
  }
  const { organization } = await authorize(ctx, ctx.storage, actor, ref, memberRules.list)
  return members.list(organization.id, filter, page)
}

export async function getMember(ctx: Context, actor: Actor, ref: string, userId: string): Promise<MemberWithUser> {
  const members = ctx.storage.members
  const findWithCaller = members.findWithCaller
  if (actor.type === 'user' && findWithCaller !== undefined) {
    // The member comes with the organization and the caller's membership (one statement by id).
    const found = await authorizeWithRead(ctx, ctx.storage, actor, ref, memberRules.get, (id) =>
      findWithCaller.call(members, id, actor.userId, userId),
    )
    if (found.target !== null) return found.target
    if (found.member !== null) throw notFound('Member not found.')
    return findWithUser(ctx.storage, found.organization.id, userId)
  }
  const { organization } = await authorize(ctx, ctx.storage, actor, ref, memberRules.get)
  return findWithUser(ctx.storage, organization.id, userId)
}

/** Resolves "add by user id, username or email" through the host's user directory. */
async function resolveUser(
  repos: Repositories,
  input: { userId?: string | undefined; username?: string | undefined; email?: string | undefined },
) {
  let user: UserSummary | null = null
  if (input.userId !== undefined) user = await repos.users.findById(input.userId)
  else if (input.username !== undefined) user = await repos.users.findByUsername(input.username)
  else if (input.email !== undefined) user = await repos.users.findByEmail(input.email)
  if (!user) throw notFound('User not found.')
  return user
}

export async function addMember(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: AddMemberInput,
): Promise<MemberWithUser> {
  const data = parseInput(addMemberSchema, input)
  const added = await addAsDecided(ctx, actor, ref, data)
  if (added !== null) return added
  return mutate(ctx, actor, async ({ tx, now, recordWith }) => {
    // A user added by id is read with the lock where the storage can.
    const access = await authorizeForUpdate(ctx, tx, actor, ref, memberRules.add, { readUser: data.userId })
    const { member, user, event } = await decideAdd(ctx, tx, access, data, now)
    const inserted = await recordWith([event], (events) => tx.members.insert(member, events))
    if (!inserted) throw alreadyMember()
    return { ...member, user }
  })
}

/**
 * Adding a member with no lock held, where the storage can check and write in one
 * statement (`members.insertIfUnchanged`): the organization, the caller's membership and the
 * user are read together, without a lock, and the add is decided on them by the rules the
 * locked add follows (`decideAdd`); then one write inserts the membership only if what the
 * decision rests on is unchanged when the organization's lock is granted — its roles'
 * version, the caller's role, the room under the member limit — and commits on its own.
 * A refusal is answered from the read, as it was then. `null` when this is not the way: an
 * actor other than a user, a storage without the method, a `before` hook for
 * `member.added` (it runs inside the write's transaction), or what the decision rests on
 * changed meanwhile; the add is then made under the lock, where it is decided again.
 */
async function addAsDecided(
  ctx: Context,
  actor: Actor,
  ref: string,
  data: AddMemberData,
): Promise<MemberWithUser | null> {
  const members = ctx.storage.members
  const insertIfUnchanged = members.insertIfUnchanged
  if (actor.type !== 'user' || insertIfUnchanged === undefined || ctx.hooks.has('member.added')) return null
  return mutateAtomically(ctx, actor, ['member.added'], async ({ repositories, now, recordWith }) => {
    const access = await authorize(ctx, repositories, actor, ref, memberRules.add, { readUser: data.userId })
    const { member, user, event } = await decideAdd(ctx, repositories, access, data, now)
    // Allowed as a member: by their role, which the write checks is still theirs.
    if (access.member === null) return null
    const decidedOn = {
      callerId: actor.userId,
      callerRole: access.member.role,
      rolesVersion: access.organization.rolesVersion,
      memberLimit: ctx.options.limits?.membersPerOrganization ?? null,
    }
    let outcome = 'changed' as DecidedInsert
    await recordWith([event], async (events) => {
      outcome = await insertIfUnchanged.call(members, member, decidedOn, events)
      return outcome === 'inserted'
    })
    if (outcome === 'duplicate') throw alreadyMember()
    return outcome === 'inserted' ? { ...member, user } : null
  })
}

type AddMemberData = ReturnType<typeof addMemberSchema.parse>

/**
 * What adding `data`'s user as the caller's `access` allows writes: the membership, its user
 * and its event; or the refusal the rules give (a role the caller may not grant, a personal
 * organization, no such user, no room under the member limit).
 */
async function decideAdd(ctx: Context, repos: Repositories, access: Access, data: AddMemberData, now: Date) {
  const { organization } = access
  const role = assignableRole(access.roles, data.role ?? ctx.defaultRole)
  assertMayGrant(access, role)
  if (organization.type === 'personal') {
    throw new OrgkitError('conflict', 'A personal organization has no other members.')
  }
  const user = access.user === undefined ? await resolveUser(repos, data) : access.user
  if (!user) throw notFound('User not found.')
  assertMemberRoom(ctx, organization)
  // The event travels with the insert: the storage may write both in one statement.
  const event = {
    organizationId: organization.id,
    action: 'member.added',
    target: { type: 'user', id: user.id },
    changes: { role: role.key, via: 'direct' },
  } as const
  const member: MemberRecord = { organizationId: organization.id, userId: user.id, role: role.key, joinedAt: now }
  return { member, user, event }
}

const alreadyMember = () => new OrgkitError('conflict', 'This user is already a member.')

export async function updateMember(
  ctx: Context,
  actor: Actor,
  ref: string,
  userId: string,
  input: UpdateMemberInput,
): Promise<MemberWithUser> {
  const data = parseInput(updateMemberSchema, input)
  return mutate(ctx, actor, async ({ tx, recordWith }) => {
    // The member is read with the lock, as committed when it is granted (or after it, for
    // an actor the lock does not read it for), once, with the user: the answer is this row
    // with the new role (the lock keeps it from changing meanwhile), not a read after the write.
    const access = await authorizeForUpdate(ctx, tx, actor, ref, memberRules.update, { readMember: userId })
    const { organization } = access
    const target = await lockedTarget(tx, access, userId)
    const role = assignableRole(access.roles, data.role)
    if (target.role === role.key) return target
    assertMayGrant(access, roleIn(access.roles, target.role), 'change a member with')
    assertMayGrant(access, role)
    await assertOwnerRemains(tx, organization.id, target.role)
    const event = {
      organizationId: organization.id,
      action: 'member.updated',
      target: { type: 'user', id: userId },
      changes: { role: { from: target.role, to: role.key } },
    } as const
    // The organization's lock keeps the member read above: the update finds them.
    await recordWith([event], (events) => tx.members.updateRole(organization.id, userId, role.key, events))
    return { ...target, role: role.key }
  })
}

export async function removeMember(ctx: Context, actor: Actor, ref: string, userId: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, now, recordWith }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, memberRules.remove, { readMember: userId })
    const { organization } = access
    const target = await lockedTarget(tx, access, userId)
    if (organization.type === 'personal') throw new OrgkitError('conflict', 'A personal organization keeps its owner.')
    assertMayGrant(access, roleIn(access.roles, target.role), 'remove a member with')
    await assertOwnerRemains(tx, organization.id, target.role)
    // The member's keys lose their access with the membership, in the same transaction:
    // revoked first, so that the event (which counts them) travels with the removal.
    const revokedKeys = await tx.apiKeys.revokeCreatedBy(organization.id, userId, now)
    const event = {
      organizationId: organization.id,
      action: 'member.removed',
      target: { type: 'user', id: userId },
      changes: { role: target.role, ...(revokedKeys > 0 ? { revokedApiKeys: revokedKeys } : {}) },
    } as const
    // The organization's lock keeps the member read above: the removal finds them.
    if (!(await recordWith([event], (events) => tx.members.delete(organization.id, userId, events)))) {
      throw notFound('Member not found.')
    }
  })
}

/** Members of an organization, as `orgkit.as(actor).members`. */
export function membersApi(ctx: Context, actor: Actor) {
  return {
    /** Members with their users, by join order; `role` and `q` (name, email or username prefix) filter. Needs `members.read`. */
    list: (org: string, input?: ListMembersInput): Promise<Page<MemberWithUser>> => listMembers(ctx, actor, org, input),
    /** Adds a user directly, named by exactly one of `userId`, `username` or `email`. Needs `members.add`. */
    add: (org: string, input: AddMemberInput): Promise<MemberWithUser> => addMember(ctx, actor, org, input),
    get: (org: string, userId: string): Promise<MemberWithUser> => getMember(ctx, actor, org, userId),
    /** Changes a member's role. Needs `members.update` and every permission of both roles. */
    update: (org: string, userId: string, input: UpdateMemberInput): Promise<MemberWithUser> =>
      updateMember(ctx, actor, org, userId, input),
    /** Removes a member, their team memberships and their API keys' access. Needs `members.remove`. */
    remove: (org: string, userId: string): Promise<void> => removeMember(ctx, actor, org, userId),
  }
}

export type MembersApi = ReturnType<typeof membersApi>
