import type {
  InvitationRecord,
  LockedInvitation,
  LockedTarget,
  OrganizationPatch,
  OrganizationRecord,
  OrganizationRepository,
  TeamMemberRecord,
  TeamRead,
  TeamRecord,
  TransactionOrganizationRepository,
  UserSummary,
} from '@orgkit/core'
import { pageInput } from '@orgkit/core'
import {
  type Insertable,
  type Kysely,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  sql,
  type Updateable,
} from 'kysely'
import { affected, toJson } from '../codec'
import { type CompiledQueryDefinition, compiled, compiledInsertUnlessExists, slot, slotRow } from '../compiled'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import { auditInserts, cte, folded, foldedVariants, insertRow, runFoldedClaim } from '../folded'
import { hostIdValue } from '../host-users'
import { type KeysetSort, keysetPage, keysetQuery, keysetTemplate, keysetValues, paginate } from '../keyset'
import { deleteOrganizationRows } from '../organization-tables'
import {
  type DbTimestamp,
  GLOBAL_LOOKUP_TABLES,
  type InvitationsTable,
  ORGANIZATION_OWNED_TABLES,
  type OrganizationsTable,
  type OrgkitDatabase,
  type TeamMembersTable,
  type TeamsTable,
  USER_INDEX_TABLES,
} from '../schema'
import { runAlone } from '../transaction'
import { auditRepository, auditValues } from './audit'
import { INVITATION_COLUMNS, invitationFromRow, locateInvitation } from './invitations'
import {
  hostUserColumns,
  insertIndexEntry,
  insertMembership,
  isMemberUser,
  mappedUserSelection,
  readMemberWithUser,
  type UserColumns,
  userFromRow,
  userSummaryFromRow,
  userSummarySelection,
} from './members'
import { findWithMemberAndPage } from './organization-pages'
import {
  aggregated,
  isMemberOf,
  type OrganizationById,
  type OrganizationWithMemberRow,
  organizationBySlug,
  organizationFromRow,
  selectWithMember,
  travelOf,
  withMemberFromRow,
} from './organization-rows'
import { teamMemberFromRow, teamMemberPage } from './team-members'
import { teamFromRow } from './teams'
import { userDirectory } from './users'

// The statements every request runs, compiled once per storage (see compiled.ts).
const idBySlug = compiled((context) =>
  context.db.selectFrom('organization_slugs').select('organization_id').where('slug', '=', slot<string>('slug')),
)
const byId = compiled((context) =>
  context.db.selectFrom('organizations').selectAll().where('id', '=', slot<string>('id')),
)
const lockById = compiled((context) =>
  context.dialect.forUpdate(context.db.selectFrom('organizations').selectAll().where('id', '=', slot<string>('id'))),
)
const claimSlug = compiledInsertUnlessExists((context) =>
  context.db
    .insertInto('organization_slugs')
    .values({ slug: slot<string>('slug'), organization_id: slot<string>('organizationId') }),
)
const ORGANIZATION_COLUMNS = [
  'id',
  'slug',
  'name',
  'type',
  'description',
  'logo_url',
  'website_url',
  'industry',
  'visibility',
  'contact_email',
  'contact_phone',
  'timezone',
  'metadata',
  'private_metadata',
  'created_by',
  'roles_version',
  'member_count',
  'team_count',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof OrganizationsTable)[]
const insertOrganization = compiled((context) =>
  context.db.insertInto('organizations').values(slotRow<Insertable<OrganizationsTable>>(ORGANIZATION_COLUMNS)),
)
/**
 * PostgreSQL: a new organization in one statement (see folded.ts): its row, its owner's
 * membership and its audit events, and on one server its slug's claim, its creator's slot
 * (`slotted`) and the owner's index entry, all written only if the slug was free and, with a
 * slot, the slot was given. Distributed, the slug (its own shard) is claimed and the slot
 * (the creator's shard) taken before, and the index entry (the owner's shard) written after,
 * each a statement of its own (`slotted` is then 'none'), and this one writes the
 * organization's shard only.
 *
 * The slot's upsert selects from the slug's claim: a taken slug claims no slot (a generated
 * slug's next attempt does). The slug is claimed before the slot is known: a refused slot
 * leaves it claimed, which the caller then deletes (`claimed` without `written`).
 */
const foldedOrganizationInsert = foldedVariants()
function insertOrganizationFolded(distributed: boolean, owner: boolean, events: number, slotted: Slotted) {
  return foldedOrganizationInsert(`${distributed} ${owner} ${events} ${slotted}`, () => {
    const id = slot<string>('id')
    const ctes = distributed
      ? []
      : [
          cte(
            'claimed',
            sql`${insertRow('organization_slugs', { slug: slot<string>('slug'), organization_id: id }, null)} on conflict do nothing returning 1`,
          ),
        ]
    if (slotted !== 'none') ctes.push(cte('slot', creatorSlotUpsert(slotted === 'limited', 'claimed')))
    const source = distributed ? 'created' : slotted === 'none' ? 'claimed' : 'slot'
    const row = slotRow<Record<string, unknown>>(ORGANIZATION_COLUMNS)
    ctes.push(
      distributed
        ? cte('created', sql`${insertRow('organizations', row, null)} returning 1`)
        : cte('created', insertRow('organizations', row, source)),
    )
    if (owner) {
      const joined = { organization_id: id, user_id: slot<string>('ownerId'), joined_at: slot<Date>('created_at') }
      ctes.push(cte('owned', insertRow('members', { ...joined, role: slot<string>('ownerRole') }, source)))
      if (!distributed) ctes.push(cte('indexed', insertRow('user_memberships', joined, source)))
    }
    return folded([...ctes, ...auditInserts(events, source)], source, slotted === 'none' ? undefined : 'claimed')
  })
}

/** Whether a create takes its creator's slot, and under a limit or not. */
type Slotted = 'none' | 'limited' | 'unlimited'

/**
 * PostgreSQL: the creator's slot taken in a folded statement, one upsert with a row for each
 * row `source` returned (`insert … select … from source`), as `claimCreator` takes it alone:
 * under a limit, a first claim inserts the row only if the limit is above 0.
 */
function creatorSlotUpsert(limited: boolean, source: string): RawBuilder<unknown> {
  const count = sql.ref('organization_creators.organization_count')
  const limit = slot<number>('limit')
  const creator = insertRow(
    'organization_creators',
    { user_id: slot<string>('creatorId'), organization_count: 1 },
    source,
  )
  return limited
    ? sql`${creator} where 0 < ${limit} on conflict (user_id) do update set organization_count = ${count} + 1 where ${count} < ${limit} returning 1`
    : sql`${creator} on conflict (user_id) do update set organization_count = ${count} + 1 returning 1`
}

const withMemberById = compiled(selectWithMember)
/**
 * PostgreSQL: the organization with one user's membership, both locked, the organization
 * first (`FOR UPDATE OF o, m` locks in the order named, the order every change to a
 * membership takes them in: the organization's lock, then the row). A statement at READ
 * COMMITTED reads as of when it started, except the rows it locks: after a wait for the
 * organization's lock, those are read again as committed. Only a row it locks can be
 * trusted after the wait, and the nullable side of an outer join cannot be locked: an
 * inner join, so no row when the user is no member (or the organization is gone), which
 * the caller then asks the outer join (see `lockedWithMember`).
 */
