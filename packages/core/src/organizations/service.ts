import { createHash } from 'node:crypto'
import {
  type Access,
  authorize,
  authorizeForUpdate,
  authorizeWithRead,
  findOrganization,
  lockedTarget,
  requireUser,
} from '../authorization/access'
import { OWNER_ROLE } from '../authorization/permissions'
import type { Context } from '../runtime/context'
import { mutate, mutateAtomically } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { createId } from '../shared/ids'
import { mapPage, type Page, pageInput } from '../shared/pagination'
import type {
  Actor,
  JsonObject,
  OrganizationPatch,
  OrganizationRecord,
  TeamMemberRecord,
  UserActor,
} from '../shared/types'
import { invalid, parseInput } from '../shared/validate'
import type { TransactionRepositories } from '../storage/port'
import { organizationRules } from './rules'
import {
  type CreateOrganizationInput,
  createOrganizationSchema,
  type ListOrganizationsInput,
  listOrganizationsSchema,
  type TransferOwnershipInput,
  transferOwnershipSchema,
  type UpdateOrganizationInput,
  updateOrganizationSchema,
} from './schemas'
import { slugCandidates } from './slug'

/**
 * An organization as a caller sees it: with the counts and the caller's role (`null` for a
 * non-member), and any fields the host adds with `organizationFields`.
 */
export interface OrganizationView extends OrganizationRecord {
  role: string | null
  /**
   * With `organizationFields`: the fields the host added (also spread onto the view, under
   * orgkit's own). The HTTP serializer, which picks orgkit's fields one by one, takes the
   * host's from here.
   */
  hostFields?: JsonObject
}

/** What the caller may do in an organization (`GET /organizations/{org}/permissions`). */
export interface PermissionSummary {
  role: string | null
  permissions: string[]
  teams: { teamId: string; role: string; permissions: string[] }[]
}

/** The role that a previous owner gets when ownership is transferred. */
const FORMER_OWNER_ROLE = 'admin'

/** The caller's view: counts, the caller's role, and only public fields for a public viewer. */
function view(access: Pick<Access, 'organization' | 'member' | 'publicView'>): OrganizationView {
  const { organization } = access
  if (access.publicView) {
    return {
      ...organization,
      contactEmail: null,
      contactPhone: null,
      metadata: {},
      privateMetadata: {},
      role: null,
    }
  }
  return { ...organization, role: access.member?.role ?? null }
}

function checkIndustry(ctx: Context, industry: string | null | undefined): void {
  if (industry == null) return
  if (!ctx.industries.includes(industry)) {
    throw invalid('industry', `Unknown industry "${industry}"; GET /industries lists the choices.`)
  }
}

function isReservedSlug(ctx: Context, slug: string): boolean {
  return ctx.reservedSlugs.has(slug) || slug.startsWith(PERSONAL_SLUG_PREFIX)
}

function checkSlug(ctx: Context, slug: string): void {
  if (isReservedSlug(ctx, slug)) throw invalid('slug', `The slug "${slug}" is reserved.`)
}

async function viewOf(
  ctx: Context,
  access: Pick<Access, 'organization' | 'member' | 'publicView'>,
): Promise<OrganizationView> {
  return (await withHostFields(ctx, [view(access)]))[0]!
}

/**
 * Adds the host's derived fields (`organizationFields`) to the views of one response, in
 * one call. orgkit's own fields win over a host field of the same name.
 */
async function withHostFields(ctx: Context, views: OrganizationView[]): Promise<OrganizationView[]> {
  const extend = ctx.options.organizationFields
  if (extend === undefined || views.length === 0) return views
  const extras = await extend(views)
  if (!Array.isArray(extras) || extras.length !== views.length) {
    throw new TypeError('organizationFields must return one object of fields per organization, in the same order')
  }
  return views.map((organization, i) => {
    const fields = { ...(extras[i] as JsonObject) }
    for (const key of [...Object.keys(organization), 'hostFields']) delete fields[key]
    return { ...fields, ...organization, hostFields: fields }
  })
}

async function withHostFieldsPage(ctx: Context, page: Page<OrganizationView>): Promise<Page<OrganizationView>> {
  return { ...page, data: await withHostFields(ctx, page.data) }
}

