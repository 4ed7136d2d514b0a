import {
  assertMayGrant,
  assignableRole,
  authorize,
  authorizedPage,
  authorizeForUpdate,
  mayGrant,
  requireUser,
  roleIn,
} from '../authorization/access'
import { OWNER_ROLE } from '../authorization/permissions'
import { assertMemberRoom } from '../members/service'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { createId } from '../shared/ids'
import { mapPage, type Page, pageInput } from '../shared/pagination'
import { hashSecret, randomSecret } from '../shared/secrets'
import type {
  Actor,
  AuditEventRecord,
  InvitationRecord,
  InvitationWithInviter,
  MemberWithUser,
  UserActor,
  UserSummary,
} from '../shared/types'
import { parseInput } from '../shared/validate'
import type { InvitationRef, LockedInvitation, TransactionRepositories } from '../storage/port'
import { invitationRules } from './rules'
import {
  type CreateInvitationInput,
  createInvitationSchema,
  type ListInvitationsInput,
  type ListMyInvitationsInput,
  listInvitationsSchema,
  listMyInvitationsSchema,
  type PreviewInvitationInput,
  previewInvitationSchema,
  type RespondToInvitationInput,
  respondToInvitationSchema,
} from './schemas'

/** An invitation as callers see it: never its token or the token's hash. */
export interface InvitationView {
  id: string
  organizationId: string
  email: string
  role: string
  teamIds: string[]
  status: InvitationRecord['status']
  /** Past its expiry: stored as `expired`, or still `pending` with `expiresAt` passed. */
  expired: boolean
  expiresAt: Date
  invitedBy: { userId: string; username: string | null }
  createdAt: Date
}

/** What create and resend return, once: the secret token and the link built from it. */
export interface IssuedInvitation extends InvitationView {
  token: string
  acceptUrl: string
}

export interface InvitationPreview {
  organization: { id: string; slug: string; name: string; logoUrl: string | null }
  email: string
  role: string
  status: InvitationRecord['status']
  expired: boolean
  expiresAt: Date
  invitedBy: { userId: string; username: string | null; name: string | null }
}

/** 256 random bits, base64url: far beyond guessing, and a separate secret from the public `inv_` id. */
const TOKEN_BYTES = 32

const defaultAcceptUrl = (token: string) => `/invitations/accept?token=${encodeURIComponent(token)}`

function isExpired(invitation: InvitationRecord, now: Date): boolean {
  return (
    invitation.status === 'expired' ||
    (invitation.status === 'pending' && invitation.expiresAt.getTime() <= now.getTime())
  )
}

/** The invitation as answered; `inviterName` is the inviter's username as the host has it. */
export function toView(invitation: InvitationRecord, now: Date, inviterName: string | null): InvitationView {
  return {
    id: invitation.id,
    organizationId: invitation.organizationId,
    email: invitation.email,
    role: invitation.role,
    teamIds: invitation.teamIds,
    status: invitation.status,
    expired: isExpired(invitation, now),
    expiresAt: invitation.expiresAt,
    invitedBy: { userId: invitation.invitedBy, username: inviterName },
    createdAt: invitation.createdAt,
  }
}

/** A page as answered: each invitation's inviter came with it (no lookup per inviter). */
function viewPage(page: Page<InvitationWithInviter>, now: Date): Page<InvitationView> {
  return mapPage(page, (invitation) => toView(invitation, now, invitation.inviter.username))
}

/** The user an invitation is issued on behalf of: the signed-in user, or an API key's creator. */
function inviterOf(actor: Actor): string {
  if (actor.type === 'user') return actor.userId
  if (actor.type === 'apiKey') return actor.createdBy
  throw new OrgkitError('forbidden', 'An invitation needs an inviter: call this as a user, e.g. orgkit.as(user).')
}

/** The actor's email as the host reports it, else as the user directory has it; lower-cased. */
async function emailOf(ctx: Context, user: UserActor): Promise<string | null> {
  const email = user.email ?? (await ctx.storage.users.findById(user.userId))?.email ?? null
  return email === null ? null : email.trim().toLowerCase()
}

