import {
  assertMayGrant,
  assignableRole,
  authorizedPage,
  authorizeForUpdate,
  requireUser,
} from '../authorization/access'
import { assertMemberRoom } from '../members/service'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { type Page, pageInput } from '../shared/pagination'
import type { Actor, MemberWithUser } from '../shared/types'
import { parseInput } from '../shared/validate'
import type { JoinRequestRecord } from '../storage/enrollment'
import { type DiscoverableOrganization, type JoinOutcome, joinOrganization, listDiscoverable } from './join'
import { enrollmentRules } from './rules'
import {
  type ApproveJoinRequestInput,
  approveJoinRequestSchema,
  type ListDiscoverableInput,
  type ListJoinRequestsInput,
  type ListMyJoinRequestsInput,
  listJoinRequestsSchema,
  listMyJoinRequestsSchema,
} from './schemas'

/** Why a request cannot be decided any more: it was, by someone else or by its requester. */
function decidedError(request: JoinRequestRecord): OrgkitError {
  return new OrgkitError('conflict', `This join request was ${request.status} already.`)
}

/** The user an approval or denial is recorded as deciding: the signed-in user, or an API key's creator. */
function deciderOf(actor: Actor): string {
  if (actor.type === 'user') return actor.userId
  if (actor.type === 'apiKey') return actor.createdBy
  return 'system'
}

export async function listJoinRequests(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListJoinRequestsInput = {},
): Promise<Page<JoinRequestRecord>> {
  const { limit, cursor, status } = parseInput(listJoinRequestsSchema, input)
  const page = pageInput({ limit, cursor })
  const read = { list: 'joinRequests', input: [{ status }, page] } as const
  return authorizedPage(ctx, ctx.storage, actor, ref, enrollmentRules.listJoinRequests, read)
}

export async function approveJoinRequest(
  ctx: Context,
  actor: Actor,
  ref: string,
  id: string,
  input: ApproveJoinRequestInput = {},
): Promise<MemberWithUser> {
  const data = parseInput(approveJoinRequestSchema, input)
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    // The organization's lock orders approvals, denials, withdrawals' memberships and the
    // member limit; the one conditional update below decides between them.
    const access = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.approveJoinRequest)
    const { organization } = access
    const request = await tx.joinRequests.find(organization.id, id)
    if (!request) throw notFound('Join request not found.')
    if (request.status !== 'pending') throw decidedError(request)
    // The role: the one asked for, else the domain's as it is now (the default role when
    // the domain is gone); either way one the approver may grant (only an owner grants owner).
    const domain = await tx.domains.find(organization.id, request.domain)
    const role = assignableRole(access.roles, data.role ?? domain?.role ?? ctx.defaultRole)
    assertMayGrant(access, role)
    if (
      !(await tx.joinRequests.decide(organization.id, id, {
        to: 'approved',
        role: role.key,
        decidedBy: deciderOf(actor),
        now,
      }))
    ) {
      throw decidedError((await tx.joinRequests.find(organization.id, id)) ?? request)
    }
    // A refusal below rolls the decision back with everything else.
    assertMemberRoom(ctx, organization)
    const member = { organizationId: organization.id, userId: request.userId, role: role.key, joinedAt: now }
    if (!(await tx.members.insert(member))) {
      throw new OrgkitError('conflict', 'The requester is already a member.')
    }
    await record({
      organizationId: organization.id,
      action: 'join_request.approved',
      target: { type: 'join_request', id },
      changes: { userId: request.userId, role: role.key },
    })
    await record({
      organizationId: organization.id,
      action: 'member.added',
      target: { type: 'user', id: request.userId },
      changes: { role: role.key, via: 'join_request', joinRequestId: id },
    })
    const account = await tx.users.findById(request.userId)
    const summary = account ?? { id: request.userId, email: null, username: null, name: null, imageUrl: null }
    return { ...member, user: { ...summary, id: request.userId } }
  })
}