export async function listOrganizations(
  ctx: Context,
  actor: Actor,
  input: ListOrganizationsInput = {},
): Promise<Page<OrganizationView>> {
  const { limit, cursor, scope } = parseInput(listOrganizationsSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  if (scope === 'all') {
    if (actor.type === 'user' && actor.platformRole !== 'superadmin') {
      throw new OrgkitError('forbidden', 'Only platform staff can list every organization.')
    }
    if (actor.type === 'apiKey') throw new OrgkitError('forbidden', 'An API key cannot list every organization.')
    const all = await ctx.storage.organizations.listAll(page)
    return withHostFieldsPage(
      ctx,
      mapPage(all, (organization) => ({ ...organization, role: null })),
    )
  }
  if (actor.type === 'apiKey') {
    // A key belongs to exactly one organization: its "mine" is that one.
    const organization = await ctx.storage.organizations.findById(actor.organizationId)
    const data = organization ? await withHostFields(ctx, [{ ...organization, role: null }]) : []
    return { data, nextCursor: null, prevCursor: null, hasMore: false }
  }
  const user = requireUser(actor, 'list their organizations')
  if (ctx.options.personalOrganizations && page.cursor === null) await ensurePersonalOrganization(ctx, user)
  return withHostFieldsPage(ctx, await ctx.storage.organizations.listForUser(user.userId, page))
}

/** The fields a creator chooses; the rest of a new organization's row is the same for every one. */
type OrganizationProfile = Omit<
  OrganizationRecord,
  'id' | 'createdBy' | 'rolesVersion' | 'memberCount' | 'teamCount' | 'createdAt' | 'updatedAt'
>

/** A new organization's row: a fresh id, no members or teams yet, roles at their first version. */
function newOrganization(creator: UserActor, now: Date, profile: OrganizationProfile): OrganizationRecord {
  return {
    id: createId('organization'),
    ...profile,
    createdBy: creator.userId,
    rolesVersion: 0,
    memberCount: 0,
    teamCount: 0,
    createdAt: now,
    updatedAt: now,
  }
}

export async function createOrganization(
  ctx: Context,
  actor: Actor,
  input: CreateOrganizationInput,
): Promise<OrganizationView> {
  const user = requireUser(actor, organizationRules.create.what)
  const data = parseInput(createOrganizationSchema, input)
  if (data.slug !== undefined) checkSlug(ctx, data.slug)
  checkIndustry(ctx, data.industry)
  const limit = ctx.options.limits?.organizationsPerUser
  // Each attempt is one atomic insert that writes nothing unless it inserts: with no
  // `before` hook, no transaction around them (on PostgreSQL the insert is one statement).
  const actions = ['organization.created', 'member.added'] as const
  const created = await mutateAtomically(ctx, actor, actions, async ({ repositories, now, recordWith }) => {
    const organization = newOrganization(user, now, {
      slug: data.slug ?? '',
      name: data.name,
      type: 'team',
      description: data.description ?? null,
      logoUrl: data.logoUrl ?? null,
      websiteUrl: data.websiteUrl ?? null,
      industry: data.industry ?? null,
      visibility: data.visibility ?? 'private',
      contactEmail: data.contactEmail ?? null,
      contactPhone: data.contactPhone ?? null,
      timezone: data.timezone ?? null,
      metadata: (data.metadata ?? {}) as JsonObject,
      privateMetadata: (data.privateMetadata ?? {}) as JsonObject,
    })
    const owner = { userId: user.userId, role: OWNER_ROLE }
    const creatorSlot = { limit: limit ?? null }
    // Each attempt carries its events (they name the slug): the storage may write them in
    // the insert's statement, and an attempt that finds its slug taken writes none. The
    // creator's slot is claimed with the organization (one conditional write on the user's
    // count: concurrent creates at the limit cannot both pass), so only by the attempt whose
    // slug is free.
    const insert = () =>
      recordWith(
        [
          {
            organizationId: organization.id,
            action: 'organization.created',
            target: { type: 'organization', id: organization.id },
            changes: { name: organization.name, slug: organization.slug },
          },
          {
            organizationId: organization.id,
            action: 'member.added',
            target: { type: 'user', id: user.userId },
            changes: { role: OWNER_ROLE, via: 'organization' },
          },
        ],
        async (events) => {
          const inserted = await repositories.organizations.insert(organization, owner, events, creatorSlot)
          if (inserted === 'limit_reached') {
            throw new OrgkitError('limit_exceeded', `You can create at most ${limit} organizations.`)
          }
          return inserted === 'inserted'
        },
      )
    await claimSlug(ctx, organization, data.slug === undefined, insert)
    return { ...organization, memberCount: 1, role: OWNER_ROLE }
  })
  return (await withHostFields(ctx, [created]))[0]!
}

/**
 * Inserts the organization under its slug (`insert` writes it under `organization.slug`, its
 * owner and its events; `false` when the slug is taken). A given slug that is taken is a
 * conflict; a generated one moves on to the next candidate. The storage's claim is atomic,
 * so two concurrent creates never share a slug.
 */
async function claimSlug(
  ctx: Context,
  organization: OrganizationRecord,
  generated: boolean,
  insert: () => Promise<boolean>,
): Promise<void> {
  if (!generated) {
    if (!(await insert())) {
      throw new OrgkitError('conflict', `The slug "${organization.slug}" is taken.`)
    }
    return
  }
  let attempts = 0
  for (const candidate of slugCandidates(organization.name, (slug) => isReservedSlug(ctx, slug))) {
    organization.slug = candidate
    if (await insert()) return
    if (++attempts >= 8) break
  }
  throw new OrgkitError('conflict', 'Could not find a free slug for this name; give one explicitly.')
}

export async function getOrganization(ctx: Context, actor: Actor, ref: string): Promise<OrganizationView> {
  const access = await authorize(ctx, ctx.storage, actor, ref, organizationRules.get)
  return viewOf(ctx, access)
}

export async function getPublicOrganization(ctx: Context, ref: string): Promise<OrganizationView> {
  const organization = ref === 'me' ? null : await findOrganization(ctx.storage, { type: 'system' }, ref)
  if (organization?.visibility !== 'public') throw new OrgkitError('unauthenticated')
  return viewOf(ctx, { organization, member: null, publicView: true })
}

export async function updateOrganization(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: UpdateOrganizationInput,
): Promise<OrganizationView> {
  const data = parseInput(updateOrganizationSchema, input)
  if (data.slug !== undefined) checkSlug(ctx, data.slug)
  checkIndustry(ctx, data.industry)
  const updatedView = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, organizationRules.update)
    const before = access.organization
    const patch: OrganizationPatch = {}
    const changes: JsonObject = {}
    for (const [field, value] of Object.entries(data) as [keyof OrganizationPatch, unknown][]) {
      if (value === undefined || JSON.stringify(value) === JSON.stringify(before[field])) continue
      ;(patch as Record<string, unknown>)[field] = value
      // Private metadata is server-side only, and the audit trail is readable by members.
      changes[field] = field === 'privateMetadata' ? { changed: true } : { from: before[field], to: value }
    }
    if (Object.keys(patch).length === 0) return view(access)
    const updated = await tx.organizations.update(before.id, patch, now)
    if (updated === 'slug_taken') throw new OrgkitError('conflict', `The slug "${data.slug}" is taken.`)
    if (!updated) throw notFound('Organization not found.')
    await record({
      organizationId: before.id,
      action: 'organization.updated',
      target: { type: 'organization', id: before.id },
      changes,
    })
    return view({ ...access, organization: updated })
  })
  return (await withHostFields(ctx, [updatedView]))[0]!
}