/**
 * Hands a new or resent invitation to the host's `send`, after the commit: a mail server
 * that fails does not undo the invitation (the inviter has the link in the response and
 * can resend); the failure goes to `onListenerError`.
 */
export async function deliver(
  ctx: Context,
  invitation: InvitationRecord,
  token: string,
  acceptUrl: string,
): Promise<void> {
  const send = ctx.options.invitations?.send
  if (!send) return
  try {
    await send(invitation, { token, acceptUrl })
  } catch (error) {
    ctx.reportError(error, { action: 'invitation.send' })
  }
}

/** A new pending invitation, expiring after the configured time: what an invitation (single or in a batch) stores. */
export function pendingInvitation(
  ctx: Context,
  fields: Pick<InvitationRecord, 'organizationId' | 'email' | 'role' | 'teamIds' | 'tokenHash' | 'invitedBy'> & {
    now: Date
  },
): InvitationRecord {
  const { now, ...given } = fields
  return {
    id: createId('invitation'),
    ...given,
    status: 'pending',
    expiresAt: new Date(now.getTime() + ctx.invitationTtlMs),
    createdAt: now,
    updatedAt: now,
    respondedBy: null,
  }
}

export function issue(ctx: Context): { token: string; tokenHash: string; acceptUrl: string } {
  const token = randomSecret(TOKEN_BYTES)
  return {
    token,
    tokenHash: hashSecret(token),
    acceptUrl: (ctx.options.invitations?.acceptUrl ?? defaultAcceptUrl)(token),
  }
}