const selectLockedMembership = (context: StorageContext, by: 'id' | 'slug' = 'id') =>
  (by === 'id'
    ? context.db.selectFrom('organizations as o').where('o.id', '=', slot<string>('id'))
    : (organizationBySlug(context) as unknown as OrganizationById)
  )
    .innerJoin('members as m', (join) =>
      join.onRef('m.organization_id', '=', 'o.id').on('m.user_id', '=', slot<string>('userId')),
    )
    .selectAll('o')
    .select(['m.role as member_role', 'm.joined_at as member_joined_at'])
/** The host user a lock or read reads with the membership: the slot `readUserId`. */
const isReadUser = (context: StorageContext) =>
  sql<SqlBool>`${hostUserColumns(context.users).id} = ${context.hostUsers.id.fromParameter(slot<string | null>('readUserId'))}`
const selectWithMemberAndUser = (context: StorageContext, by: 'id' | 'slug' = 'id') =>
  selectWithMember(context, undefined, undefined, by)
    .leftJoin('host_users as u', (join) => join.on(isReadUser(context)))
    .select(userSummarySelection(hostUserColumns(context.users), 'u_'))
/**
 * PostgreSQL: the organization with one user's membership, the team `team` names (by its id,
 * or by its slug: `by`) and the user's membership of that team (`tm_`), in one statement
 * (`findWithMemberAndTeam`); the values are slots (see compiled.ts) unless given. The team and
 * its memberships are on the organization's shard on Citus.
 */
const selectWithMemberAndTeam = (
  context: StorageContext,
  by: 'id' | 'slug',
  { id = slot<string>('id'), userId = slot<string>('userId'), team = slot<string>('team') } = {},
) =>
  selectWithMember(context, id, userId)
    .leftJoin('teams as t', (join) =>
      join.onRef('t.organization_id', '=', 'o.id').on(by === 'id' ? 't.id' : 't.slug', '=', team),
    )
    .leftJoin('team_members as ctm', (join) =>
      join.onRef('ctm.organization_id', '=', 'o.id').onRef('ctm.team_id', '=', 't.id').on('ctm.user_id', '=', userId),
    )
    .select([
      't.id as t_id',
      't.slug as t_slug',
      't.name as t_name',
      't.description as t_description',
      't.member_count as t_member_count',
      't.created_at as t_created_at',
      't.updated_at as t_updated_at',
      'ctm.role as tm_role',
      'ctm.joined_at as tm_joined_at',
    ])
const withMemberAndTeamBy = {
  id: compiled<OrganizationWithMemberRow & TeamColumns>((context) => selectWithMemberAndTeam(context, 'id')),
  slug: compiled<OrganizationWithMemberRow & TeamColumns>((context) => selectWithMemberAndTeam(context, 'slug')),
}

/**
 * PostgreSQL: the organization with one user's membership and that user's team memberships in
 * it, as one JSON array (`teams`; null when none), in one statement (`findWithMemberships`).
 */
const withMemberships = compiled<OrganizationWithMemberRow & { teams: Selectable<TeamMembersTable>[] | null }>(
  (context) => {
    const teams = context.db
      .selectFrom('team_members as tm')
      .selectAll('tm')
      .where('tm.organization_id', '=', slot<string>('id'))
      .where('tm.user_id', '=', slot<string>('userId'))
    // In the order `teamMembers.listForUser` gives them.
    const order: KeysetSort = { time: 'tm.joined_at', id: 'tm.team_id', order: 'asc' }
    return selectWithMember(context).select(aggregated(teams, order, 'asc').as('teams'))
  },
)

/**
 * PostgreSQL: `selectWithMemberAndTeam` with what `read` is about (`team_rows`): the team's
 * members page or one member, with their users, as one JSON array of a subquery keyed by the
 * team the statement found (`t.id`), read only for a member of the organization (see
 * `findWithMemberAndPage`). Built per call, as the pages read alone are.
 */
async function withTeamRead(
  context: StorageContext,
  by: 'id' | 'slug',
  values: { id: string; userId: string; team: string },
  read: TeamRead,
  { query, sort }: ReturnType<typeof teamMembersRead>,
): Promise<TeamReadRow | undefined> {
  const members = query.where(isMemberOf(context, values.id, values.userId))
  const rows =
    'page' in read
      ? keysetQuery(members, sort, read.page, context.dialect)
      : members.where('tm.user_id', '=', read.userId)
  const travel = 'page' in read ? travelOf(sort, read.page) : sort.order
  return (await selectWithMemberAndTeam(context, by, values)
    .select(aggregated(rows, sort, travel).as('team_rows'))
    .executeTakeFirst()) as TeamReadRow | undefined
}

/**
 * The team's members page `findWithMemberAndTeam` reads with the team, as `teamMembers.list`
 * reads it alone (`teamMemberPage`), keyed by the team the statement found (`t.id`); for one
 * member, the same query narrowed to them.
 */
function teamMembersRead(context: StorageContext, organizationId: string, read: TeamRead) {
  return teamMemberPage(context, organizationId, sql.ref<string>('t.id'), 'page' in read ? read.page : ONE_MEMBER)
}

/** The page a one-member read carries: its query is narrowed to the member, never paged. */
const ONE_MEMBER = pageInput({ limit: 1 })

type TeamReadRow = OrganizationWithMemberRow &
  TeamColumns & { team_rows: (Selectable<TeamMembersTable> & UserColumns)[] | null }

/** The team and `userId`'s membership of it, of a `selectWithMemberAndTeam` row. */
function teamOfRow(
  row: TeamColumns,
  organizationId: string,
  userId: string,
  dialect: StorageDialect,
): { team: TeamRecord | null; teamMember: TeamMemberRecord | null } {
  if (row.t_id === null) return { team: null, teamMember: null }
  const team = teamFromRow(
    {
      id: row.t_id,
      organization_id: organizationId,
      slug: row.t_slug as string,
      name: row.t_name as string,
      description: row.t_description,
      member_count: row.t_member_count as number,
      created_at: row.t_created_at as DbTimestamp,
      updated_at: row.t_updated_at as DbTimestamp,
    },
    dialect,
  )
  if (row.tm_role === null || row.tm_joined_at === null) return { team, teamMember: null }
  const joinedAt = dialect.fromTimestamp(row.tm_joined_at)
  return { team, teamMember: { organizationId, teamId: team.id, userId, role: row.tm_role, joinedAt } }
}

/** The team's columns of a `withMemberAndTeam` row: `null` where the organization has no such team. */
type TeamColumns = {
  [K in keyof Selectable<TeamsTable> as K extends 'organization_id' ? never : `t_${K}`]:
    | Selectable<TeamsTable>[K]
    | null
} & { tm_role: string | null; tm_joined_at: DbTimestamp | null }