export async function deleteOrganization(ctx: Context, actor: Actor, ref: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, announce }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, organizationRules.delete)
    const { organization } = access
    if (organization.type === 'personal' && actor.type !== 'system') {
      throw new OrgkitError('conflict', 'A personal organization cannot be deleted.')
    }
    // Its audit trail goes with it; listeners still hear of the deletion. The hooks run
    // first, while the organization and the host's rows are still there to read (or to move
    // elsewhere, through the transaction they receive); a hook that throws costs no deletion.
    await announce({
      organizationId: organization.id,
      action: 'organization.deleted',
      target: { type: 'organization', id: organization.id },
      changes: { name: organization.name, slug: organization.slug },
    })
    await tx.organizations.delete(organization.id)
  })
}

export async function leaveOrganization(ctx: Context, actor: Actor, ref: string): Promise<void> {
  const user = requireUser(actor, 'leave an organization')
  await mutate(ctx, actor, async ({ tx, now, recordWith }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, organizationRules.leave)
    const { organization, member } = access
    if (!member) throw notFound('Organization not found.')
    if (organization.type === 'personal')
      throw new OrgkitError('conflict', 'You cannot leave your personal organization.')
    await assertOwnerRemains(tx, organization.id, member.role)
    const event = {
      organizationId: organization.id,
      action: 'member.left',
      target: { type: 'user', id: user.userId },
      changes: { role: member.role },
    } as const
    await recordWith([event], (events) => tx.members.delete(organization.id, user.userId, events))
    await tx.apiKeys.revokeCreatedBy(organization.id, user.userId, now)
  })
}