export async function listInvitations(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListInvitationsInput = {},
): Promise<Page<InvitationView>> {
  const { limit, cursor, status } = parseInput(listInvitationsSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  const now = ctx.now()
  const read = { list: 'invitations', input: [{ status }, now, page] } as const
  return viewPage(await authorizedPage(ctx, ctx.storage, actor, ref, invitationRules.list, read), now)
}

export async function createInvitation(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: CreateInvitationInput,
): Promise<IssuedInvitation> {
  const data = parseInput(createInvitationSchema, input)
  const invitedBy = inviterOf(actor)
  const secret = issue(ctx)
  const limit = ctx.options.limits?.pendingInvitationsPerOrganization
  const issued = await mutate(ctx, actor, async ({ tx, now, recordWith }) => {
    // The organization's row lock orders this against member changes and other invitations,
    // so the limit and "already a member" checks cannot be raced past.
    const access = await authorizeForUpdate(ctx, tx, actor, ref, invitationRules.create)
    const { organization } = access
    const role = assignableRole(access.roles, data.role ?? ctx.defaultRole)
    assertMayGrant(access, role)
    if (organization.type === 'personal') {
      throw new OrgkitError('conflict', 'A personal organization takes no invitations.')
    }
    // Only this organization's teams: another organization's team id is as unknown as a
    // nonexistent one, and the invitation is refused whole.
    const teamIds = [...new Set(data.teamIds ?? [])]
    if ((await tx.teams.findMany(organization.id, teamIds)).length !== teamIds.length) {
      throw notFound('Team not found.')
    }
    const write = await invitationWrite(tx, organization.id, data.email, invitedBy, limit, now)
    const created = pendingInvitation(ctx, {
      organizationId: organization.id,
      email: data.email,
      role: role.key,
      teamIds,
      tokenHash: secret.tokenHash,
      invitedBy,
      now,
    })
    const event = {
      organizationId: organization.id,
      action: 'invitation.created',
      target: { type: 'invitation', id: created.id },
      changes: { email: created.email, role: created.role, ...(teamIds.length > 0 ? { teamIds } : {}) },
    } as const
    // The event travels with the insert: the storage may write both in one statement.
    // A refusal throws, which records no event.
    const inviter = await recordWith([event], async (events) => {
      const written = await write(created, events)
      if (written.outcome === 'member') throw alreadyMember()
      if (written.outcome === 'duplicate') {
        throw new OrgkitError('conflict', 'A pending invitation for this email already exists.')
      }
      return written.inviter
    })
    return { created, inviterName: inviter?.username ?? null }
  })
  const { created: invitation, inviterName } = issued
  await deliver(ctx, invitation, secret.token, secret.acceptUrl)
  return { ...toView(invitation, invitation.createdAt, inviterName), token: secret.token, acceptUrl: secret.acceptUrl }
}

const alreadyMember = () => new OrgkitError('conflict', 'This person is already a member.')

type InvitationWrite = (
  invitation: InvitationRecord,
  events: readonly AuditEventRecord[],
) => Promise<{ outcome: 'inserted' | 'duplicate' | 'member'; inviter: UserSummary | null }>

/**
 * How a new invitation is written under the organization's lock, refused for a member of the
 * organization, with the inviter's user for the answer. Without a limit to count against,
 * the membership and the inviter are read with the insert where the storage can
 * (`invitations.insertUnlessMember`: one round trip fewer); otherwise they are read here
 * first, in one statement, then the pending invitations are counted. Either way a member is
 * refused before a limit or a duplicate.
 */
async function invitationWrite(
  tx: TransactionRepositories,
  organizationId: string,
  email: string,
  inviterId: string,
  limit: number | undefined,
  now: Date,
): Promise<InvitationWrite> {
  const { invitations } = tx
  const insertUnlessMember = invitations.insertUnlessMember
  if (limit === undefined && insertUnlessMember !== undefined) {
    return (invitation, events) => insertUnlessMember.call(invitations, invitation, now, events, inviterId)
  }
  const { isMember, inviter } = await tx.members.findInvitee(organizationId, email, inviterId)
  if (isMember) throw alreadyMember()
  if (limit !== undefined && (await invitations.countPending(organizationId, now)) >= limit) {
    throw new OrgkitError('limit_exceeded', `This organization can have at most ${limit} pending invitations.`)
  }
  return async (invitation, events) => ({ outcome: await invitations.insert(invitation, now, events), inviter })
}

/** Why an invitation cannot change any more, as the error its state calls for. */
function settledError(invitation: InvitationRecord, now: Date): OrgkitError {
  if (invitation.status === 'revoked') return new OrgkitError('invitation_revoked')
  if (invitation.status === 'accepted' || invitation.status === 'declined') return new OrgkitError('invitation_used')
  if (isExpired(invitation, now)) return new OrgkitError('invitation_expired')
  return new OrgkitError('conflict', 'The invitation changed meanwhile; try again.')
}

export async function resendInvitation(ctx: Context, actor: Actor, ref: string, id: string): Promise<IssuedInvitation> {
  const secret = issue(ctx)
  const invitation = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, invitationRules.resend)
    const current = await tx.invitations.find(access.organization.id, id)
    if (!current) throw notFound('Invitation not found.')
    // Re-issuing is granting again: the resender must be able to grant the role too.
    assertMayGrant(access, roleIn(access.roles, current.role))
    if (current.status !== 'pending') throw settledError(current, now)
    const rotated = await tx.invitations.rotateToken(access.organization.id, id, {
      tokenHash: secret.tokenHash,
      expiresAt: new Date(now.getTime() + ctx.invitationTtlMs),
      now,
    })
    if (!rotated) throw settledError((await tx.invitations.find(access.organization.id, id)) ?? current, now)
    await record({
      organizationId: access.organization.id,
      action: 'invitation.resent',
      target: { type: 'invitation', id },
      changes: { expiresAt: rotated.expiresAt.toISOString() },
    })
    return rotated
  })
  await deliver(ctx, invitation, secret.token, secret.acceptUrl)
  const inviter = await ctx.storage.users.findById(invitation.invitedBy)
  return {
    ...toView(invitation, ctx.now(), inviter?.username ?? null),
    token: secret.token,
    acceptUrl: secret.acceptUrl,
  }
}

