import type {
  MemberRecord,
  OrganizationRecord,
  OrganizationType,
  OrganizationVisibility,
  PageInput,
} from '@orgkit/core'
import { type Compilable, type RawBuilder, type Selectable, type SqlBool, sql } from 'kysely'
import { parseJsonObject, toCount } from '../codec'
import { slot } from '../compiled'
import type { StorageContext } from '../context'
import type { StorageDialect } from '../dialects'
import type { KeysetSort } from '../keyset'
import type { OrganizationsTable } from '../schema'

const byId = (context: StorageContext, id: string) => context.db.selectFrom('organizations as o').where('o.id', '=', id)
/** The organization named by id, as a query to join to: the shape `organizationBySlug` is given too. */
export type OrganizationById = ReturnType<typeof byId>

/**
 * The organization the slot `slug` names, through the slug's lookup row (PostgreSQL on one
 * server). The organization's own slug is asked too: a statement that waited for the row's
 * lock reads the row again once it is granted and checks that condition on it, so a slug
 * given up meanwhile finds nothing (the lookup row, not locked, is read as it was).
 */
export const organizationBySlug = (context: StorageContext) =>
  context.db
    .selectFrom('organization_slugs as s')
    .innerJoin('organizations as o', 'o.id', 's.organization_id')
    .where('s.slug', '=', slot<string>('slug'))
    .where('o.slug', '=', slot<string>('slug'))

/*
 * The organization's row as every repository reads it: with one user's membership (what a
 * permission check reads first), and as a record.
 */

/**
 * The organization with one user's membership: every permission check by id. The id and
 * the user's are the slots `id` and `userId` (see compiled.ts), or the values given. `by`
 * `'slug'`: the organization the slot `slug` names instead, its slug's lookup row joined in
 * (PostgreSQL on one server only: on Citus the lookup is on a shard of its own).
 */
export const selectWithMember = (
  context: StorageContext,
  id = slot<string>('id'),
  userId = slot<string>('userId'),
  by: 'id' | 'slug' = 'id',
) => {
  const organization =
    by === 'id'
      ? byId(context, id)
      : // The same row, found through the lookup: only the organization's columns are selected.
        (organizationBySlug(context) as unknown as ReturnType<typeof byId>)
  if (context.dialect.name === 'sqlite') {
    return organization
      .selectAll('o')
      .select((eb) => [
        eb
          .selectFrom('members as m')
          .select('m.role')
          .whereRef('m.organization_id', '=', 'o.id')
          .where('m.user_id', '=', userId)
          .as('member_role'),
        eb
          .selectFrom('members as m')
          .select('m.joined_at')
          .whereRef('m.organization_id', '=', 'o.id')
          .where('m.user_id', '=', userId)
          .as('member_joined_at'),
      ])
  }
  return organization
    .leftJoin('members as m', (join) => join.onRef('m.organization_id', '=', 'o.id').on('m.user_id', '=', userId))
    .selectAll('o')
    .select(['m.role as member_role', 'm.joined_at as member_joined_at'])
}

/**
 * The condition that `userId` is a member of the organization `id` (values, or slots), for
 * rows read with its authorization: it names none of their columns, so PostgreSQL decides it
 * once, before reading them, and a non-member's request reads none.
 */
export function isMemberOf(context: StorageContext, id: string, userId: string): RawBuilder<SqlBool> {
  const caller = context.db
    .selectFrom('members as caller')
    .select('caller.role')
    .where('caller.organization_id', '=', id)
    .where('caller.user_id', '=', userId)
  return sql<SqlBool>`exists (${caller})`
}

/**
 * PostgreSQL: `rows` as one JSON array (`null` for none) in one column, ordered by `sort`'s
 * columns in the direction a keyset read travels (`travel`: see `travelOf`), as `keysetPage`
 * expects them. A row of it has the subquery's columns, its timestamps as ISO 8601 text
 * (`StorageDialect.fromTimestamp` reads either).
 */
export function aggregated<Row = unknown>(
  rows: Compilable<unknown>,
  sort: KeysetSort,
  travel: 'asc' | 'desc',
): RawBuilder<Row[] | null> {
  const column = (ref: string) => sql.raw(`r.${ref.slice(ref.indexOf('.') + 1)} ${travel}`)
  return sql<Row[] | null>`(select json_agg(r order by ${column(sort.time)}, ${column(sort.id)}) from (${rows}) as r)`
}

/** The direction a keyset read of `page` travels: the list's order, reversed for a page before a cursor. */
export function travelOf(sort: KeysetSort, page: PageInput): 'asc' | 'desc' {
  return (page.cursor?.direction === 'before') !== (sort.order === 'desc') ? 'desc' : 'asc'
}

/** A row of `selectWithMember` (or of a statement that reads it with more). */
export type OrganizationWithMemberRow = Selectable<OrganizationsTable> & {
  member_role: string | null
  member_joined_at: string | Date | null
}

/** The organization and `userId`'s membership (`null`: none) of a `selectWithMember` row; `null` without a row. */
export function withMemberFromRow(
  row: OrganizationWithMemberRow | undefined,
  id: string,
  userId: string,
  dialect: StorageDialect,
): { organization: OrganizationRecord; member: MemberRecord | null } | null {
  if (row === undefined) return null
  const { member_role, member_joined_at } = row
  return {
    // The record takes the organization's columns by name: the membership's are left
    // behind without copying the row (a rest copy of it cost more than the mapping).
    organization: organizationFromRow(row, dialect),
    member:
      member_role === null || member_joined_at === null
        ? null
        : { organizationId: id, userId, role: member_role, joinedAt: dialect.fromTimestamp(member_joined_at) },
  }
}

export function organizationFromRow(row: Selectable<OrganizationsTable>, dialect: StorageDialect): OrganizationRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    type: row.type as OrganizationType,
    description: row.description,
    logoUrl: row.logo_url,
    websiteUrl: row.website_url,
    industry: row.industry,
    visibility: row.visibility as OrganizationVisibility,
    contactEmail: row.contact_email,
    contactPhone: row.contact_phone,
    timezone: row.timezone,
    metadata: parseJsonObject(row.metadata),
    privateMetadata: parseJsonObject(row.private_metadata),
    createdBy: row.created_by,
    rolesVersion: Number(row.roles_version),
    memberCount: toCount(row.member_count),
    teamCount: toCount(row.team_count),
    createdAt: dialect.fromTimestamp(row.created_at),
    updatedAt: dialect.fromTimestamp(row.updated_at),
  }
}