/** PostgreSQL: `selectWithMemberAndUser` unlocked, for an add decided without the lock (`members.insertIfUnchanged`). */
const withMemberAndUserById = compiled((context) => selectWithMemberAndUser(context), { meetsHostUsers: true })
/**
 * PostgreSQL on one server: `withMemberById` and `withMemberAndUserById` for an organization
 * named by slug, its lookup row joined in (`findWithMember`): one statement, not two.
 */
const withMemberBySlug = compiled((context) => selectWithMember(context, undefined, undefined, 'slug'))
const withMemberAndUserBySlug = compiled((context) => selectWithMemberAndUser(context, 'slug'), {
  meetsHostUsers: true,
})
/**
 * The locking statements of an organization named by id (the slot `id`) or, on PostgreSQL
 * on one server, by slug (the slot `slug`, its lookup row joined in: `organizationBySlug`),
 * compiled once per storage for each:
 * - `withMember`: the lock with the caller's membership outer-joined (every engine);
 * - `membership`: the lock with the caller's membership, both locked (`selectLockedMembership`);
 * - `membershipAndUser` and `withMemberAndUser`: the same two with a host user (prefixed
 *   `u_`), the one a member is about to be added for. `FOR UPDATE OF` leaves the users table
 *   read, not locked (on Citus a reference table: the join stays on the organization's
 *   shard). MariaDB, lacking `OF`, would lock the user too: it reads the user apart;
 * - `target`: the lock with the caller's membership and the membership a change is about
 *   (`t`, with its host user: `lockWithTarget`), all three rows locked in the order every
 *   writer takes them, the organization first (`FOR UPDATE OF o, m, t`), so that both
 *   memberships are read again, as committed, once the organization's lock is granted.
 *   Inner joins: no row when either is no member, or the organization is gone, and the
 *   caller then asks as before (`lockWithMember`, then the member read under the lock).
 */
function lockStatements(by: 'id' | 'slug') {
  const withUser = <Q extends ReturnType<typeof selectLockedMembership>>(context: StorageContext, query: Q) =>
    query
      .leftJoin('host_users as u', (join) => join.on(isReadUser(context)))
      .select(userSummarySelection(hostUserColumns(context.users), 'u_'))
  return {
    withMember: compiled((context) =>
      context.dialect.forUpdate(selectWithMember(context, undefined, undefined, by), 'o'),
    ),
    membership: compiled((context) => context.dialect.forUpdate(selectLockedMembership(context, by), ['o', 'm'])),
    membershipAndUser: compiled(
      (context) => context.dialect.forUpdate(withUser(context, selectLockedMembership(context, by)), ['o', 'm']),
      { meetsHostUsers: true },
    ),
    withMemberAndUser: compiled((context) => context.dialect.forUpdate(selectWithMemberAndUser(context, by), 'o'), {
      meetsHostUsers: true,
    }),
    target: compiled(
      (context) =>
        context.dialect.forUpdate(
          selectLockedMembership(context, by)
            .innerJoin('members as t', (join) =>
              join.onRef('t.organization_id', '=', 'o.id').on('t.user_id', '=', slot<string>('targetUserId')),
            )
            .leftJoin('host_users as u', (join) => join.on(isMemberUser(context, 't')))
            .select(['t.role as target_role', 't.joined_at as target_joined_at'])
            .select(mappedUserSelection(context.users)),
          ['o', 'm', 't'],
        ),
      { meetsHostUsers: true },
    ),
  }
}
const locksBy = { id: lockStatements('id'), slug: lockStatements('slug') }

/**
 * Accepting an invitation: the organization locked, with the invitation (columns prefixed
 * `i_`), its inviter's membership and, where `withUser`, the accepting user (prefixed `u_`),
 * all joined by the organization's id or looked up by key, so on its shard. MariaDB has no
 * `FOR UPDATE OF` and would lock the host's user row too: it reads the user on its own.
 * PostgreSQL, where `locked`: the invitation and the inviter's membership locked too, after
 * the organization, so that they are read as committed when the lock is granted (see
 * `selectLockedMembership`); no row without an inviter, and the caller asks again with
 * `locked` false, which locks the organization alone and joins the inviter's membership
 * outside.
 */
const selectForAcceptance = (context: StorageContext, withUser: boolean, locked: boolean, by: AcceptanceKey) => {
  const organization = acceptanceFrom(context, by)
    .selectAll('o')
    .select(INVITATION_COLUMNS.map((column) => sql.ref(`i.${column}`).as(`i_${column}`)))
  // The same join either way: inner where the inviter's row is locked, outer where not.
  const query = locked
    ? organization
        .innerJoin('members as m', (join) =>
          join.onRef('m.organization_id', '=', 'o.id').onRef('m.user_id', '=', 'i.invited_by'),
        )
        .select(['m.role as member_role', 'm.joined_at as member_joined_at'])
    : organization
        .leftJoin('members as m', (join) =>
          join.onRef('m.organization_id', '=', 'o.id').onRef('m.user_id', '=', 'i.invited_by'),
        )
        .select(['m.role as member_role', 'm.joined_at as member_joined_at'])
  const of = locked ? (['o', 'i', 'm'] as const) : ('o' as const)
  if (!withUser) return context.dialect.forUpdate(query, of)
  const user = hostUserColumns(context.users)
  return context.dialect.forUpdate(
    query
      .leftJoin('host_users as u', (join) =>
        join.on(sql<SqlBool>`${user.id} = ${context.hostUsers.id.fromParameter(slot<string | null>('userId'))}`),
      )
      .select(userSummarySelection(user, 'u_')),
    of,
  )
}
/**
 * How the locking statement finds the invitation: by the organization's and the
 * invitation's ids (`place`), or, on PostgreSQL on one server, through the global lookup of
 * its token hash (`token`, which must still be the invitation's) or of its public id (`id`),
 * joined in. The lookup row is not locked: the invitation's row is, and a token rotated while
 * the statement waited no longer matches it when the row is read again under the lock.
 */
type AcceptanceKey = 'place' | 'token' | 'id'
function acceptanceFrom(context: StorageContext, by: AcceptanceKey) {
  const organizations = context.db.selectFrom('organizations as o')
  if (by === 'place') {
    return organizations
      .innerJoin('invitations as i', (join) =>
        join.onRef('i.organization_id', '=', 'o.id').on('i.id', '=', slot<string>('invitationId')),
      )
      .where('o.id', '=', slot<string>('id'))
  }
  if (by === 'token') {
    return organizations
      .innerJoin('invitation_tokens as k', (join) =>
        join.onRef('k.organization_id', '=', 'o.id').on('k.token_hash', '=', slot<string>('tokenHash')),
      )
      .innerJoin('invitations as i', (join) =>
        join
          .onRef('i.organization_id', '=', 'o.id')
          .onRef('i.id', '=', 'k.invitation_id')
          .on('i.token_hash', '=', slot<string>('tokenHash')),
      )
  }
  return organizations
    .innerJoin('invitation_ids as k', (join) =>
      join.onRef('k.organization_id', '=', 'o.id').on('k.id', '=', slot<string>('invitationId')),
    )
    .innerJoin('invitations as i', (join) => join.onRef('i.organization_id', '=', 'o.id').onRef('i.id', '=', 'k.id'))
}
/** The acceptance's locking statements, compiled once per storage for each way to find the invitation. */
function acceptanceStatements(by: AcceptanceKey) {
  return {
    locked: compiled((context) => selectForAcceptance(context, true, true, by), { meetsHostUsers: true }),
    withUser: compiled((context) => selectForAcceptance(context, true, false, by), { meetsHostUsers: true }),
    alone: compiled((context) => selectForAcceptance(context, false, false, by)),
  }
}
const acceptanceByPlace = acceptanceStatements('place')
const acceptanceByToken = acceptanceStatements('token')
const acceptanceById = acceptanceStatements('id')
/**
 * The organization with one of its invitations (`i_`) and the host's user who sent it (`u_`),
 * unlocked: what an invitation's preview shows (`findWithInvitation`), in one row. On Citus
 * the invitation is on the organization's shard, and the host's users table is a reference
 * table, as for a member page.
 */