export async function denyJoinRequest(ctx: Context, actor: Actor, ref: string, id: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    const { organization } = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.denyJoinRequest)
    const request = await tx.joinRequests.find(organization.id, id)
    if (!request) throw notFound('Join request not found.')
    if (request.status === 'denied') return // denying twice is denying once
    if (
      !(await tx.joinRequests.decide(organization.id, id, {
        to: 'denied',
        role: null,
        decidedBy: deciderOf(actor),
        now,
      }))
    ) {
      const latest = (await tx.joinRequests.find(organization.id, id)) ?? request
      if (latest.status === 'denied') return
      throw decidedError(latest)
    }
    await record({
      organizationId: organization.id,
      action: 'join_request.denied',
      target: { type: 'join_request', id },
      changes: { userId: request.userId },
    })
  })
}

export async function listMyJoinRequests(
  ctx: Context,
  actor: Actor,
  input: ListMyJoinRequestsInput = {},
): Promise<Page<JoinRequestRecord>> {
  const { limit, cursor } = parseInput(listMyJoinRequestsSchema, input)
  const page = pageInput({ limit, cursor })
  const user = requireUser(actor, enrollmentRules.myJoinRequests.what)
  return ctx.storage.joinRequests.listForUser(user.userId, page)
}

export async function withdrawJoinRequest(ctx: Context, actor: Actor, id: string): Promise<void> {
  const user = requireUser(actor, enrollmentRules.withdrawJoinRequest.what)
  const organizationId = await ctx.storage.joinRequests.locate(id)
  if (organizationId === null) throw notFound('Join request not found.')
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    // Under the organization's lock, like an approval: of a withdrawal racing an approval
    // exactly one decides the request, and the other sees which.
    if ((await tx.organizations.lock(organizationId)) === null) throw notFound('Join request not found.')
    const request = await tx.joinRequests.find(organizationId, id)
    // Someone else's request answers as a missing one.
    if (!request || request.userId !== user.userId) throw notFound('Join request not found.')
    if (request.status === 'withdrawn') return
    if (request.status !== 'pending') throw decidedError(request)
    if (
      !(await tx.joinRequests.decide(organizationId, id, { to: 'withdrawn', role: null, decidedBy: user.userId, now }))
    ) {
      const latest = (await tx.joinRequests.find(organizationId, id)) ?? request
      if (latest.status === 'withdrawn') return
      throw decidedError(latest)
    }
    await record({
      organizationId,
      action: 'join_request.withdrawn',
      target: { type: 'join_request', id },
      changes: { userId: user.userId },
    })
  })
}

/** Joining by domain and join requests, as `orgkit.as(actor).joinRequests`. */
export function joinRequestsApi(ctx: Context, actor: Actor) {
  return {
    /**
     * The organizations the signed-in user may join or ask to join through their verified
     * email's domain (none when the host does not report the email verified).
     */
    discoverable: (input?: ListDiscoverableInput): Promise<Page<DiscoverableOrganization>> =>
      listDiscoverable(ctx, actor, input),
    /**
     * Joins through the user's verified email domain: `{ joined }` with the membership when the
     * domain is `auto`, `{ requested }` with a pending join request when it is `suggest`. Any
     * organization the user cannot join this way answers `not_found`, like a nonexistent one.
     */
    join: (org: string): Promise<JoinOutcome> => joinOrganization(ctx, actor, org),
    /** The organization's join requests, newest first; `status` filters. Needs `members.add`. */
    list: (org: string, input?: ListJoinRequestsInput): Promise<Page<JoinRequestRecord>> =>
      listJoinRequests(ctx, actor, org, input),
    /** Approves a pending request, with the domain's role or `role`; creates the membership. Needs `members.add`. */
    approve: (org: string, id: string, input?: ApproveJoinRequestInput): Promise<MemberWithUser> =>
      approveJoinRequest(ctx, actor, org, id, input),
    /** Denies a pending request. Needs `members.add`. */
    deny: (org: string, id: string): Promise<void> => denyJoinRequest(ctx, actor, org, id),
    /** The signed-in user's own requests in every organization, newest first. */
    mine: (input?: ListMyJoinRequestsInput): Promise<Page<JoinRequestRecord>> => listMyJoinRequests(ctx, actor, input),
    /** The requester withdraws their pending request. */
    withdraw: (id: string): Promise<void> => withdrawJoinRequest(ctx, actor, id),
  }
}

export type JoinRequestsApi = ReturnType<typeof joinRequestsApi>