/**
 * At least one owner: refuses a change that takes the owner role from `currentRole` when it
 * is the last owner. Callers hold the organization's row lock, so two such changes never
 * both see two owners.
 */
export async function assertOwnerRemains(
  tx: TransactionRepositories,
  organizationId: string,
  currentRole: string,
): Promise<void> {
  if (currentRole !== OWNER_ROLE) return
  if ((await tx.members.countWithRole(organizationId, OWNER_ROLE)) <= 1) {
    throw new OrgkitError('last_owner')
  }
}

export async function transferOwnership(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: TransferOwnershipInput,
): Promise<OrganizationView> {
  const user = requireUser(actor, 'transfer ownership')
  const { userId } = parseInput(transferOwnershipSchema, input)
  const transferred = await mutate(ctx, actor, async ({ tx, recordWith }) => {
    // The new owner is read with the lock, as committed when it is granted (PostgreSQL locks
    // their row with it): one removed or demoted meanwhile is seen so, and the role changes
    // below find the row they read.
    const access = await authorizeForUpdate(ctx, tx, actor, ref, organizationRules.transferOwnership, {
      readMember: userId,
    })
    const { organization } = access
    if (userId === user.userId) throw invalid('userId', 'You already own this organization.')
    const target = await lockedTarget(tx, access, userId)
    if (organization.type === 'personal') throw new OrgkitError('conflict', 'A personal organization has one owner.')
    if (target.role !== OWNER_ROLE) await tx.members.updateRole(organization.id, userId, OWNER_ROLE)
    // The event travels with the caller's step down: the storage may write both in one statement.
    const event = {
      organizationId: organization.id,
      action: 'organization.ownership_transferred',
      target: { type: 'user', id: userId },
      changes: { from: user.userId, to: userId },
    } as const
    await recordWith([event], (events) =>
      tx.members.updateRole(organization.id, user.userId, FORMER_OWNER_ROLE, events),
    )
    return view({ ...access, member: { ...access.member!, role: FORMER_OWNER_ROLE } })
  })
  return (await withHostFields(ctx, [transferred]))[0]!
}

/**
 * The permission map's authorization, and the member's team memberships: read with the
 * organization where the storage can (`organizations.findWithMemberships`), else after it.
 */
async function authorizeWithTeams(
  ctx: Context,
  actor: Actor,
  ref: string,
): Promise<{ access: Access; teams: TeamMemberRecord[] }> {
  const storage = ctx.storage
  const findWithMemberships = storage.organizations.findWithMemberships
  if (actor.type === 'user' && findWithMemberships !== undefined) {
    const found = await authorizeWithRead(ctx, storage, actor, ref, organizationRules.permissions, (id) =>
      findWithMemberships.call(storage.organizations, id, actor.userId),
    )
    return { access: found.access, teams: found.access.member === null ? [] : found.teams }
  }
  const access = await authorize(ctx, storage, actor, ref, organizationRules.permissions)
  const teams = access.member ? await storage.teamMembers.listForUser(access.organization.id, access.member.userId) : []
  return { access, teams }
}