const withInvitation = compiled(
  (context) => {
    const user = hostUserColumns(context.users)
    const inviter = context.hostUsers.id.fromOrgkitColumn(sql.ref('i.invited_by'))
    return context.db
      .selectFrom('organizations as o')
      .innerJoin('invitations as i', (join) =>
        join.onRef('i.organization_id', '=', 'o.id').on('i.id', '=', slot<string>('invitationId')),
      )
      .leftJoin('host_users as u', (join) => join.on(sql<SqlBool>`${user.id} = ${inviter}`))
      .where('o.id', '=', slot<string>('id'))
      .selectAll('o')
      .select(INVITATION_COLUMNS.map((column) => sql.ref(`i.${column}`).as(`i_${column}`)))
      .select(userSummarySelection(user, 'u_'))
  },
  { meetsHostUsers: true },
)

/** The invitation of a row whose invitation columns come prefixed `i_` (`selectForAcceptance`, `withInvitation`). */
function prefixedInvitation(row: AcceptanceRow, dialect: StorageDialect): InvitationRecord {
  const columns = Object.fromEntries(INVITATION_COLUMNS.map((column) => [column, row[`i_${column}`]]))
  return invitationFromRow(columns as Selectable<InvitationsTable>, dialect)
}

/** The host's user of a row whose user columns come prefixed `u_`; `null` for none. */
function prefixedUser(row: AcceptanceRow): UserSummary | null {
  return userSummaryFromRow({
    id: row.u_id ?? null,
    email: row.u_email ?? null,
    username: row.u_username ?? null,
    name: row.u_name ?? null,
    image_url: row.u_image_url ?? null,
  })
}

/**
 * PostgreSQL: what a lock with a membership answers, read as committed when the lock is
 * granted. `locking` locks the membership with the organization and finds no row without
 * one; `outer` then locks the organization alone, with the membership outer-joined. A
 * membership `outer` finds was not there when `locking` began (it joined meanwhile) and
 * could have changed again while `outer` waited for the lock: `locking` runs again, now
 * under the lock, so without waiting, to read it locked.
 */
async function lockedWithMember<R extends { member_role: string | null; member_joined_at: string | Date | null }>(
  locking: () => Promise<R | undefined>,
  outer: () => Promise<R | undefined>,
): Promise<R | undefined> {
  const row = await locking()
  if (row !== undefined) return row
  const found = await outer()
  if (found === undefined || found.member_role === null) return found
  return (await locking()) ?? { ...found, member_role: null, member_joined_at: null }
}

type AcceptanceRow = Selectable<OrganizationsTable> & {
  member_role: string | null
  member_joined_at: string | Date | null
} & { [K in keyof InvitationsTable as `i_${K & string}`]: Selectable<InvitationsTable>[K] } & {
  u_id?: string | number | null
  u_email?: string | null
  u_username?: string | null
  u_name?: string | null
  u_image_url?: string | null
}

/** "My organizations", first step: a page of the user's index, one compiled query per direction. */
const membershipPages = new Map<
  string,
  CompiledQueryDefinition<{ organization_id: string; joined_at: string | Date }>
>()
function membershipPage(direction: 'after' | 'before' | null) {
  const variant = direction ?? 'first'
  let query = membershipPages.get(variant)
  if (query === undefined) {
    query = compiled((context) =>
      keysetTemplate(
        context.db
          .selectFrom('user_memberships as um')
          .select(['um.organization_id', 'um.joined_at'])
          .where('um.user_id', '=', slot<string>('userId')),
        { time: 'um.joined_at', id: 'um.organization_id', order: 'asc' },
        direction,
        context.dialect,
      ),
    )
    membershipPages.set(variant, query)
  }
  return query
}

/**
 * "My organizations", second step: the page's organizations with the user's role, named by
 * id (`id0`, `id1`, …). One compiled query per page size, at most the largest page's.
 */
const withRoleBySize = new Map<
  number,
  CompiledQueryDefinition<Selectable<OrganizationsTable> & { member_role: string }>
>()
function organizationsWithRole(size: number) {
  let query = withRoleBySize.get(size)
  if (query === undefined) {
    query = compiled((context) => {
      const ids = Array.from({ length: size }, (_, i) => slot<string>(`id${i}`))
      return context.db
        .selectFrom('organizations as o')
        .innerJoin('members as m', (join) => join.onRef('m.organization_id', '=', 'o.id'))
        .selectAll('o')
        .select('m.role as member_role')
        .where('o.id', 'in', ids)
        .where('m.organization_id', 'in', ids)
        .where('m.user_id', '=', slot<string>('userId'))
    })
    withRoleBySize.set(size, query)
  }
  return query
}

/**
 * Organizations, and the global slug table that makes slugs unique. The slug is written in
 * both places: `organizations.slug` is what reads return, `organization_slugs` is the
 * constraint. Both change in one transaction.
 */
