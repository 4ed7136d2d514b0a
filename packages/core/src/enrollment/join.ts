import { findOrganization, requireUser } from '../authorization/access'
import { OWNER_ROLE } from '../authorization/permissions'
import { assertMemberRoom } from '../members/service'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { createId } from '../shared/ids'
import { type Page, pageInput } from '../shared/pagination'
import type { Actor, MemberWithUser, UserActor } from '../shared/types'
import { parseInput } from '../shared/validate'
import type { EnrollmentMode, JoinRequestRecord } from '../storage/enrollment'
import { emailDomain } from './domain-name'
import { enrollmentRules } from './rules'
import { type ListDiscoverableInput, listDiscoverableSchema } from './schemas'

/** An organization open to the caller's email domain, as discovery shows it: nothing private. */
export interface DiscoverableOrganization {
  id: string
  slug: string
  name: string
  logoUrl: string | null
  enrollment: Exclude<EnrollmentMode, 'none'>
}

/** What joining did: a membership (`auto`), or a join request to be decided (`suggest`). */
export type JoinOutcome =
  | { joined: MemberWithUser; requested?: undefined }
  | { requested: JoinRequestRecord; joined?: undefined }

/**
 * The domain of the signed-in user's email, when the host reports that email verified;
 * `null` otherwise. Only a verified address proves its owner receives mail there: an
 * unverified one could be anybody's typing.
 */
export function verifiedEmailDomain(user: UserActor): { email: string; domain: string } | null {
  if (user.emailVerified !== true || user.email === undefined) return null
  const email = user.email.trim().toLowerCase()
  const domain = emailDomain(email)
  return domain === null ? null : { email, domain }
}

/** The one answer for every organization a user cannot join by domain, whatever the reason. */
const notJoinable = () => notFound('Organization not found.')

export async function listDiscoverable(
  ctx: Context,
  actor: Actor,
  input: ListDiscoverableInput = {},
): Promise<Page<DiscoverableOrganization>> {
  const { limit, cursor } = parseInput(listDiscoverableSchema, input)
  const page = pageInput({ limit, cursor })
  const user = requireUser(actor, enrollmentRules.discoverable.what)
  const empty: Page<DiscoverableOrganization> = { data: [], nextCursor: null, prevCursor: null, hasMore: false }
  // A domain is held verified by one organization at most, so the list has one entry at
  // most: nothing follows a cursor.
  const address = verifiedEmailDomain(user)
  if (address === null || page.cursor !== null) return empty
  const holder = await ctx.storage.domains.findVerifiedHolder(address.domain)
  if (holder === null) return empty
  const domain = await ctx.storage.domains.find(holder, address.domain)
  if (domain === null || domain.status !== 'verified' || domain.enrollment === 'none') return empty
  const found = await ctx.storage.organizations.findWithMember({ id: holder }, user.userId)
  // Already in it: there is nothing to discover.
  if (found === null || found.member !== null) return empty
  const { organization } = found
  return {
    ...empty,
    data: [
      {
        id: organization.id,
        slug: organization.slug,
        name: organization.name,
        logoUrl: organization.logoUrl,
        enrollment: domain.enrollment,
      },
    ],
  }
}

export async function joinOrganization(ctx: Context, actor: Actor, ref: string): Promise<JoinOutcome> {
  const user = requireUser(actor, enrollmentRules.join.what)
  const address = verifiedEmailDomain(user)
  if (address === null) throw notJoinable()
  const organization = await findOrganization(ctx.storage, actor, ref)
  if (organization === null) throw notJoinable()
  return mutate(ctx, actor, async ({ tx, now, record }): Promise<JoinOutcome> => {
    // The organization's lock orders this join against other joins, adds and the member
    // limit; the membership comes with it.
    const locked = await tx.organizations.lockWithMember(organization.id, user.userId)
    if (locked === null) throw notJoinable()
    // Read under the lock: a domain closed or removed meanwhile lets nobody in. Only the
    // organization holding a domain verified has it `verified`.
    const domain = await tx.domains.find(organization.id, address.domain)
    if (domain === null || domain.status !== 'verified' || domain.enrollment === 'none') throw notJoinable()
    if (locked.member !== null) throw new OrgkitError('conflict', 'You are already a member of this organization.')
    if (domain.enrollment === 'suggest') {
      const request: JoinRequestRecord = {
        id: createId('joinRequest'),
        organizationId: organization.id,
        userId: user.userId,
        email: address.email,
        domain: domain.domain,
        status: 'pending',
        role: null,
        decidedBy: null,
        decidedAt: null,
        createdAt: now,
        updatedAt: now,
      }
      if (!(await tx.joinRequests.insert(request))) {
        throw new OrgkitError('conflict', 'You have already asked to join this organization.')
      }
      await record({
        organizationId: organization.id,
        action: 'join_request.created',
        target: { type: 'join_request', id: request.id },
        changes: { userId: user.userId, domain: domain.domain },
      })
      return { requested: request }
    }
    // `auto`: the domain's role as it is now. One deleted since (a custom role) grants nothing.
    const roles = await ctx.roles.forOrganization(tx, locked.organization)
    const role = roles.get(domain.role)
    if (role === undefined || role.key === OWNER_ROLE) {
      throw new OrgkitError('conflict', "This domain's role no longer exists; ask an administrator.")
    }
    assertMemberRoom(ctx, locked.organization)
    const member = { organizationId: organization.id, userId: user.userId, role: role.key, joinedAt: now }
    if (!(await tx.members.insert(member))) {
      throw new OrgkitError('conflict', 'You are already a member of this organization.')
    }
    await record({
      organizationId: organization.id,
      action: 'member.added',
      target: { type: 'user', id: user.userId },
      changes: { role: role.key, via: 'domain', domain: domain.domain },
    })
    const account = await tx.users.findById(user.userId)
    const summary = account ?? { id: user.userId, email: null, username: null, name: null, imageUrl: null }
    return { joined: { ...member, user: { ...summary, id: user.userId } } }
  })
}
