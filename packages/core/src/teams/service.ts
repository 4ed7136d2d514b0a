import { type Access, assertHoldsAll, authorize, authorizedPage, authorizeForUpdate } from '../authorization/access'
import type { CompiledRole } from '../authorization/engine'
import { SLUG_PATTERN } from '../organizations/schemas'
import { slugify } from '../organizations/slug'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { notFound, OrgkitError } from '../shared/errors'
import { createId, createSortableId } from '../shared/ids'
import { type Page, pageInput } from '../shared/pagination'
import type { Actor, JsonObject, TeamMemberWithUser, TeamPatch, TeamRecord } from '../shared/types'
import { invalid, parseInput } from '../shared/validate'
import type { Repositories, TransactionRepositories } from '../storage/port'
import { teamRules } from './rules'
import {
  type AddTeamMemberInput,
  addTeamMemberSchema,
  type CreateTeamInput,
  createTeamSchema,
  type ListTeamMembersInput,
  type ListTeamsInput,
  listTeamMembersSchema,
  listTeamsSchema,
  type UpdateTeamInput,
  type UpdateTeamMemberInput,
  updateTeamMemberSchema,
  updateTeamSchema,
} from './schemas'

/** How many numbered slugs (`design-2` … `design-20`) a generated slug tries before a random suffix. */
const NUMBERED_SLUG_ATTEMPTS = 20

/**
 * `limits.teamsPerOrganization`, checked on the organization row the caller locked: the
 * count on it is kept by every team insert and delete, and the lock orders concurrent
 * creates, so the limit cannot be raced past.
 */
function assertTeamRoom(ctx: Context, access: Access): void {
  const limit = ctx.options.limits?.teamsPerOrganization
  if (limit !== undefined && access.organization.teamCount >= limit) {
    throw new OrgkitError('limit_exceeded', `This organization can have at most ${limit} teams.`)
  }
}

/** A configured team role, for assigning it; a 400 naming `role` when there is none such. */
function assignableTeamRole(ctx: Context, key: string): CompiledRole {
  const role = ctx.teamRoles.get(key)
  if (!role) throw invalid('role', `There is no team role "${key}".`)
  return role
}

/** A team role key stored earlier but no longer configured holds nothing. */
function storedTeamRolePermissions(ctx: Context, key: string): readonly string[] {
  return ctx.teamRoles.get(key)?.permissions ?? []
}

/** The team the access resolved; `authorize` with `{ team }` has already answered 404 otherwise. */
function teamOf(access: Access): TeamRecord {
  if (!access.team) throw notFound('Team not found.')
  return access.team
}

async function findMemberWithUser(
  repos: Repositories,
  organizationId: string,
  teamId: string,
  userId: string,
): Promise<TeamMemberWithUser> {
  const member = await repos.teamMembers.findWithUser(organizationId, teamId, userId)
  if (!member) throw notFound('Team member not found.')
  return member
}

/**
 * Inserts the team under its slug. A given slug that is taken is a conflict. A generated
 * one tries the name's slug, then `-2`, `-3`, …: the caller holds the organization's row
 * lock, so no other team of the organization is created in between and the numbers are
 * taken in order; after that, random suffixes. The storage's insert is the atomic claim.
 */
async function insertTeam(tx: TransactionRepositories, team: TeamRecord, generated: boolean): Promise<void> {
  if (!generated) {
    if (!(await tx.teams.insert(team))) throw new OrgkitError('conflict', `The slug "${team.slug}" is taken.`)
    return
  }
  const base = slugify(team.name) || 'team'
  const stem = base.slice(0, 44).replace(/-+$/, '')
  const candidates = [base]
  for (let n = 2; n <= NUMBERED_SLUG_ATTEMPTS; n++) candidates.push(`${stem}-${n}`)
  for (let i = 0; i < 5; i++) candidates.push(`${stem.slice(0, 41).replace(/-+$/, '')}-${createId('team').slice(-6)}`)
  for (const candidate of candidates) {
    if (!SLUG_PATTERN.test(candidate)) continue
    team.slug = candidate
    if (await tx.teams.insert(team)) return
  }
  throw new OrgkitError('conflict', 'Could not find a free slug for this name; give one explicitly.')
}

export async function listTeams(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: ListTeamsInput = {},
): Promise<Page<TeamRecord>> {
  const { limit, cursor } = parseInput(listTeamsSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  return authorizedPage(ctx, ctx.storage, actor, ref, teamRules.list, { list: 'teams', input: [page] })
}

export async function createTeam(ctx: Context, actor: Actor, ref: string, input: CreateTeamInput): Promise<TeamRecord> {
  const data = parseInput(createTeamSchema, input)
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, teamRules.create)
    const { organization } = access
    if (organization.type === 'personal') throw new OrgkitError('conflict', 'A personal organization has no teams.')
    assertTeamRoom(ctx, access)
    const team: TeamRecord = {
      // Sortable: teams made in the same millisecond list in the order they were made.
      id: createSortableId('team'),
      organizationId: organization.id,
      slug: data.slug ?? '',
      name: data.name,
      description: data.description ?? null,
      memberCount: 0,
      createdAt: now,
      updatedAt: now,
    }
    await insertTeam(tx, team, data.slug === undefined)
    await record({
      organizationId: organization.id,
      action: 'team.created',
      target: { type: 'team', id: team.id },
      changes: { name: team.name, slug: team.slug },
    })
    return team
  })
}