export function organizationRepository(context: StorageContext): TransactionOrganizationRepository {
  const { db, dialect, atomic } = context
  const toRecord = (row: Selectable<OrganizationsTable>) => organizationFromRow(row, dialect)

  const selectById = (executor: Kysely<OrgkitDatabase>, id: string) =>
    executor.selectFrom('organizations').selectAll().where('id', '=', id)

  const findIdBySlug = async (slug: string): Promise<string | null> => {
    const { rows } = await idBySlug.run(context, { slug })
    return rows[0]?.organization_id ?? null
  }

  const withMember = (row: OrganizationWithMemberRow | undefined, id: string, userId: string) =>
    withMemberFromRow(row, id, userId, dialect)

  // The lock and the caller's membership in one statement, read as committed when the
  // lock is granted. PostgreSQL locks the membership row too (`FOR UPDATE OF o, m`; see
  // `selectLockedMembership`), and asks again with the outer join when there is none;
  // MariaDB has no `OF` and its locking reads read the latest committed rows: it locks
  // the member row with the organization's, after it, the order every change to it takes.
  // The organization's id of a row read by `by`: the key itself by id, the row's by slug.
  const idOf = (row: OrganizationWithMemberRow | undefined, key: string) => row?.id ?? key

  // The lock and the caller's membership in one statement, read as committed when the
  // lock is granted. PostgreSQL locks the membership row too (`FOR UPDATE OF o, m`; see
  // `selectLockedMembership`), and asks again with the outer join when there is none;
  // MariaDB has no `OF` and its locking reads read the latest committed rows: it locks
  // the member row with the organization's, after it, the order every change to it takes.
  // By slug (PostgreSQL on one server only), the organization is found through the slug's
  // lookup row in the same statements (`locksBy.slug`).
  const lockWithMemberBy = async (by: 'id' | 'slug', key: string, userId: string, readUserId?: string) => {
    const statements = locksBy[by]
    const values = { [by]: key, userId }
    if (dialect.name !== 'postgres') {
      const row = (await statements.withMember.run(context, values)).rows[0]
      return withMember(row, idOf(row, key), userId)
    }
    if (readUserId === undefined) {
      const row = await lockedWithMember(
        async () => (await statements.membership.run(context, values)).rows[0],
        async () => (await statements.withMember.run(context, values)).rows[0],
      )
      return withMember(row, idOf(row, key), userId)
    }
    const withUser = readUserValues(key, userId, readUserId, by)
    const row = await lockedWithMember(
      async () => (await statements.membershipAndUser.run(context, withUser)).rows[0],
      async () => (await statements.withMemberAndUser.run(context, withUser)).rows[0],
    )
    return withMemberAndUser(row, idOf(row, key), userId)
  }

  // `lockWithMember` with the membership a change is about; see `locksBy`'s `target`.
  const lockWithTargetBy = async (
    by: 'id' | 'slug',
    key: string,
    userId: string,
    targetUserId: string,
  ): Promise<LockedTarget | null> => {
    if (dialect.name === 'postgres') {
      const row = (await locksBy[by].target.run(context, { [by]: key, userId, targetUserId })).rows[0]
      const locked = withMember(row, idOf(row, key), userId)
      if (locked !== null && row !== undefined) {
        const target = {
          organizationId: row.id,
          userId: targetUserId,
          role: row.target_role,
          joinedAt: dialect.fromTimestamp(row.target_joined_at),
          user: userFromRow(targetUserId, row),
        }
        return { ...locked, target }
      }
    }
    // Elsewhere, and on PostgreSQL when either is no member (or the organization is gone):
    // the lock with the caller's membership, then the member read under the lock, as
    // committed (MariaDB's and PostgreSQL's statements read what was committed before they
    // began; SQLite has one writer).
    const locked = await lockWithMemberBy(by, key, userId)
    if (locked === null) return null
    return { ...locked, target: await readMemberWithUser(context, locked.organization.id, targetUserId) }
  }

  /** Whether a slug may be joined to its organization here: PostgreSQL on one server. */
  const slugJoins = async () => dialect.name === 'postgres' && !(await context.distributed(db))

  /**
   * The acceptance's lock with what it reads (see `selectForAcceptance`), by `statements`,
   * which find the invitation by the `key` values given.
   */
  const lockForAcceptance = async (
    statements: ReturnType<typeof acceptanceStatements>,
    key: Record<string, string>,
    userId: string,
  ): Promise<LockedInvitation | null> => {
    const withUser = dialect.name !== 'mysql'
    // An id the host's column cannot hold names no user (and is not sent to it).
    const values = { ...key, userId: hostIdValue(context.users.idType, userId) }
    const row = (
      dialect.name === 'postgres'
        ? await lockedWithMember(
            async () => (await statements.locked.run(context, values)).rows[0],
            async () => (await statements.withUser.run(context, values)).rows[0],
          )
        : withUser
          ? (await statements.withUser.run(context, values)).rows[0]
          : (await statements.alone.run(context, key)).rows[0]
    ) as AcceptanceRow | undefined
    if (row === undefined) return null
    // The invitation's columns come prefixed `i_`; the organization's and the membership's
    // are read from the row by name, as for `lockWithMember`.
    const invitation = prefixedInvitation(row, dialect)
    const locked = withMember(row, row.id, invitation.invitedBy)
    if (locked === null) return null
    const user = withUser ? prefixedUser(row) : await userDirectory(context).findById(userId)
    return { organization: locked.organization, invitation, inviter: locked.member, user }
  }

  // An id the host's column cannot hold names no user (and is not sent to it).
  const readUserValues = (key: string, userId: string, readUserId: string, by: 'id' | 'slug' = 'id') => ({
    [by]: key,
    userId,
    readUserId: hostIdValue(context.users.idType, readUserId),
  })

  /** The organization with a membership and the user read with them (prefixed `u_`). */
  const withMemberAndUser = (
    row:
      | (OrganizationWithMemberRow & Pick<AcceptanceRow, 'u_id' | 'u_email' | 'u_username' | 'u_name' | 'u_image_url'>)
      | undefined,
    id: string,
    userId: string,
  ) => {
    const found = withMember(row, id, userId)
    if (found === null || row === undefined) return null
    const user = userSummaryFromRow({
      id: row.u_id ?? null,
      email: row.u_email ?? null,
      username: row.u_username ?? null,
      name: row.u_name ?? null,
      image_url: row.u_image_url ?? null,
    })
    return { ...found, user }
  }

  // PostgreSQL: what a read needs besides the organization and the caller's membership (a
  // page, the caller's teams, a team), read with them: one round trip by id. SQLite and
  // MariaDB read them apart, as for a member page (see `members.listWithMember`).
  const readsWithOrganization: Pick<
    OrganizationRepository,
    'findWithMemberAndPage' | 'findWithMemberAndTeam' | 'findWithMemberships'
  > =
    dialect.name === 'postgres'
      ? {
          findWithMemberAndPage: (id, userId, read) => findWithMemberAndPage(context, id, userId, read),

          // A member's team memberships with the organization: the permission map in one round trip by id.
          async findWithMemberships(id, userId) {
            const row = (await withMemberships.run(context, { id, userId })).rows[0]
            const found = withMember(row, id, userId)
            if (found === null) return null
            // Only a member has team memberships (a removal leaves every team of the organization).
            const teams =
              found.member === null ? [] : (row?.teams ?? []).map((team) => teamMemberFromRow(team, dialect))
            return { ...found, teams }
          },

          // The team and the caller's membership of it with the organization: a read about one
          // team in one round trip by id. Elsewhere the core reads them after, as for pages.
          async findWithMemberAndTeam(ref, userId, team, read) {
            const id = 'id' in ref ? ref.id : await findIdBySlug(ref.slug)
            if (id === null) return null
            const [by, value] = 'id' in team ? (['id', team.id] as const) : (['slug', team.slug] as const)
            const values = { id, userId, team: value }
            const members = read === undefined ? undefined : teamMembersRead(context, id, read)
            const row =
              read === undefined || members === undefined
                ? (await withMemberAndTeamBy[by].run(context, values)).rows[0]
                : await withTeamRead(context, by, values, read, members)
            const found = withMember(row, id, userId)
            if (found === null || row === undefined) return null
            const withTeam = { ...found, ...teamOfRow(row, id, userId, dialect) }
            if (read === undefined || members === undefined) return withTeam
            // What the read is about, for a member of the organization and an existing team only
            // (`isMemberOf`, in the statement; the subquery is keyed by the team found).
            const rows = (row as TeamReadRow).team_rows ?? []
            const records = found.member === null || withTeam.team === null ? null : rows.map(members.toRecord)
            if ('page' in read) return { ...withTeam, page: records && keysetPage(records, read.page, members.keyOf) }
            return { ...withTeam, target: records && (records[0] ?? null) }
          },
        }
      : {}

  return {
    ...readsWithOrganization,

    // Every engine: one joined row in place of three reads, one of them after another.
    async findWithInvitation(id, invitationId) {
      const row = (await withInvitation.run(context, { id, invitationId })).rows[0] as AcceptanceRow | undefined
      if (row === undefined) return null
      return { organization: toRecord(row), invitation: prefixedInvitation(row, dialect), inviter: prefixedUser(row) }
    },

    async insert(organization, owner, events = [], creatorSlot) {
      const row = organizationToRow(organization, dialect)
      // The owner is counted in the row as written, not by an update after it.
      if (owner !== undefined) row.member_count = 1
      // The slot `delete` gives back: a team organization's, counted for its creator.
      const creator = creatorSlot !== undefined && organization.type === 'team' ? organization.createdBy : null
      const limit = creatorSlot?.limit ?? null
      /** PostgreSQL: the folded statement (see `insertOrganizationFolded`) and its values. */
      const foldedInsert = (distributed: boolean) => {
        const slotted: Slotted = distributed || creator === null ? 'none' : limit === null ? 'unlimited' : 'limited'
        const values = auditValues(events, dialect, { ...row })
        if (owner !== undefined) Object.assign(values, { ownerId: owner.userId, ownerRole: owner.role })
        if (slotted !== 'none') Object.assign(values, { creatorId: creator })
        if (slotted === 'limited') Object.assign(values, { limit })
        return { statement: insertOrganizationFolded(distributed, owner !== undefined, events.length, slotted), values }
      }
      // PostgreSQL on one server, outside a transaction and with no limit to refuse at: the
      // statement writes all or nothing (nothing can refuse after the slug's claim) and
      // commits on its own, with no BEGIN and COMMIT around it. A run after a lost
      // connection finds the slug taken by this very organization when the lost one had
      // committed: inserted then, once (its id is the organization's key).
      if (dialect.name === 'postgres' && !context.inTransaction && limit === null && !(await context.distributed(db))) {
        const { statement, values } = foldedInsert(false)
        return runAlone(dialect, async (afterLoss) => {
          if ((await runFoldedClaim(statement, context, values)).claimed) return 'inserted'
          const found = afterLoss && (await byId.run(context, { id: organization.id })).rows.length > 0
          return found ? 'inserted' : 'slug_taken'
        })
      }
      return atomic(async (trx) => {
        // The slug is claimed first, so a taken slug leaves nothing behind, and claims no slot.
        const inTransaction = { ...context, db: trx }
        const slug = { slug: organization.slug, organizationId: organization.id }
        if (dialect.name === 'postgres') {
          const distributed = await context.distributed(trx)
          if (distributed) {
            if (!(await claimSlug.run(inTransaction, slug))) return 'slug_taken'
            if (creator !== null && !(await claimCreator(inTransaction, creator, limit))) {
              return refuseAfterSlug(trx, organization)
            }
          }
          const { statement, values } = foldedInsert(distributed)
          const { claimed, written } = await runFoldedClaim(statement, inTransaction, values)
          if (!claimed) return 'slug_taken'
          if (!written) return refuseAfterSlug(trx, organization)
          if (distributed && owner !== undefined) {
            await insertIndexEntry.run(inTransaction, {
              userId: owner.userId,
              organizationId: organization.id,
              joinedAt: row.created_at,
            })
          }
          return 'inserted'
        }
        if (!(await claimSlug.run(inTransaction, slug))) return 'slug_taken'
        if (creator !== null && !(await claimCreator(inTransaction, creator, limit))) {
          return refuseAfterSlug(trx, organization)
        }
        await insertOrganization.run(inTransaction, row)
        if (owner !== undefined) {
          await insertMembership(context, trx, {
            organizationId: organization.id,
            userId: owner.userId,
            role: owner.role,
            joinedAt: organization.createdAt,
          })
        }
        await auditRepository(inTransaction).append(events)
        return 'inserted'
      })
    },

    async findById(id) {
      const row = (await byId.run(context, { id })).rows[0]
      return row === undefined ? null : toRecord(row)
    },

    async findBySlug(slug) {
      // Two steps, each on one shard: the global slug lookup, then the organization by id.
      const id = await findIdBySlug(slug)
      if (id === null) return null
      const row = (await byId.run(context, { id })).rows[0]
      return row === undefined ? null : toRecord(row)
    },

    findIdBySlug,

    async findWithMember(ref, userId, readUserId) {
      // By slug on one PostgreSQL server: the slug's lookup row joined in, one statement.
      if ('slug' in ref && (await slugJoins())) {
        const row =
          readUserId === undefined
            ? (await withMemberBySlug.run(context, { slug: ref.slug, userId })).rows[0]
            : (await withMemberAndUserBySlug.run(context, readUserValues(ref.slug, userId, readUserId, 'slug'))).rows[0]
        if (row === undefined) return null
        return readUserId === undefined ? withMember(row, row.id, userId) : withMemberAndUser(row, row.id, userId)
      }
      // Elsewhere by slug: the slug table first, then the organization by id — two
      // single-shard statements rather than a join of a global lookup table to an
      // organization-owned one.
      const id = 'id' in ref ? ref.id : await findIdBySlug(ref.slug)
      if (id === null) return null
      // The user too on PostgreSQL, where an add is decided on this read (see `members.insertIfUnchanged`).
      if (readUserId !== undefined && dialect.name === 'postgres') {
        const values = readUserValues(id, userId, readUserId)
        return withMemberAndUser((await withMemberAndUserById.run(context, values)).rows[0], id, userId)
      }
      return withMember((await withMemberById.run(context, { id, userId })).rows[0], id, userId)
    },

    lockWithMember: (id, userId, readUserId) => lockWithMemberBy('id', id, userId, readUserId),

    lockWithTarget: (id, userId, targetUserId) => lockWithTargetBy('id', id, userId, targetUserId),

    // By slug: the lookup joined into the lock on one PostgreSQL server; elsewhere read
    // first, and the slug asked of the organization as locked (given up while the lock was
    // waited for: none), as the joined statement asks it.
    async lockWithMemberBySlug(slug, userId, readUserId) {
      if (await slugJoins()) return lockWithMemberBy('slug', slug, userId, readUserId)
      const id = await findIdBySlug(slug)
      const locked = id === null ? null : await lockWithMemberBy('id', id, userId, readUserId)
      return locked?.organization.slug === slug ? locked : null
    },

    async lockWithTargetBySlug(slug, userId, targetUserId) {
      if (await slugJoins()) return lockWithTargetBy('slug', slug, userId, targetUserId)
      const id = await findIdBySlug(slug)
      const locked = id === null ? null : await lockWithTargetBy('id', id, userId, targetUserId)
      return locked?.organization.slug === slug ? locked : null
    },

    lockForAcceptance: (id, invitationId, userId) => lockForAcceptance(acceptanceByPlace, { id, invitationId }, userId),

    async lockInvitationForAcceptance(ref, userId) {
      // Joined into the lock on one PostgreSQL server; distributed, the lookup is on its own
      // shard, and elsewhere the statements stay as they were: the lookup, then the lock.
      if (dialect.name === 'postgres' && !(await context.distributed(context.db))) {
        return 'tokenHash' in ref
          ? lockForAcceptance(acceptanceByToken, { tokenHash: ref.tokenHash }, userId)
          : lockForAcceptance(acceptanceById, { invitationId: ref.id }, userId)
      }
      const place = await locateInvitation(context, ref)
      if (place === null) return null
      const locked = await lockForAcceptance(
        acceptanceByPlace,
        { id: place.organizationId, invitationId: place.id },
        userId,
      )
      // The token must still be the invitation's under the lock, as where the lookup is joined in.
      return locked !== null && 'tokenHash' in ref && locked.invitation.tokenHash !== ref.tokenHash ? null : locked
    },

    // Row locks, not conditional updates, protect the last owner (and every other count-based
    // rule). On PostgreSQL and MariaDB this SELECT … FOR UPDATE makes a second transaction on
    // the same organization wait here until the first commits. Both run at READ COMMITTED
    // (PostgreSQL's default; MariaDB's transactions ask for it, see dialects/mysql.ts), so the
    // owner count read after the lock sees the first transaction's committed change even though
    // the slug was read before the lock.
    async lock(id) {
      const row = (await lockById.run(context, { id })).rows[0]
      return row === undefined ? null : toRecord(row)
    },

    update: (id, patch, now) =>
      atomic(async (trx) => {
        // Locked, so that two concurrent slug changes cannot both release the same old slug
        // and leave the loser's new slug claimed by nobody.
        const current = await dialect.forUpdate(selectById(trx, id)).executeTakeFirst()
        if (current === undefined) return null
        if (patch.slug !== undefined && patch.slug !== current.slug) {
          const claimed = await dialect.insertUnlessExists(
            trx.insertInto('organization_slugs').values({ slug: patch.slug, organization_id: id }),
          )
          if (!claimed) return 'slug_taken' as const
          await trx
            .deleteFrom('organization_slugs')
            .where('slug', '=', current.slug)
            .where('organization_id', '=', id)
            .execute()
        }
        const changed = patchToRow(patch, now, dialect)
        await trx.updateTable('organizations').set(changed).where('id', '=', id).execute()
        // The row is locked: what it holds now is what was read, with the patch applied.
        return toRecord({ ...current, ...changed } as Selectable<OrganizationsTable>)
      }),

    async bumpRolesVersion(id, now) {
      await db
        .updateTable('organizations')
        .set((eb) => ({ roles_version: eb('roles_version', '+', 1), updated_at: dialect.toTimestamp(now) }))
        .where('id', '=', id)
        .execute()
    },

    delete: (id) =>
      atomic(async (trx, host) => {
        const organization = await selectById(trx, id).select(['type', 'created_by', 'slug']).executeTakeFirst()
        if (organization === undefined) return false
        // The host's rows first: its tables may point at orgkit's (a project's team), never
        // the other way round.
        await deleteOrganizationRows(host, context.organizationTables, id, dialect.name)
        if (await context.distributed(trx)) {
          await deleteLookupAndUserRows(trx, id, organization.slug)
        } else {
          // One indexed statement a table, whatever the organization's size.
          for (const table of [...GLOBAL_LOOKUP_TABLES, ...USER_INDEX_TABLES]) {
            await trx.deleteFrom(table).where('organization_id', '=', id).execute()
          }
        }
        // Everything the organization owns, in one transaction. There are no foreign keys to
        // cascade (see docs/storage.md): the list of owned tables in schema.ts is the cascade.
        for (const table of ORGANIZATION_OWNED_TABLES) {
          await trx.deleteFrom(table).where('organization_id', '=', id).execute()
        }
        await trx.deleteFrom('organizations').where('id', '=', id).execute()
        if (organization.type === 'team' && organization.created_by !== null) {
          await trx
            .updateTable('organization_creators')
            .set((eb) => ({ organization_count: eb('organization_count', '-', 1) }))
            .where('user_id', '=', organization.created_by)
            .where('organization_count', '>', 0)
            .execute()
        }
        return true
      }),

    async listForUser(userId, page) {
      // A page of the user's own index (one shard on Citus: it is keyed by user), then those
      // organizations with the user's role in one statement that names them by id.
      const entries = (
        await membershipPage(page.cursor?.direction ?? null).run(context, { userId, ...keysetValues(page, dialect) })
      ).rows
      const rows =
        entries.length === 0
          ? []
          : (
              await organizationsWithRole(entries.length).run(context, {
                userId,
                ...Object.fromEntries(entries.map((entry, i) => [`id${i}`, entry.organization_id])),
              })
            ).rows
      const byId = new Map(rows.map((row) => [row.id, row]))
      const joined = new Map<string, Date>()
      const listed: (OrganizationRecord & { role: string })[] = []
      for (const entry of entries) {
        const row = byId.get(entry.organization_id)
        if (row === undefined) continue
        // Built from the row by name and given its role: no copy of the row, none of the record.
        const organization = toRecord(row) as OrganizationRecord & { role: string }
        organization.role = row.member_role
        listed.push(organization)
        joined.set(organization.id, dialect.fromTimestamp(entry.joined_at))
      }
      return keysetPage(listed, page, (organization) => ({ at: joined.get(organization.id)!, id: organization.id }))
    },

    listAll: (page) =>
      paginate(
        db.selectFrom('organizations as o').selectAll('o'),
        { time: 'o.created_at', id: 'o.id', order: 'asc' },
        page,
        dialect,
        toRecord,
        (row) => ({ at: row.createdAt, id: row.id }),
      ),
  }
}

