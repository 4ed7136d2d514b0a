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
import type { PreviewInvitationInput, RespondToInvitationInput } from '../invitations/schemas'
import { acceptInvitation, type InvitationPreview, previewInvitation } from '../invitations/service'
import { assertMemberRoom } from '../members/service'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { isOrgkitError, notFound, OrgkitError } from '../shared/errors'
import { createId } from '../shared/ids'
import { type Page, pageInput } from '../shared/pagination'
import { hashSecret, randomSecret } from '../shared/secrets'
import type { Actor, MemberWithUser } from '../shared/types'
import { parseInput } from '../shared/validate'
import type { InvitationLinkRecord } from '../storage/enrollment'
import { canonicalDomain } from './domain-name'
import { verifiedEmailDomain } from './join'
import { enrollmentRules } from './rules'
import {
  type CreateInvitationLinkInput,
  createInvitationLinkSchema,
  type ListInvitationLinksInput,
  listInvitationLinksSchema,
} from './schemas'

/** A link as listed: never its token or the token's hash. */
export interface InvitationLinkView {
  id: string
  organizationId: string
  role: string
  expiresAt: Date | null
  maxUses: number | null
  uses: number
  domain: string | null
  createdBy: string
  createdAt: Date
  revokedAt: Date | null
}

/** What create returns, once: the token and the link built from it. */
export interface IssuedInvitationLink extends InvitationLinkView {
  token: string
  url: string
}

/** What a link's token shows before it is used (`POST /invitations/preview`). */
export interface InvitationLinkPreview {
  organization: { id: string; slug: string; name: string; logoUrl: string | null }
  role: string
  status: 'pending' | 'revoked' | 'expired'
  expired: boolean
  expiresAt: Date | null
  invitedBy: { userId: string; username: string | null; name: string | null }
  link: { id: string; domain: string | null; usesLeft: number | null }
}

/** 256 random bits, base64url, like an invitation's token. */
const TOKEN_BYTES = 32

export function toLinkView(link: InvitationLinkRecord): InvitationLinkView {
  return {
    id: link.id,
    organizationId: link.organizationId,
    role: link.role,
    expiresAt: link.expiresAt,
    maxUses: link.maxUses,
    uses: link.uses,
    domain: link.domain,
    createdBy: link.createdBy,
    createdAt: link.createdAt,
    revokedAt: link.revokedAt,
  }
}

const isExpired = (link: InvitationLinkRecord, now: Date) =>
  link.expiresAt !== null && link.expiresAt.getTime() <= now.getTime()

/** Why a link takes no more users, or `null` when it still does. */
function unusable(link: InvitationLinkRecord, now: Date): OrgkitError | null {
  if (link.revokedAt !== null) return new OrgkitError('link_revoked')
  if (isExpired(link, now)) return new OrgkitError('link_expired')
  if (link.maxUses !== null && link.uses >= link.maxUses) return new OrgkitError('link_exhausted')
  return null
}

/** The user a link is created on behalf of: the signed-in user, or an API key's creator. */
function creatorOf(actor: Actor): string {
  if (actor.type === 'user') return actor.userId
  if (actor.type === 'apiKey') return actor.createdBy
  throw new OrgkitError('forbidden', 'An invitation link needs a creator: call this as a user, e.g. orgkit.as(user).')
}

export async function listInvitationLinks(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListInvitationLinksInput = {},
): Promise<Page<InvitationLinkView>> {
  const { limit, cursor } = parseInput(listInvitationLinksSchema, input)
  const page = pageInput({ limit, cursor })
  const read = { list: 'invitationLinks', input: [page] } as const
  const found = await authorizedPage(ctx, ctx.storage, actor, ref, enrollmentRules.listInvitationLinks, read)
  return { ...found, data: found.data.map(toLinkView) }
}