export async function revokeInvitation(ctx: Context, actor: Actor, ref: string, id: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    const { organization } = await authorize(ctx, tx, actor, ref, invitationRules.revoke)
    const current = await tx.invitations.find(organization.id, id)
    if (!current) throw notFound('Invitation not found.')
    if (current.status === 'revoked') return // revoking twice is revoking once
    // The same conditional update as accept: of a revoke racing an accept exactly one wins.
    const revoked = await tx.invitations.transition(organization.id, id, {
      to: 'revoked',
      respondedBy: actor.type === 'user' ? actor.userId : null,
      now,
    })
    if (!revoked) {
      const latest = (await tx.invitations.find(organization.id, id)) ?? current
      if (latest.status === 'revoked') return
      throw settledError(latest, now)
    }
    await record({
      organizationId: organization.id,
      action: 'invitation.revoked',
      target: { type: 'invitation', id },
      changes: { email: current.email },
    })
  })
}

export async function listMyInvitations(
  ctx: Context,
  actor: Actor,
  input: ListMyInvitationsInput = {},
): Promise<Page<InvitationView>> {
  const { limit, cursor } = parseInput(listMyInvitationsSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  const email = await emailOf(ctx, requireUser(actor, invitationRules.mine.what))
  if (email === null) return { data: [], nextCursor: null, prevCursor: null, hasMore: false }
  const now = ctx.now()
  return viewPage(await ctx.storage.invitations.listPendingForEmail(email, now, page), now)
}

async function findByToken(ctx: Context, token: string): Promise<InvitationRecord> {
  const invitation = await ctx.storage.invitations.findByTokenHash(hashSecret(token))
  if (!invitation) throw notFound('Invitation not found.')
  return invitation
}

/**
 * What a preview shows: the invitation a token names, its organization and its inviter. After
 * the token's lookup, one read where the storage can (`organizations.findWithInvitation`).
 */
async function previewRead(ctx: Context, token: string) {
  const { invitations, organizations, users } = ctx.storage
  const findWithInvitation = organizations.findWithInvitation
  if (findWithInvitation !== undefined) {
    const place = await invitations.locate({ tokenHash: hashSecret(token) })
    const found = place === null ? null : await findWithInvitation.call(organizations, place.organizationId, place.id)
    if (found === null) throw notFound('Invitation not found.')
    return found
  }
  const invitation = await findByToken(ctx, token)
  const [organization, inviter] = await Promise.all([
    organizations.findById(invitation.organizationId),
    users.findById(invitation.invitedBy),
  ])
  if (!organization) throw notFound('Invitation not found.')
  return { invitation, organization, inviter }
}

export async function previewInvitation(
  ctx: Context,
  actor: Actor,
  input: PreviewInvitationInput,
): Promise<InvitationPreview> {
  requireUser(actor, invitationRules.preview.what)
  const { token } = parseInput(previewInvitationSchema, input)
  const { invitation, organization, inviter } = await previewRead(ctx, token)
  return {
    organization: {
      id: organization.id,
      slug: organization.slug,
      name: organization.name,
      logoUrl: organization.logoUrl,
    },
    email: invitation.email,
    role: invitation.role,
    status: invitation.status,
    expired: isExpired(invitation, ctx.now()),
    expiresAt: invitation.expiresAt,
    invitedBy: { userId: invitation.invitedBy, username: inviter?.username ?? null, name: inviter?.name ?? null },
  }
}

/**
 * Whether `invitation` is addressed to `user`, whose email is `email`. By token: whoever
 * holds it learns that the invitation is someone else's (`email_mismatch`). By public id:
 * only the addressee may use it, and anyone else gets the same 404 as a wrong id.
 * `verified`: the host must also have verified the address, unless configured otherwise.
 */
function checkAddressee(
  ctx: Context,
  user: UserActor,
  byToken: boolean,
  email: string | null,
  invitation: InvitationRecord,
  verified: boolean,
): void {
  if (email !== invitation.email) {
    if (byToken) throw new OrgkitError('email_mismatch', 'This invitation was sent to a different email address.')
    throw notFound('Invitation not found.')
  }
  if (verified && ctx.options.invitations?.requireVerifiedEmail !== false && user.emailVerified === false) {
    throw new OrgkitError('email_unverified')
  }
}

/** The pending invitation a recipient declines, checked to be addressed to them (see `checkAddressee`). */
async function addressedTo(ctx: Context, user: UserActor, input: RespondToInvitationInput): Promise<InvitationRecord> {
  const data = parseInput(respondToInvitationSchema, input)
  const email = await emailOf(ctx, user)
  const invitation =
    'token' in data ? await findByToken(ctx, data.token) : await ctx.storage.invitations.findById(data.id)
  if (!invitation) throw notFound('Invitation not found.')
  checkAddressee(ctx, user, 'token' in data, email, invitation, false)
  // Past its expiry: refused, and left as it is (a refusal changes nothing; a resend revives it).
  const now = ctx.now()
  if (invitation.status === 'pending' && isExpired(invitation, now)) throw new OrgkitError('invitation_expired')
  if (invitation.status !== 'pending') throw settledError(invitation, now)
  return invitation
}

export async function acceptInvitation(
  ctx: Context,
  actor: Actor,
  input: RespondToInvitationInput,
): Promise<MemberWithUser> {
  const user = requireUser(actor, invitationRules.accept.what)
  const data = parseInput(respondToInvitationSchema, input)
  const email = await emailOf(ctx, user)
  const ref = 'token' in data ? { tokenHash: hashSecret(data.token) } : { id: data.id }
  return mutate(ctx, actor, async ({ tx, now, record, recordWith }) => {
    // The invitation is read with the organization's lock, in one statement with the
    // inviter's membership and the user, and with its global lookup where the storage can.
    const locked = await lockInvitation(tx, ref, user.userId)
    if (!locked) throw notFound('Invitation not found.')
    const { organization, invitation, inviter, user: account } = locked
    const organizationId = organization.id
    checkAddressee(ctx, user, 'token' in data, email, invitation, true)
    // Past its expiry: refused, and left as it is (a refusal changes nothing; a resend revives it).
    if (invitation.status === 'pending' && isExpired(invitation, now)) throw new OrgkitError('invitation_expired')
    if (invitation.status !== 'pending') throw settledError(invitation, now)
    // The inviter must still be able to grant the role. A demoted or departed inviter's
    // invitations grant nothing they could not grant now; a role deleted meanwhile grants nothing.
    const roles = await ctx.roles.forOrganization(tx, organization)
    const role = roles.get(invitation.role)
    if (!role) {
      throw new OrgkitError(
        'forbidden',
        `The role "${invitation.role}" this invitation grants no longer exists; ask for a new invitation.`,
      )
    }
    if (!inviter || !mayGrant({ role: roleIn(roles, inviter.role), owner: inviter.role === OWNER_ROLE }, role)) {
      throw new OrgkitError('forbidden', 'The inviter can no longer grant this role; ask for a new invitation.')
    }
    // The limit comes first, so that a refused accept writes nothing.
    assertMemberRoom(ctx, organization)
    const member = { organizationId, userId: user.userId, role: role.key, joinedAt: now }
    // The events travel with the write: the storage may write them in its statement.
    const events = [
      {
        organizationId,
        action: 'invitation.accepted',
        target: { type: 'invitation', id: invitation.id },
        changes: { role: role.key, ...(invitation.teamIds.length > 0 ? { teamIds: invitation.teamIds } : {}) },
      },
      {
        organizationId,
        action: 'member.added',
        target: { type: 'user', id: user.userId },
        changes: { role: role.key, via: 'invitation', invitationId: invitation.id },
      },
    ] as const
    // The invitation is consumed and the membership written together. The invitation was read
    // locked above, as committed once the lock was granted, and stays locked until the commit:
    // its status checked above is the one the write finds, so a losing accept (or one racing
    // a revoke or decline) waited for the lock and was answered from the status it read. The
    // write's own condition (`pending`, unexpired) still decides, and its answers keep that
    // order: a settled invitation before "already a member". A refusal throws, which records
    // no event and rolls back whatever the write did.
    await recordWith(events, async (trail) => {
      const outcome = await tx.invitations.accept(invitation.id, member, trail)
      if (outcome === 'settled') {
        throw settledError((await tx.invitations.find(organizationId, invitation.id)) ?? invitation, now)
      }
      if (outcome === 'duplicate') throw new OrgkitError('conflict', 'You are already a member of this organization.')
    })
    // The teams the invitation names, as they are now: one deleted since is skipped.
    for (const team of await tx.teams.findMany(organizationId, invitation.teamIds)) {
      const teamRole = ctx.defaultTeamRole
      await tx.teamMembers.insert({
        organizationId,
        teamId: team.id,
        userId: user.userId,
        role: teamRole,
        joinedAt: now,
      })
      await record({
        organizationId,
        action: 'team_member.added',
        target: { type: 'user', id: user.userId },
        changes: { teamId: team.id, role: teamRole },
      })
    }
    // The answer: the membership as written, with the user read under the lock.
    const summary = account ?? { email: null, username: null, name: null, imageUrl: null }
    return { ...member, user: { ...summary, id: user.userId } }
  })
}

export async function declineInvitation(ctx: Context, actor: Actor, input: RespondToInvitationInput): Promise<void> {
  const user = requireUser(actor, invitationRules.decline.what)
  const invitation = await addressedTo(ctx, user, input)
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    const declined = await tx.invitations.transition(invitation.organizationId, invitation.id, {
      to: 'declined',
      respondedBy: user.userId,
      now,
    })
    if (!declined) {
      throw settledError((await tx.invitations.find(invitation.organizationId, invitation.id)) ?? invitation, now)
    }
    await record({
      organizationId: invitation.organizationId,
      action: 'invitation.declined',
      target: { type: 'invitation', id: invitation.id },
      changes: {},
    })
  })
}