export async function getTeam(ctx: Context, actor: Actor, ref: string, teamRef: string): Promise<TeamRecord> {
  return teamOf(await authorize(ctx, ctx.storage, actor, ref, teamRules.get, { team: teamRef }))
}

export async function updateTeam(
  ctx: Context,
  actor: Actor,
  ref: string,
  teamRef: string,
  input: UpdateTeamInput,
): Promise<TeamRecord> {
  const data = parseInput(updateTeamSchema, input)
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, teamRules.update, { team: teamRef })
    const before = teamOf(access)
    const patch: TeamPatch = {}
    const changes: JsonObject = {}
    for (const field of ['name', 'slug', 'description'] as const) {
      const value = data[field]
      if (value === undefined || value === before[field]) continue
      ;(patch as Record<string, unknown>)[field] = value
      changes[field] = { from: before[field], to: value }
    }
    if (Object.keys(patch).length === 0) return before
    const updated = await tx.teams.update(before.organizationId, before.id, patch, now)
    if (updated === 'slug_taken') throw new OrgkitError('conflict', `The slug "${data.slug}" is taken.`)
    if (!updated) throw notFound('Team not found.')
    await record({
      organizationId: before.organizationId,
      action: 'team.updated',
      target: { type: 'team', id: before.id },
      changes,
    })
    return updated
  })
}

export async function deleteTeam(ctx: Context, actor: Actor, ref: string, teamRef: string): Promise<void> {
  await mutate(ctx, actor, async ({ tx, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, teamRules.delete, { team: teamRef })
    const team = teamOf(access)
    if (!(await tx.teams.delete(team.organizationId, team.id))) throw notFound('Team not found.')
    await record({
      organizationId: team.organizationId,
      action: 'team.deleted',
      target: { type: 'team', id: team.id },
      changes: { name: team.name, slug: team.slug, memberCount: team.memberCount },
    })
  })
}

export async function listTeamMembers(
  ctx: Context,
  actor: Actor,
  ref: string,
  teamRef: string,
  input: ListTeamMembersInput = {},
): Promise<Page<TeamMemberWithUser>> {
  const { limit, cursor } = parseInput(listTeamMembersSchema, input, 'query')
  const page = pageInput({ limit, cursor })
  const options = { team: teamRef, readTeam: { page } }
  const access = await authorize(ctx, ctx.storage, actor, ref, teamRules.listMembers, options)
  const team = teamOf(access)
  // The page came with the team where the storage reads them together.
  return access.teamRead?.page ?? ctx.storage.teamMembers.list(team.organizationId, team.id, page)
}

export async function getTeamMember(
  ctx: Context,
  actor: Actor,
  ref: string,
  teamRef: string,
  userId: string,
): Promise<TeamMemberWithUser> {
  const options = { team: teamRef, readTeam: { userId } }
  const access = await authorize(ctx, ctx.storage, actor, ref, teamRules.getMember, options)
  const team = teamOf(access)
  // The member came with the team where the storage reads them together.
  const target = access.teamRead?.target
  if (target === null) throw notFound('Team member not found.')
  return target ?? findMemberWithUser(ctx.storage, team.organizationId, team.id, userId)
}

/**
 * Adds an organization member to the team. The check is team-scoped: `teams.update` through
 * the organization role, or through the caller's role in this very team (a lead). The
 * caller grants only a team role whose permissions it holds.
 */
export async function addTeamMember(
  ctx: Context,
  actor: Actor,
  ref: string,
  teamRef: string,
  input: AddTeamMemberInput,
): Promise<TeamMemberWithUser> {
  const data = parseInput(addTeamMemberSchema, input)
  return mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, teamRules.addMember, { team: teamRef })
    const team = teamOf(access)
    const role = assignableTeamRole(ctx, data.role ?? ctx.defaultTeamRole)
    assertHoldsAll(access, role.permissions, `grant the ${role.key} team role`)
    // Only organization members join teams. A member's removal takes the same organization
    // lock, so it runs wholly before or after this check and insert: no team membership
    // outlives its organization membership.
    if (!(await tx.members.find(team.organizationId, data.userId))) throw notFound('Member not found.')
    const inserted = await tx.teamMembers.insert({
      organizationId: team.organizationId,
      teamId: team.id,
      userId: data.userId,
      role: role.key,
      joinedAt: now,
    })
    if (!inserted) throw new OrgkitError('conflict', 'This member is already in the team.')
    await record({
      organizationId: team.organizationId,
      action: 'team_member.added',
      target: { type: 'user', id: data.userId },
      changes: { teamId: team.id, role: role.key },
    })
    return findMemberWithUser(tx, team.organizationId, team.id, data.userId)
  })
}

