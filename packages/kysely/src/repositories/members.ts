import type {
  InviteeLookup,
  MemberListFilter,
  MemberRecord,
  MemberRepository,
  MemberWithUser,
  Page,
  PageInput,
  UserSummary,
} from '@orgkit/core'
import { type Kysely, type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely'
import { affected, toCount } from '../codec'
import { type CompiledQueryDefinition, compiled, compiledInsertUnlessExists, slot } from '../compiled'
import type { StorageContext } from '../context'
import { moveOrganizationCount } from '../counts'
import type { StorageDialect } from '../dialects'
import { auditInserts, cte, folded, foldedVariants, insertRow, runFolded, runFoldedClaim } from '../folded'
import { emailCondition, hostIdValue } from '../host-users'
import { type KeysetSort, keysetPage, keysetTemplate, keysetValues } from '../keyset'
import type { UsersTableMapping } from '../options'
import type { MembersTable, OrgkitDatabase } from '../schema'
import { runAlone } from '../transaction'
import { auditRepository, auditValues, eventWritten } from './audit'
import {
  aggregated,
  isMemberOf,
  type OrganizationWithMemberRow,
  selectWithMember,
  withMemberFromRow,
} from './organization-rows'

export type UserColumns = {
  user_email: string | null
  user_username: string | null
  user_name: string | null
  user_image_url: string | null
}

/**
 * The member row and its entry in the user's index ("my organizations" reads it by user), in
 * the caller's transaction; the caller keeps the organization's count. `false`, writing
 * nothing, when the user is a member already.
 */
export async function insertMembership(
  context: StorageContext,
  trx: Kysely<OrgkitDatabase>,
  member: MemberRecord,
): Promise<boolean> {
  const { dialect } = context
  const joinedAt = dialect.toTimestamp(member.joinedAt)
  const inTransaction = { ...context, db: trx }
  const ids = { organizationId: member.organizationId, userId: member.userId }
  if (!(await insertMember.run(inTransaction, { ...ids, role: member.role, joinedAt }))) return false
  await insertIndexEntry.run(inTransaction, { ...ids, joinedAt })
  return true
}

/**
 * PostgreSQL: the membership, the kept count, its audit events and (on one server) the
 * user's index entry in one statement, each written only if the membership was (see
 * folded.ts). Distributed, the index entry is on the user's shard: a statement of its own.
 */
const foldedMemberInsert = foldedVariants()
function insertMemberFolded(distributed: boolean, events: number) {
  return foldedMemberInsert(`${distributed} ${events}`, () =>
    folded(memberInsertCtes(distributed, events, null), 'added'),
  )
}

/**
 * The CTEs of a membership's insert (`added`, one row for each row of `source`, or one
 * without), and of what goes with it only if it was written: the kept count, the index entry
 * (on one server) and the events.
 */
function memberInsertCtes(distributed: boolean, events: number, source: string | null) {
  const ids = { organization_id: slot<string>('organizationId'), user_id: slot<string>('userId') }
  const row = { ...ids, role: slot<string>('role'), joined_at: slot<Date>('joinedAt') }
  return [
    cte('added', sql`${insertRow('members', row, source)} on conflict do nothing returning 1`),
    cte(
      'counted',
      sql`update ${sql.table('organizations')} set ${sql.ref('member_count')} = ${sql.ref('member_count')} + 1 where ${sql.ref('id')} = ${slot<string>('organizationId')} and exists (select 1 from ${sql.id('added')})`,
    ),
    ...(distributed
      ? []
      : [cte('indexed', insertRow('user_memberships', { ...ids, joined_at: slot<Date>('joinedAt') }, 'added'))]),
    ...auditInserts(events, 'added'),
  ]
}

/**
 * PostgreSQL: `insertMemberFolded`, written only if what the add was decided on still holds
 * (`members.insertIfUnchanged`): its first CTE, `decided`, selects the organization with the
 * caller's membership, both locked (`FOR UPDATE OF o, m`, the organization first, the order
 * every change to a membership takes), where the roles' version, the caller's role and,
 * with `limited`, the room under the member limit are as decided. A statement at READ
 * COMMITTED re-reads the rows it locks once a lock it waited for is granted, and checks its
 * conditions on them again: a caller demoted, removed, or a role edited, by a transaction
 * the lock waited for, leaves `decided` empty, and the membership selects its row from it.
 * The statement answers how many rows `decided` held (`claimed`) and how many it added.
 */
const foldedDecidedInsert = foldedVariants()
function insertDecidedFolded(distributed: boolean, events: number, limited: boolean) {
  return foldedDecidedInsert(`${distributed} ${events} ${limited}`, () => {
    const organizationId = slot<string>('organizationId')
    const room = limited ? sql` and ${sql.ref('o.member_count')} < ${slot<number>('memberLimit')}` : sql``
    const decided = cte(
      'decided',
      sql`select 1 from ${sql.table('organizations')} as ${sql.id('o')} join ${sql.table('members')} as ${sql.id('m')} on ${sql.ref('m.organization_id')} = ${sql.ref('o.id')} and ${sql.ref('m.user_id')} = ${slot<string>('callerId')} where ${sql.ref('o.id')} = ${organizationId} and ${sql.ref('o.roles_version')} = ${slot<number>('rolesVersion')} and ${sql.ref('m.role')} = ${slot<string>('callerRole')}${room} for update of ${sql.id('o')}, ${sql.id('m')}`,
    )
    return folded([decided, ...memberInsertCtes(distributed, events, 'decided')], 'added', 'decided')
  })
}

/** PostgreSQL: the role changed and its audit events, in one statement (see folded.ts). */
const foldedRoleUpdate = foldedVariants()
function updateRoleFolded(events: number) {
  return foldedRoleUpdate(String(events), () =>
    folded(
      [
        cte(
          'changed',
          sql`update ${sql.table('members')} set ${sql.ref('role')} = ${slot<string>('role')} where ${sql.ref('organization_id')} = ${slot<string>('organizationId')} and ${sql.ref('user_id')} = ${slot<string>('userId')} returning 1`,
        ),
        ...auditInserts(events, 'changed'),
      ],
      'changed',
    ),
  )
}

/**
 * PostgreSQL: a membership removed with everything that goes with it in one statement (see
 * folded.ts): the kept count, the user's team memberships and their teams' counts, the
 * audit events, and on one server the user's index entry, each only if the membership was
 * there. Distributed, the index entry is on the user's shard: a statement of its own.
 */
const foldedMemberDelete = foldedVariants()
function deleteMemberFolded(distributed: boolean, events: number) {
  return foldedMemberDelete(`${distributed} ${events}`, () => {
    const organizationId = slot<string>('organizationId')
    const userId = slot<string>('userId')
    const ofMember = sql`${sql.ref('organization_id')} = ${organizationId} and ${sql.ref('user_id')} = ${userId}`
    const removed = sql`exists (select 1 from ${sql.id('removed')})`
    const ctes = [
      cte('removed', sql`delete from ${sql.table('members')} where ${ofMember} returning 1`),
      cte(
        'counted',
        sql`update ${sql.table('organizations')} set ${sql.ref('member_count')} = ${sql.ref('member_count')} - 1 where ${sql.ref('id')} = ${organizationId} and ${removed}`,
      ),
      // Every CTE reads the statement's snapshot: the team memberships deleted beside it
      // are still there for the count.
      cte(
        'teams_counted',
        sql`update ${sql.table('teams')} set ${sql.ref('member_count')} = ${sql.ref('member_count')} - 1 where ${sql.ref('organization_id')} = ${organizationId} and ${sql.ref('id')} in (select ${sql.ref('team_id')} from ${sql.table('team_members')} where ${ofMember}) and ${removed}`,
      ),
      cte('left_teams', sql`delete from ${sql.table('team_members')} where ${ofMember} and ${removed}`),
    ]
    if (!distributed) {
      ctes.push(
        cte(
          'unindexed',
          sql`delete from ${sql.table('user_memberships')} where ${sql.ref('user_id')} = ${userId} and ${sql.ref('organization_id')} = ${organizationId} and ${removed}`,
        ),
      )
    }
    return folded([...ctes, ...auditInserts(events, 'removed')], 'removed')
  })
}
const removeIndexEntry = compiled((context) =>
  context.db
    .deleteFrom('user_memberships')
    .where('user_id', '=', slot<string>('userId'))
    .where('organization_id', '=', slot<string>('organizationId')),
)

const insertMember = compiledInsertUnlessExists((context) =>
  context.db.insertInto('members').values({
    organization_id: slot<string>('organizationId'),
    user_id: slot<string>('userId'),
    role: slot<string>('role'),
    joined_at: slot<string>('joinedAt'),
  }),
)
export const insertIndexEntry = compiled((context) =>
  context.db.insertInto('user_memberships').values({
    user_id: slot<string>('userId'),
    organization_id: slot<string>('organizationId'),
    joined_at: slot<string>('joinedAt'),
  }),
)
const findMember = compiled((context) =>
  context.db
    .selectFrom('members')
    .selectAll()
    .where('organization_id', '=', slot<string>('organizationId'))
    .where('user_id', '=', slot<string>('userId')),
)
const findMemberWithUser = compiled<MemberUserRow>(
  (context) =>
    membersWithUsers(context, context.db, slot<string>('organizationId')).where(
      'm.user_id',
      '=',
      slot<string>('userId'),
    ),
  { meetsHostUsers: true },
)

/** `members.findWithUser`, for the repositories that read a member with their user too. */
export async function readMemberWithUser(
  context: StorageContext,
  organizationId: string,
  userId: string,
): Promise<MemberWithUser | null> {
  const row = (await findMemberWithUser.run(context, { organizationId, userId })).rows[0]
  return row === undefined ? null : memberWithUserFromRow(row, organizationId, context.dialect)
}

/**
 * The invitee by email with their membership here (marked 0), then the inviter by id
 * (marked 1): two index seeks in one statement. The membership is joined by the organization
 * and the user (the host's id as text, so that the member key serves both), so the statement
 * stays on the organization's shard.
 */
export function inviteeAndInviter(context: StorageContext, emailSlot = 'email') {
  const columns = hostUserColumns(context.users)
  const summary = userSummarySelection(columns)
  const { id } = context.hostUsers
  const invitee = context.db
    .selectFrom('host_users as u')
    .leftJoin('members as m', (join) =>
      join
        .on('m.organization_id', '=', slot<string>('organizationId'))
        .on(sql<SqlBool>`${sql.ref('m.user_id')} = ${id.asText(columns.id)}`),
    )
    .select([sql.lit(0).as('marker'), ...summary, 'm.user_id as member_id'])
    .where(emailIs(context, columns, slot<string>(emailSlot)))
  const inviter = context.db
    .selectFrom('host_users as u')
    .select([sql.lit(1).as('marker'), ...summary, sql<string | null>`null`.as('member_id')])
    .where(sql<SqlBool>`${columns.id} = ${id.fromParameter(slot<string | null>('inviterId'))}`)
  return invitee.unionAll(inviter)
}
const findInviteeAndInviter = compiled((context) => inviteeAndInviter(context), { meetsHostUsers: true })

/** A row of `inviteeAndInviter`. */
export type InviteeRow = Parameters<typeof userSummaryFromRow>[0] & {
  marker: number | string
  member_id: string | null
}

/**
 * What `inviteeAndInviter` found (`members.findInvitee`). Several host users may share an
 * email differing in case only: the first, as `findByEmail`.
 */
export function inviteeFromRows(rows: readonly InviteeRow[]): InviteeLookup {
  const invitee = rows.find((row) => Number(row.marker) === 0)
  const inviter = rows.find((row) => Number(row.marker) === 1)
  return {
    invitee: invitee === undefined ? null : userSummaryFromRow(invitee),
    isMember: invitee !== undefined && invitee.member_id !== null,
    inviter: inviter === undefined ? null : userSummaryFromRow(inviter),
  }
}

/** `members.findInvitee`, with its values from `inviteeValues`. */
export async function readInvitee(
  context: StorageContext,
  values: ReturnType<typeof inviteeValues>,
): Promise<InviteeLookup> {
  return inviteeFromRows((await findInviteeAndInviter.run(context, values)).rows)
}

/** The values `inviteeAndInviter` runs with. */
export function inviteeValues(context: StorageContext, organizationId: string, email: string, inviterId: string) {
  return {
    organizationId,
    email: email.trim().toLowerCase(),
    // An id the host's column cannot hold names no user (and is not sent to it).
    inviterId: hostIdValue(context.users.idType, inviterId),
  }
}

/** A host user's row as orgkit speaks of it (host ids may be numbers; orgkit's are strings). */
export function userSummaryFromRow(row: {
  id: string | number | null
  email: string | null
  username: string | null
  name: string | null
  image_url: string | null
}): UserSummary | null {
  if (row.id === null) return null
  return {
    id: String(row.id),
    email: row.email ?? null,
    username: row.username ?? null,
    name: row.name ?? null,
    imageUrl: row.image_url ?? null,
  }
}

/** A member row of a page or lookup: the organization is the caller's already. */
type MemberUserRow = Pick<Selectable<MembersTable>, 'user_id' | 'role' | 'joined_at'> & Partial<UserColumns>

/**
 * Members left-joined with the host's users: one query, and a missing user reads as nulls.
 * It selects what a member shows and nothing else: not the organization's id (the caller's
 * already), and no user column the host did not map (it reads as null) — every column is
 * read and turned into a value once per row of a page.
 */
function membersWithUsers(context: StorageContext, executor: Kysely<OrgkitDatabase>, organizationId: string) {
  return executor
    .selectFrom('members as m')
    .leftJoin('host_users as u', (join) => join.on(isMemberUser(context, 'm')))
    .select(['m.user_id', 'm.role', 'm.joined_at'])
    .select(mappedUserSelection(context.users))
    .where('m.organization_id', '=', organizationId)
}

/** The join of the host's users (`u`) to the member row aliased `member`. */
export function isMemberUser(context: StorageContext, member: string): RawBuilder<SqlBool> {
  const { id } = hostUserColumns(context.users)
  return sql<SqlBool>`${id} = ${context.hostUsers.id.fromOrgkitColumn(sql.ref(`${member}.user_id`))}`
}

/** The host user columns a member shows (`UserColumns`), the mapped ones only (see `userFromRow`). */
export function mappedUserSelection(users: UsersTableMapping) {
  const userColumns = hostUserColumns(users)
  return USER_FIELDS.filter(([field]) => userColumns[field] !== NULL_COLUMN).map(([field, alias]) =>
    userColumns[field].as(alias),
  )
}

const USER_FIELDS = [
  ['email', 'user_email'],
  ['username', 'user_username'],
  ['name', 'user_name'],
  ['imageUrl', 'user_image_url'],
] as const satisfies readonly (readonly [keyof HostUserColumns, keyof UserColumns])[]

const MEMBER_ORDER: KeysetSort = { time: 'm.joined_at', id: 'm.user_id', order: 'asc' }

/** A page of members with their users, its filters and order as slots. */
function memberPageQuery(
  context: StorageContext,
  direction: 'after' | 'before' | null,
  byRole: boolean,
  bySearch: boolean,
) {
  let members = membersWithUsers(context, context.db, slot<string>('organizationId'))
  if (byRole) members = members.where('m.role', '=', slot<string>('role'))
  if (bySearch) {
    const columns = hostUserColumns(context.users)
    const pattern = slot<string>('pattern')
    const searchable = [columns.name, columns.email, columns.username].filter((column) => column !== NULL_COLUMN)
    // lower() on both sides: PostgreSQL's LIKE is case-sensitive, MySQL's depends on the
    // collation, SQLite's folds ASCII only; this reads the same on all three.
    members = members.where((eb) =>
      eb.or(searchable.map((column) => sql<SqlBool>`lower(${column}) like ${pattern} escape '!'`)),
    )
  }
  return keysetTemplate(members, MEMBER_ORDER, direction, context.dialect)
}

/** A page of members with their users: one compiled query per direction and filters given. */
function memberPage(direction: 'after' | 'before' | null, byRole: boolean, bySearch: boolean) {
  const variant = `${direction ?? 'first'} ${byRole} ${bySearch}`
  let query = memberPages.get(variant)
  if (query === undefined) {
    query = compiled((context) => memberPageQuery(context, direction, byRole, bySearch), { meetsHostUsers: true })
    memberPages.set(variant, query)
  }
  return query
}
const memberPages = new Map<string, CompiledQueryDefinition<MemberUserRow>>()

/** Which compiled page a list asks for (direction, by role, by search) and its values. */
function pageRequest(organizationId: string, filter: MemberListFilter, page: PageInput, dialect: StorageDialect) {
  const role = filter.role
  const q = filter.q === undefined || filter.q === '' ? undefined : filter.q
  const values: Record<string, unknown> = { organizationId, ...keysetValues(page, dialect) }
  if (role !== undefined) values.role = role
  if (q !== undefined) values.pattern = `${escapeLike(q.toLowerCase())}%`
  const variant = [page.cursor?.direction ?? null, role !== undefined, q !== undefined] as const
  return { variant, values }
}

function memberPageOf(
  rows: readonly MemberUserRow[],
  organizationId: string,
  page: PageInput,
  dialect: StorageDialect,
): Page<MemberWithUser> {
  return keysetPage(
    rows.map((row) => memberWithUserFromRow(row, organizationId, dialect)),
    page,
    (member) => ({ at: member.joinedAt, id: member.userId }),
  )
}

/**
 * PostgreSQL: the organization with one user's membership (`selectWithMember`, slots `id`
 * and `userId`) and, when the user is a member, the member rows of `read` as one JSON array
 * (`members`), in one statement and one row. `read` keeps its own order and limit in the
 * aggregate's subquery, so the page is read from the members' index and stops at the limit,
 * as the page alone is. The organization's columns come once, not on every member's row: a
 * row per member repeating them cost the driver more (its timestamps parsed on each) than
 * the round trip saved. Both parts read the statement's one snapshot, so the members are
 * there exactly when the membership is; `members` is null when there are none to read.
 */
function withCaller(context: StorageContext, read: ReturnType<typeof membersWithUsers>, travel: 'asc' | 'desc') {
  const rows = read.where(isMemberOf(context, slot<string>('id'), slot<string>('userId')))
  return selectWithMember(context).select(aggregated<MemberJsonRow>(rows, MEMBER_ORDER, travel).as('members'))
}

/** A member row as `json_agg` gives it: its join time an ISO 8601 text. */
type MemberJsonRow = Omit<MemberUserRow, 'joined_at'> & { joined_at: string }
type WithCallerRow = OrganizationWithMemberRow & { members: MemberJsonRow[] | null }

/** A member page read with the caller's membership (`withCaller`), per direction and filters given. */
function memberPageWithCaller(direction: 'after' | 'before' | null, byRole: boolean, bySearch: boolean) {
  const variant = `${direction ?? 'first'} ${byRole} ${bySearch}`
  let query = memberPagesWithCaller.get(variant)
  if (query === undefined) {
    const order = direction === 'before' ? 'desc' : 'asc'
    query = compiled((context) => withCaller(context, memberPageQuery(context, direction, byRole, bySearch), order), {
      meetsHostUsers: true,
    })
    memberPagesWithCaller.set(variant, query)
  }
  return query
}
const memberPagesWithCaller = new Map<string, CompiledQueryDefinition<WithCallerRow>>()

/** A member with their user read with the caller's membership (`withCaller`; the member's id is `memberId`). */
const findMemberWithCaller = compiled<WithCallerRow>(
  (context) =>
    withCaller(
      context,
      membersWithUsers(context, context.db, slot<string>('organizationId')).where(
        'm.user_id',
        '=',
        slot<string>('memberId'),
      ),
      'asc',
    ),
  { meetsHostUsers: true },
)

export function memberRepository(context: StorageContext): MemberRepository {
  const { db, dialect, atomic } = context

  const exists = async (executor: Kysely<OrgkitDatabase>, organizationId: string, userId: string) =>
    (await executor
      .selectFrom('members')
      .select('user_id')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst()) !== undefined

  // PostgreSQL: a member page, or one member, read with the caller's membership in one
  // statement (`withCaller`), one round trip instead of two. Elsewhere the core reads the
  // two apart: SQLite has no network to wait on, and on SQLite and MariaDB one statement
  // carrying both (the organization's columns on each member's row) measured slower than two.
  const withCallerReads: Pick<MemberRepository, 'listWithMember' | 'findWithCaller' | 'insertIfUnchanged'> =
    dialect.name !== 'postgres'
      ? {}
      : {
          async listWithMember(organizationId, userId, filter, page) {
            const { variant, values } = pageRequest(organizationId, filter, page, dialect)
            const query = memberPageWithCaller(...variant)
            const [row] = (await query.run(context, { ...values, id: organizationId, userId })).rows
            const found = withMemberFromRow(row, organizationId, userId, dialect)
            if (found === null || found.member === null) return found && { ...found, page: null }
            return { ...found, page: memberPageOf(row?.members ?? [], organizationId, page, dialect) }
          },

          // One statement that checks what the add was decided on and writes it, committing
          // on its own on one server (no BEGIN, no lock's round trip). Distributed, the
          // user's index entry is on the user's shard: a transaction, as `insert`.
          async insertIfUnchanged(member, decidedOn, events = []) {
            const ids = { organizationId: member.organizationId, userId: member.userId }
            const joinedAt = dialect.toTimestamp(member.joinedAt)
            const values = auditValues(events, dialect, { ...ids, role: member.role, joinedAt })
            const { memberLimit, ...decided } = decidedOn
            Object.assign(values, decided, memberLimit === null ? {} : { memberLimit })
            const write = async (executor: StorageContext, distributed: boolean) => {
              const statement = insertDecidedFolded(distributed, events.length, memberLimit !== null)
              const { claimed, written } = await runFoldedClaim(statement, executor, values)
              return !claimed ? 'changed' : written ? 'inserted' : 'duplicate'
            }
            // Alone when its event can tell, after a lost connection, whether an earlier run
            // committed: a run then that finds the user a member already looks for it.
            const [event] = events
            if (!context.inTransaction && event !== undefined && !(await context.distributed(context.db))) {
              return runAlone(dialect, async (afterLoss) => {
                const outcome = await write(context, false)
                if (outcome !== 'duplicate' || !afterLoss) return outcome
                return (await eventWritten(context, member.organizationId, event.id)) ? 'inserted' : outcome
              })
            }
            return atomic(async (trx) => {
              const inTransaction = { ...context, db: trx }
              const distributed = await context.distributed(trx)
              const outcome = await write(inTransaction, distributed)
              if (outcome === 'inserted' && distributed) await insertIndexEntry.run(inTransaction, { ...ids, joinedAt })
              return outcome
            })
          },

          async findWithCaller(organizationId, callerId, userId) {
            const values = { id: organizationId, userId: callerId, organizationId, memberId: userId }
            const [row] = (await findMemberWithCaller.run(context, values)).rows
            const found = withMemberFromRow(row, organizationId, callerId, dialect)
            if (found === null) return null
            const target = row?.members?.[0]
            return {
              ...found,
              target: target === undefined ? null : memberWithUserFromRow(target, organizationId, dialect),
            }
          },
        }

  return {
    ...withCallerReads,
    insert: (member, events = []) =>
      atomic(async (trx) => {
        const inTransaction = { ...context, db: trx }
        if (dialect.name === 'postgres') {
          const distributed = await context.distributed(trx)
          const ids = { organizationId: member.organizationId, userId: member.userId }
          const joinedAt = dialect.toTimestamp(member.joinedAt)
          const values = auditValues(events, dialect, { ...ids, role: member.role, joinedAt })
          if (!(await runFolded(insertMemberFolded(distributed, events.length), inTransaction, values))) return false
          if (distributed) await insertIndexEntry.run(inTransaction, { ...ids, joinedAt })
          return true
        }
        if (!(await insertMembership(context, trx, member))) return false
        await moveOrganizationCount(inTransaction, member.organizationId, 'member_count', 1)
        await auditRepository(inTransaction).append(events)
        return true
      }),

    async find(organizationId, userId) {
      const row = (await findMember.run(context, { organizationId, userId })).rows[0]
      return row === undefined ? null : memberFromRow(row, dialect)
    },

    findWithUser: (organizationId, userId) => readMemberWithUser(context, organizationId, userId),

    findInvitee: (organizationId, email, inviterId) =>
      readInvitee(context, inviteeValues(context, organizationId, email, inviterId)),

    async list(organizationId, filter, page) {
      const { variant, values } = pageRequest(organizationId, filter, page, dialect)
      const { rows } = await memberPage(...variant).run(context, values)
      return memberPageOf(rows, organizationId, page, dialect)
    },

    async updateRole(organizationId, userId, role, events = []) {
      if (dialect.name === 'postgres') {
        const values = auditValues(events, dialect, { organizationId, userId, role })
        return runFolded(updateRoleFolded(events.length), context, values)
      }
      // Elsewhere the update and its events are two statements, in one transaction.
      const update = async (executor: Kysely<OrgkitDatabase>) => {
        const result = await updateMemberRole.run({ ...context, db: executor }, { organizationId, userId, role })
        // mysql2 counts matched rows by default (FOUND_ROWS), but a connection without that
        // flag counts changed rows, and setting the current role changes none: 0 is only
        // trusted after checking that the member is really missing.
        return affected(result.numAffectedRows) > 0 || exists(executor, organizationId, userId)
      }
      if (events.length === 0) return update(db)
      return atomic(async (trx) => {
        if (!(await update(trx))) return false
        await auditRepository({ ...context, db: trx }).append(events)
        return true
      })
    },

    delete: (organizationId, userId, events = []) =>
      atomic(async (trx) => {
        if (dialect.name === 'postgres') {
          const inTransaction = { ...context, db: trx }
          const distributed = await context.distributed(trx)
          const values = auditValues(events, dialect, { organizationId, userId })
          if (!(await runFolded(deleteMemberFolded(distributed, events.length), inTransaction, values))) return false
          if (distributed) await removeIndexEntry.run(inTransaction, { organizationId, userId })
          return true
        }
        const removed = await trx
          .deleteFrom('members')
          .where('organization_id', '=', organizationId)
          .where('user_id', '=', userId)
          .executeTakeFirst()
        if (affected(removed.numDeletedRows) === 0) return false
        await moveOrganizationCount({ ...context, db: trx }, organizationId, 'member_count', -1)
        await trx
          .deleteFrom('user_memberships')
          .where('user_id', '=', userId)
          .where('organization_id', '=', organizationId)
          .execute()
        // Only members can be team members: the user leaves every team of the organization
        // in the same transaction, and each of those teams counts one member less.
        await trx
          .updateTable('teams')
          .set((eb) => ({ member_count: eb('member_count', '-', 1) }))
          .where('organization_id', '=', organizationId)
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('team_members')
              .select('team_id')
              .where('organization_id', '=', organizationId)
              .where('user_id', '=', userId),
          )
          .execute()
        await trx
          .deleteFrom('team_members')
          .where('organization_id', '=', organizationId)
          .where('user_id', '=', userId)
          .execute()
        await auditRepository({ ...context, db: trx }).append(events)
        return true
      }),

    async reassignRole(organizationId, from, to) {
      const result = await db
        .updateTable('members')
        .set({ role: to })
        .where('organization_id', '=', organizationId)
        .where('role', '=', from)
        .executeTakeFirst()
      return affected(result.numUpdatedRows)
    },

    async countWithRole(organizationId, role) {
      const row = await db
        .selectFrom('members')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('organization_id', '=', organizationId)
        .where('role', '=', role)
        .executeTakeFirst()
      return toCount(row?.count)
    },
  }
}