function organizationToRow(organization: OrganizationRecord, dialect: StorageDialect): OrganizationsTable {
  return {
    id: organization.id,
    slug: organization.slug,
    name: organization.name,
    type: organization.type,
    description: organization.description,
    logo_url: organization.logoUrl,
    website_url: organization.websiteUrl,
    industry: organization.industry,
    visibility: organization.visibility,
    contact_email: organization.contactEmail,
    contact_phone: organization.contactPhone,
    timezone: organization.timezone,
    metadata: toJson(organization.metadata),
    private_metadata: toJson(organization.privateMetadata),
    created_by: organization.createdBy,
    roles_version: organization.rolesVersion,
    member_count: organization.memberCount,
    team_count: organization.teamCount,
    created_at: dialect.toTimestamp(organization.createdAt),
    updated_at: dialect.toTimestamp(organization.updatedAt),
  }
}

/** Only the fields present in the patch; `null` clears a nullable field. */
function patchToRow(patch: OrganizationPatch, now: Date, dialect: StorageDialect): Updateable<OrganizationsTable> {
  const row: Updateable<OrganizationsTable> = { updated_at: dialect.toTimestamp(now) }
  if (patch.slug !== undefined) row.slug = patch.slug
  if (patch.name !== undefined) row.name = patch.name
  if (patch.description !== undefined) row.description = patch.description
  if (patch.logoUrl !== undefined) row.logo_url = patch.logoUrl
  if (patch.websiteUrl !== undefined) row.website_url = patch.websiteUrl
  if (patch.industry !== undefined) row.industry = patch.industry
  if (patch.visibility !== undefined) row.visibility = patch.visibility
  if (patch.contactEmail !== undefined) row.contact_email = patch.contactEmail
  if (patch.contactPhone !== undefined) row.contact_phone = patch.contactPhone
  if (patch.timezone !== undefined) row.timezone = patch.timezone
  if (patch.metadata !== undefined) row.metadata = toJson(patch.metadata)
  if (patch.privateMetadata !== undefined) row.private_metadata = toJson(patch.privateMetadata)
  return row
}