/**
 * The invitation `ref` names, locked for acceptance: found through its global lookup in the
 * locking statement where the storage can (`organizations.lockInvitationForAcceptance`),
 * otherwise located first and then locked.
 */
async function lockInvitation(
  tx: TransactionRepositories,
  ref: InvitationRef,
  userId: string,
): Promise<LockedInvitation | null> {
  const { organizations, invitations } = tx
  const inOne = organizations.lockInvitationForAcceptance
  if (inOne !== undefined) return inOne.call(organizations, ref, userId)
  const place = await invitations.locate(ref)
  return place === null ? null : organizations.lockForAcceptance(place.organizationId, place.id, userId)
}

/** Invitations, as `orgkit.as(actor).invitations`. */
export function invitationsApi(ctx: Context, actor: Actor) {
  return {
    /** The organization's invitations, newest first; `status` filters. Needs `invitations.read`. */
    list: (org: string, input?: ListInvitationsInput): Promise<Page<InvitationView>> =>
      listInvitations(ctx, actor, org, input),
    /** Invites an email with a role (and teams); the only time besides `resend` that the token is returned. */
    create: (org: string, input: CreateInvitationInput): Promise<IssuedInvitation> =>
      createInvitation(ctx, actor, org, input),
    /** Rotates the token (the old one stops working) and extends the expiry. */
    resend: (org: string, id: string): Promise<IssuedInvitation> => resendInvitation(ctx, actor, org, id),
    revoke: (org: string, id: string): Promise<void> => revokeInvitation(ctx, actor, org, id),
    /** Pending invitations addressed to the signed-in user's email, in any organization. */
    mine: (input?: ListMyInvitationsInput): Promise<Page<InvitationView>> => listMyInvitations(ctx, actor, input),
    preview: (input: PreviewInvitationInput): Promise<InvitationPreview> => previewInvitation(ctx, actor, input),
    /** Consumes the invitation and creates the membership (and team memberships), in one transaction. */
    accept: (input: RespondToInvitationInput): Promise<MemberWithUser> => acceptInvitation(ctx, actor, input),
    decline: (input: RespondToInvitationInput): Promise<void> => declineInvitation(ctx, actor, input),
  }
}

export type InvitationsApi = ReturnType<typeof invitationsApi>