export async function createInvitationLink(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: CreateInvitationLinkInput,
): Promise<IssuedInvitationLink> {
  const data = parseInput(createInvitationLinkSchema, input)
  const createdBy = creatorOf(actor)
  const token = randomSecret(TOKEN_BYTES)
  const link = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.createInvitationLink)
    const { organization } = access
    if (organization.type === 'personal') {
      throw new OrgkitError('conflict', 'A personal organization takes no invitations.')
    }
    const role = assignableRole(access.roles, data.role)
    // A link is handed to people nobody has named: it never makes an owner.
    if (role.key === OWNER_ROLE) throw new OrgkitError('forbidden', 'An invitation link cannot grant the owner role.')
    assertMayGrant(access, role)
    const expiresAt = data.expiresAt === undefined ? null : new Date(data.expiresAt)
    if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
      throw new OrgkitError('validation_failed', 'expiresAt must be in the future.', {
        details: [{ path: 'expiresAt', message: 'Must be in the future' }],
      })
    }
    let domain: string | null = null
    if (data.domain !== undefined) {
      domain = canonicalDomain(data.domain)
      const held = domain === null ? null : await tx.domains.find(organization.id, domain)
      if (held === null || held.status !== 'verified') {
        throw new OrgkitError(
          'domain_unverified',
          'A link can only be restricted to a domain this organization has verified.',
        )
      }
    }
    const created: InvitationLinkRecord = {
      id: createId('invitationLink'),
      organizationId: organization.id,
      role: role.key,
      tokenHash: hashSecret(token),
      expiresAt,
      maxUses: data.maxUses ?? null,
      uses: 0,
      domain,
      createdBy,
      createdAt: now,
      revokedAt: null,
    }
    await tx.invitationLinks.insert(created)
    await record({
      organizationId: organization.id,
      action: 'invitation_link.created',
      target: { type: 'invitation_link', id: created.id },
      changes: {
        role: created.role,
        ...(expiresAt === null ? {} : { expiresAt: expiresAt.toISOString() }),
        ...(created.maxUses === null ? {} : { maxUses: created.maxUses }),
        ...(domain === null ? {} : { domain }),
      },
    })
    return created
  })
  const url = ctx.enrollment.linkUrl(token)
  return { ...toLinkView(link), token, url }
}

export async function revokeInvitationLink(ctx: Context, actor: Actor, ref: string, id: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, now, record }) => {
    const { organization } = await authorize(ctx, tx, actor, ref, enrollmentRules.revokeInvitationLink)
    const current = await tx.invitationLinks.find(organization.id, id)
    if (!current) throw notFound('Invitation link not found.')
    if (current.revokedAt !== null) return // revoking twice is revoking once
    await tx.invitationLinks.revoke(organization.id, id, now)
    await record({
      organizationId: organization.id,
      action: 'invitation_link.revoked',
      target: { type: 'invitation_link', id },
      changes: { uses: current.uses },
    })
  })
}

/** The link a token names, by its global lookup: `null` when the token is no link's. */
export async function locateLink(ctx: Context, token: string): Promise<{ organizationId: string; id: string } | null> {
  return ctx.storage.invitationLinks.locate(hashSecret(token))
}

export async function previewInvitationLink(
  ctx: Context,
  place: { organizationId: string; id: string },
): Promise<InvitationLinkPreview | null> {
  const [link, organization] = await Promise.all([
    ctx.storage.invitationLinks.find(place.organizationId, place.id),
    ctx.storage.organizations.findById(place.organizationId),
  ])
  if (!link || !organization) return null
  const creator = await ctx.storage.users.findById(link.createdBy)
  const now = ctx.now()
  const expired = isExpired(link, now)
  return {
    organization: {
      id: organization.id,
      slug: organization.slug,
      name: organization.name,
      logoUrl: organization.logoUrl,
    },
    role: link.role,
    status: link.revokedAt !== null ? 'revoked' : expired ? 'expired' : 'pending',
    expired,
    expiresAt: link.expiresAt,
    invitedBy: { userId: link.createdBy, username: creator?.username ?? null, name: creator?.name ?? null },
    link: {
      id: link.id,
      domain: link.domain,
      usesLeft: link.maxUses === null ? null : Math.max(0, link.maxUses - link.uses),
    },
  }
}

/**
 * Joins through a link's token: one use counted with one conditional update, under the
 * organization's lock, in the transaction that writes the membership. Of concurrent uses of a
 * link with `maxUses` left, exactly that many succeed; the rest answer `link_exhausted`.
 */