/** Stands in for a user column the host did not map. */
const NULL_COLUMN: RawBuilder<string | null> = sql<string | null>`null`

/** References to the host's user columns on the alias `u`; unmapped ones read as NULL. */
export type HostUserColumns = Record<'id' | 'email' | 'username' | 'name' | 'imageUrl', RawBuilder<string | null>>

export function hostUserColumns(users: UsersTableMapping): HostUserColumns {
  const column = (name: string | undefined) =>
    name === undefined ? NULL_COLUMN : sql<string | null>`${sql.ref(`u.${name}`)}`
  return {
    id: sql<string | null>`${sql.ref(`u.${users.id}`)}`,
    email: column(users.email),
    username: column(users.username),
    name: column(users.name),
    imageUrl: column(users.imageUrl),
  }
}

/**
 * A host user's email equals `email` (given lower-cased), in the form the storage settled on
 * after reading the users table's catalog (`HostUsers.ready`; see `EmailLookup`): the column
 * as stored where it holds lower-cased emails or compares case-insensitively already (served
 * by its plain index), otherwise `lower()` of it (served by an index on `lower(email)`).
 */
export function emailIs(context: StorageContext, columns: HostUserColumns, email: string): RawBuilder<SqlBool> {
  return emailCondition(context.hostUsers.emailLookup, columns.email, email)
}