/** Changes a team member's role: the caller must hold the permissions of both the old and the new team role. */
export async function updateTeamMember(
  ctx: Context,
  actor: Actor,
  ref: string,
  teamRef: string,
  userId: string,
  input: UpdateTeamMemberInput,
): Promise<TeamMemberWithUser> {
  const data = parseInput(updateTeamMemberSchema, input)
  return mutate(ctx, actor, async ({ tx, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, teamRules.updateMember, { team: teamRef })
    const team = teamOf(access)
    const target = await tx.teamMembers.find(team.organizationId, team.id, userId)
    if (!target) throw notFound('Team member not found.')
    const role = assignableTeamRole(ctx, data.role)
    if (target.role === role.key) return findMemberWithUser(tx, team.organizationId, team.id, userId)
    assertHoldsAll(
      access,
      storedTeamRolePermissions(ctx, target.role),
      `change a team member with the ${target.role} team role`,
    )
    assertHoldsAll(access, role.permissions, `grant the ${role.key} team role`)
    await tx.teamMembers.updateRole(team.organizationId, team.id, userId, role.key)
    await record({
      organizationId: team.organizationId,
      action: 'team_member.updated',
      target: { type: 'user', id: userId },
      changes: { teamId: team.id, role: { from: target.role, to: role.key } },
    })
    return findMemberWithUser(tx, team.organizationId, team.id, userId)
  })
}

/** Takes a member out of the team (not out of the organization). */
export async function removeTeamMember(
  ctx: Context,
  actor: Actor,
  ref: string,
  teamRef: string,
  userId: string,
): Promise<void> {
  await mutate(ctx, actor, async ({ tx, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, teamRules.removeMember, { team: teamRef })
    const team = teamOf(access)
    const target = await tx.teamMembers.find(team.organizationId, team.id, userId)
    if (!target) throw notFound('Team member not found.')
    assertHoldsAll(
      access,
      storedTeamRolePermissions(ctx, target.role),
      `remove a team member with the ${target.role} team role`,
    )
    await tx.teamMembers.delete(team.organizationId, team.id, userId)
    await record({
      organizationId: team.organizationId,
      action: 'team_member.removed',
      target: { type: 'user', id: userId },
      changes: { teamId: team.id, role: target.role },
    })
  })
}

/**
 * Teams and their members, as `orgkit.as(actor).teams`. `org` is an organization's slug, id
 * or `me`; `team` is a team's slug or `team_…` id. A team of another organization answers
 * exactly as a nonexistent one (`not_found`).
 */
export function teamsApi(ctx: Context, actor: Actor) {
  return {
    /** The organization's teams, oldest first. Needs `teams.read`. */
    list: (org: string, input?: ListTeamsInput): Promise<Page<TeamRecord>> => listTeams(ctx, actor, org, input),
    /** Creates a team; the slug is generated from the name when omitted. Needs `teams.create`. */
    create: (org: string, input: CreateTeamInput): Promise<TeamRecord> => createTeam(ctx, actor, org, input),
    /** Needs `teams.read` (through the organization role or a role in this team). */
    get: (org: string, team: string): Promise<TeamRecord> => getTeam(ctx, actor, org, team),
    /** Needs `teams.update` (through the organization role or a role in this team). */
    update: (org: string, team: string, input: UpdateTeamInput): Promise<TeamRecord> =>
      updateTeam(ctx, actor, org, team, input),
    /** Deletes the team and its memberships. Needs `teams.delete` (organization role or a role in this team). */
    delete: (org: string, team: string): Promise<void> => deleteTeam(ctx, actor, org, team),
    /** A team's members; changes need `teams.update` through the organization role or a role in this team (a lead). */
    members: {
      /** Members with their users, by join order. Needs `teams.read`. */
      list: (org: string, team: string, input?: ListTeamMembersInput): Promise<Page<TeamMemberWithUser>> =>
        listTeamMembers(ctx, actor, org, team, input),
      /** Adds an organization member with a team role (default: `defaultTeamRole`). */
      add: (org: string, team: string, input: AddTeamMemberInput): Promise<TeamMemberWithUser> =>
        addTeamMember(ctx, actor, org, team, input),
      get: (org: string, team: string, userId: string): Promise<TeamMemberWithUser> =>
        getTeamMember(ctx, actor, org, team, userId),
      update: (org: string, team: string, userId: string, input: UpdateTeamMemberInput): Promise<TeamMemberWithUser> =>
        updateTeamMember(ctx, actor, org, team, userId, input),
      remove: (org: string, team: string, userId: string): Promise<void> =>
        removeTeamMember(ctx, actor, org, team, userId),
    },
  }
}

export type TeamsApi = ReturnType<typeof teamsApi>