export async function acceptInvitationLink(
  ctx: Context,
  actor: Actor,
  place: { organizationId: string; id: string },
): Promise<MemberWithUser> {
  const user = requireUser(actor, enrollmentRules.acceptInvitationLink.what)
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    const locked = await tx.organizations.lockWithMember(place.organizationId, user.userId)
    const link = locked === null ? null : await tx.invitationLinks.find(place.organizationId, place.id)
    if (locked === null || link === null) throw notFound('Invitation not found.')
    const refusal = unusable(link, now)
    if (refusal !== null) throw refusal
    if (link.domain !== null) {
      // Restricted to a domain: the address must be on it, and verified by the host.
      const address = verifiedEmailDomain({ ...user, emailVerified: true })
      if (address?.domain !== link.domain) {
        throw new OrgkitError('email_mismatch', `This invitation link is for addresses at ${link.domain}.`)
      }
      if (user.emailVerified !== true) throw new OrgkitError('email_unverified')
    }
    if (locked.member !== null) throw new OrgkitError('conflict', 'You are already a member of this organization.')
    // The creator must still be able to grant the role: a demoted or departed creator's links
    // grant nothing they could not grant now, and a role deleted meanwhile grants nothing.
    const roles = await ctx.roles.forOrganization(tx, locked.organization)
    const role = roles.get(link.role)
    const creator = await tx.members.find(place.organizationId, link.createdBy)
    if (
      !creator ||
      !role ||
      role.key === OWNER_ROLE ||
      !mayGrant({ role: roleIn(roles, creator.role), owner: creator.role === OWNER_ROLE }, role)
    ) {
      throw new OrgkitError('forbidden', 'The link can no longer grant this role; ask for a new one.')
    }
    assertMemberRoom(ctx, locked.organization)
    if (!(await tx.invitationLinks.consume(place.organizationId, link.id, now))) {
      throw (
        unusable((await tx.invitationLinks.find(place.organizationId, link.id)) ?? link, now) ??
        new OrgkitError('link_exhausted')
      )
    }
    const member = { organizationId: place.organizationId, userId: user.userId, role: role.key, joinedAt: now }
    if (!(await tx.members.insert(member))) {
      throw new OrgkitError('conflict', 'You are already a member of this organization.')
    }
    await record({
      organizationId: place.organizationId,
      action: 'member.added',
      target: { type: 'user', id: user.userId },
      changes: { role: role.key, via: 'link', linkId: link.id },
    })
    const account = await tx.users.findById(user.userId)
    const summary = account ?? { id: user.userId, email: null, username: null, name: null, imageUrl: null }
    return { ...member, user: { ...summary, id: user.userId } }
  })
}

/** Shareable invitation links, as `orgkit.as(actor).invitationLinks`. */
export function invitationLinksApi(ctx: Context, actor: Actor) {
  return {
    /** The organization's links, newest first, never their tokens. Needs `invitations.read`. */
    list: (org: string, input?: ListInvitationLinksInput): Promise<Page<InvitationLinkView>> =>
      listInvitationLinks(ctx, actor, org, input),
    /**
     * Creates a link granting `role` (never owner; one the caller may grant), with an optional
     * expiry, maximum number of uses and verified-domain restriction. The token and URL are
     * returned this once. Users accept it with `invitations.accept({ token })`. Needs `invitations.create`.
     */
    create: (org: string, input: CreateInvitationLinkInput): Promise<IssuedInvitationLink> =>
      createInvitationLink(ctx, actor, org, input),
    /** Revokes the link: its token answers `link_revoked` from then on. Needs `invitations.revoke`. */
    revoke: (org: string, id: string): Promise<void> => revokeInvitationLink(ctx, actor, org, id),
  }
}

export type InvitationLinksApi = ReturnType<typeof invitationLinksApi>

/** A token in an accept or preview input, as the invitations schema reads it; `null` when it names none. */
function tokenOf(input: unknown): string | null {
  const token = (input as { token?: unknown } | null)?.token
  return typeof token === 'string' ? token : null
}

/**
 * `invitations.accept` and `invitations.preview` taking an invitation link's token too. The
 * token is tried as an invitation's first (so accepting an invitation costs nothing more),
 * and only when it is none, as a link's.
 */
export function linkAwareInvitationsApi(ctx: Context, actor: Actor) {
  return {
    /**
     * Consumes the invitation and creates the membership (and team memberships), in one
     * transaction. An invitation link's token joins through the link, counting one use.
     */
    async accept(input: RespondToInvitationInput): Promise<MemberWithUser> {
      try {
        return await acceptInvitation(ctx, actor, input)
      } catch (error) {
        const token = tokenOf(input)
        if (!isOrgkitError(error) || error.code !== 'not_found' || token === null) throw error
        const place = await locateLink(ctx, token)
        if (place === null) throw error
        return acceptInvitationLink(ctx, actor, place)
      }
    },
    /** What an invitation's token, or an invitation link's, invites to. */
    async preview(input: PreviewInvitationInput): Promise<InvitationPreview | InvitationLinkPreview> {
      try {
        return await previewInvitation(ctx, actor, input)
      } catch (error) {
        const token = tokenOf(input)
        if (!isOrgkitError(error) || error.code !== 'not_found' || token === null) throw error
        const place = await locateLink(ctx, token)
        const preview = place === null ? null : await previewInvitationLink(ctx, place)
        if (preview === null) throw error
        return preview
      }
    },
  }
}