/**
 * The five columns of a user's summary from the host's mapped columns, aliased `id`,
 * `email`, `username`, `name` and `image_url`, each after `prefix`: what `userSummaryFromRow`
 * reads back (without the prefix).
 */
export function userSummarySelection<P extends string = ''>(columns: HostUserColumns, prefix: P = '' as P) {
  return [
    columns.id.as(`${prefix}id` as `${P}id`),
    columns.email.as(`${prefix}email` as `${P}email`),
    columns.username.as(`${prefix}username` as `${P}username`),
    columns.name.as(`${prefix}name` as `${P}name`),
    columns.imageUrl.as(`${prefix}image_url` as `${P}image_url`),
  ] as const
}

/** `!` escapes LIKE's wildcards; a backslash would need different quoting on MySQL. */
function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (char) => `!${char}`)
}

export function memberFromRow(row: Selectable<MembersTable>, dialect: StorageDialect): MemberRecord {
  return {
    organizationId: row.organization_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: dialect.fromTimestamp(row.joined_at),
  }
}

// Written out rather than spread from memberFromRow: a list maps every row of its page here.
function memberWithUserFromRow(row: MemberUserRow, organizationId: string, dialect: StorageDialect): MemberWithUser {
  return {
    organizationId,
    userId: row.user_id,
    role: row.role,
    joinedAt: dialect.fromTimestamp(row.joined_at),
    user: userFromRow(row.user_id, row),
  }
}

/** The host user's columns of a joined row; a user missing from the host's table reads as nulls. */
export function userFromRow(id: string, row: Partial<UserColumns>): UserSummary {
  return {
    id,
    email: row.user_email ?? null,
    username: row.user_username ?? null,
    name: row.user_name ?? null,
    imageUrl: row.user_image_url ?? null,
  }
}

/** A member's new role, compiled once: building the update per call was a tenth of a role change on SQLite. */
const updateMemberRole = compiled((context) =>
  context.db
    .updateTable('members')
    .set({ role: slot<string>('role') })
    .where('organization_id', '=', slot<string>('organizationId'))
    .where('user_id', '=', slot<string>('userId')),
)