/**
 * Deletes the organization's rows of the global lookup and per-user tables by the key each is
 * placed by — a slug, a public invitation id, a token hash, a key prefix, a user id, an email,
 * a verified domain, a join request id, an invitation link's token hash —
 * read first from the organization's own rows in this transaction. On Citus those tables are
 * reference tables or distributed by that key, so `where organization_id = ?` there would
 * visit every shard; one statement per key visits one. Only on a distributed database: on
 * one server the per-table form is one indexed statement each. The organization's rows are locked by
 * nothing here, but the organization is being deleted by the caller's transaction: a member,
 * invitation or key added concurrently either commits first (and is read here) or conflicts.
 */
async function deleteLookupAndUserRows(trx: Kysely<OrgkitDatabase>, id: string, slug: string): Promise<void> {
  const members = await trx.selectFrom('members').select('user_id').where('organization_id', '=', id).execute()
  const invitations = await trx
    .selectFrom('invitations')
    .select(['id', 'token_hash', 'email'])
    .where('organization_id', '=', id)
    .execute()
  const keys = await trx.selectFrom('api_keys').select('prefix').where('organization_id', '=', id).execute()
  const domains = await trx.selectFrom('domains').select('domain').where('organization_id', '=', id).execute()
  const joinRequests = await trx
    .selectFrom('join_requests')
    .select(['id', 'user_id'])
    .where('organization_id', '=', id)
    .execute()
  const links = await trx
    .selectFrom('invitation_links')
    .select('token_hash')
    .where('organization_id', '=', id)
    .execute()

  await trx.deleteFrom('organization_slugs').where('slug', '=', slug).where('organization_id', '=', id).execute()
  for (const { user_id } of members) {
    await trx.deleteFrom('user_memberships').where('user_id', '=', user_id).where('organization_id', '=', id).execute()
  }
  for (const email of new Set(invitations.map((invitation) => invitation.email))) {
    await trx.deleteFrom('email_invitations').where('email', '=', email).where('organization_id', '=', id).execute()
  }
  for (const invitation of invitations) {
    await trx.deleteFrom('invitation_ids').where('id', '=', invitation.id).where('organization_id', '=', id).execute()
    await trx
      .deleteFrom('invitation_tokens')
      .where('token_hash', '=', invitation.token_hash)
      .where('organization_id', '=', id)
      .execute()
  }
  for (const { prefix } of keys) {
    await trx.deleteFrom('api_key_prefixes').where('prefix', '=', prefix).where('organization_id', '=', id).execute()
  }
  for (const { domain } of domains) {
    await trx.deleteFrom('verified_domains').where('domain', '=', domain).where('organization_id', '=', id).execute()
  }
  for (const userId of new Set(joinRequests.map((request) => request.user_id))) {
    await trx.deleteFrom('user_join_requests').where('user_id', '=', userId).where('organization_id', '=', id).execute()
  }
  for (const request of joinRequests) {
    await trx.deleteFrom('join_request_ids').where('id', '=', request.id).where('organization_id', '=', id).execute()
  }
  for (const { token_hash } of links) {
    await trx
      .deleteFrom('invitation_link_tokens')
      .where('token_hash', '=', token_hash)
      .where('organization_id', '=', id)
      .execute()
  }
}