export async function organizationPermissions(ctx: Context, actor: Actor, ref: string): Promise<PermissionSummary> {
  const { access, teams } = await authorizeWithTeams(ctx, actor, ref)
  const role = access.role ?? access.roles.get(OWNER_ROLE)!
  return {
    role: access.member?.role ?? (actor.type === 'apiKey' ? actor.role : null),
    permissions: [...role.permissions],
    teams: teams.map((membership) => ({
      teamId: membership.teamId,
      role: membership.role,
      permissions: [...(ctx.teamRoles.get(membership.role)?.permissions ?? [])],
    })),
  }
}

/**
 * With `personalOrganizations`, every user has one personal organization, created on
 * first need. The slug claim makes a concurrent second creation fail harmlessly: the
 * loser finds the winner's organization.
 */
export async function ensurePersonalOrganization(ctx: Context, user: UserActor): Promise<void> {
  const slug = personalSlug(user.userId)
  if (await ctx.storage.organizations.findBySlug(slug)) return
  await mutate(ctx, user, async ({ tx, now, recordWith }) => {
    const organization = newOrganization(user, now, {
      slug,
      name: 'Personal',
      type: 'personal',
      description: null,
      logoUrl: null,
      websiteUrl: null,
      industry: null,
      visibility: 'private',
      contactEmail: null,
      contactPhone: null,
      timezone: null,
      metadata: {},
      privateMetadata: {},
    })
    // A lost race writes nothing, its events included.
    await recordWith(
      [
        {
          organizationId: organization.id,
          action: 'organization.created',
          target: { type: 'organization', id: organization.id },
          changes: { name: organization.name, slug, type: 'personal' },
        },
        {
          organizationId: organization.id,
          action: 'member.added',
          target: { type: 'user', id: user.userId },
          changes: { role: OWNER_ROLE, via: 'personal' },
        },
      ],
      async (events) =>
        (await tx.organizations.insert(organization, { userId: user.userId, role: OWNER_ROLE }, events)) === 'inserted',
    )
  })
}

/**
 * A personal organization's slug is derived from the user id, so it is found without an
 * extra index and two concurrent creations collide on the slug claim.
 */
export function personalSlug(userId: string): string {
  return `${PERSONAL_SLUG_PREFIX}${createHash('sha256').update(userId).digest('hex').slice(0, 24)}`
}

/** Reserved for personal organizations: nobody can squat another user's personal slug. */
const PERSONAL_SLUG_PREFIX = 'personal-'

export { findOrganization }

/** Organizations, as `orgkit.as(actor).organizations`. */
export function organizationsApi(ctx: Context, actor: Actor) {
  return {
    /** The caller's organizations with its role; platform staff pass `scope: 'all'` for every organization. */
    list: (input?: ListOrganizationsInput): Promise<Page<OrganizationView>> => listOrganizations(ctx, actor, input),
    /** Creates an organization; the caller becomes its owner. */
    create: (input: CreateOrganizationInput): Promise<OrganizationView> => createOrganization(ctx, actor, input),
    /** `org`: a slug, an `org_…` id, or `me`. */
    get: (org: string): Promise<OrganizationView> => getOrganization(ctx, actor, org),
    update: (org: string, input: UpdateOrganizationInput): Promise<OrganizationView> =>
      updateOrganization(ctx, actor, org, input),
    /** Deletes the organization and everything it owns. Needs `organization.delete`. */
    delete: (org: string): Promise<void> => deleteOrganization(ctx, actor, org),
    /** The caller leaves; the last owner cannot (`last_owner`). */
    leave: (org: string): Promise<void> => leaveOrganization(ctx, actor, org),
    /** Owner only: makes another member owner; the caller becomes `admin`. */
    transferOwnership: (org: string, input: TransferOwnershipInput): Promise<OrganizationView> =>
      transferOwnership(ctx, actor, org, input),
    /** What the caller may do here: its role's permissions and its team roles'. */
    permissions: (org: string): Promise<PermissionSummary> => organizationPermissions(ctx, actor, org),
  }
}

export type OrganizationsApi = ReturnType<typeof organizationsApi>