/**
 * A creator's claim on one more organization, as one upsert (PostgreSQL and SQLite), compiled
 * once: the first claim inserts the row counting 1; later ones add one, while under the limit
 * when there is one (a refused update counts no row).
 */
const claimCreatorUpsert = (limited: boolean) =>
  compiled((context) =>
    context.db
      .insertInto('organization_creators')
      .values({ user_id: slot<string>('userId'), organization_count: 1 })
      .onConflict((conflict) => {
        const update = conflict
          .column('user_id')
          .doUpdateSet((eb) => ({ organization_count: eb('organization_creators.organization_count', '+', 1) }))
        return limited ? update.where('organization_creators.organization_count', '<', slot<number>('limit')) : update
      }),
  )
const claimCreatorUpserts = { unlimited: claimCreatorUpsert(false), limited: claimCreatorUpsert(true) }

/**
 * A creator's slot refused after the organization's slug was claimed: the claim is deleted,
 * so that the refusal leaves nothing written (a caller that rolls back would drop it anyway;
 * one that commits must not keep a slug without its organization).
 */
async function refuseAfterSlug(trx: Kysely<OrgkitDatabase>, organization: OrganizationRecord) {
  await trx
    .deleteFrom('organization_slugs')
    .where('slug', '=', organization.slug)
    .where('organization_id', '=', organization.id)
    .execute()
  return 'limit_reached' as const
}

/**
 * Takes one of `userId`'s slots in a statement of its own (`context` in the transaction):
 * whether it was given. Concurrent claims serialize on the user's row, and each sees the
 * count the previous one left, so the limit cannot be raced past.
 */
async function claimCreator(context: StorageContext, userId: string, limit: number | null): Promise<boolean> {
  if (limit !== null && limit <= 0) return false
  const { db, dialect } = context
  if (dialect.name !== 'mysql') {
    const claim =
      limit === null
        ? await claimCreatorUpserts.unlimited.run(context, { userId })
        : await claimCreatorUpserts.limited.run(context, { userId, limit })
    return affected(claim.numAffectedRows) > 0
  }
  // MariaDB reports an unchanged ON DUPLICATE KEY UPDATE as a matched row, like an insert:
  // there it is the row first, then one conditional update.
  await dialect.insertUnlessExists(
    db.insertInto('organization_creators').values({ user_id: userId, organization_count: 0 }),
  )
  let claim = db
    .updateTable('organization_creators')
    .set((eb) => ({ organization_count: eb('organization_count', '+', 1) }))
    .where('user_id', '=', userId)
  if (limit !== null) claim = claim.where('organization_count', '<', limit)
  return affected((await claim.executeTakeFirst()).numUpdatedRows) > 0
}
