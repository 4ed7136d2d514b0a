import type {
  OrganizationPageKind,
  OrganizationPageRead,
  OrganizationPages,
  OrganizationRepository,
  PageInput,
} from '@orgkit/core'
import { type Compilable, type RawBuilder, type SqlBool, sql } from 'kysely'
import type { StorageContext } from '../context'
import { type KeysetRead, type KeysetSort, keysetPage, keysetQuery } from '../keyset'
import { apiKeyPage } from './api-keys'
import { auditPage } from './audit'
import { domainPage } from './domains'
import { invitationLinkPage } from './invitation-links'
import { invitationPage } from './invitations'
import { joinRequestPage } from './join-requests'
import { type OrganizationWithMemberRow, selectWithMember, withMemberFromRow } from './organization-rows'
import { teamPage } from './teams'

/** A page read by `read`'s repository's `list`; its rows are the list's own. */
type PageReadOf<K extends OrganizationPageKind> = (
  context: StorageContext,
  organizationId: string,
  ...input: Readonly<OrganizationPages[K]['input']>
  // biome-ignore lint/suspicious/noExplicitAny: each list's rows are its table's.
) => KeysetRead<any, OrganizationPages[K]['row']>

/** Each page `findWithMemberAndPage` reads, as its repository's `list` reads it. */
const pageReads: { [K in OrganizationPageKind]: PageReadOf<K> } = {
  teams: teamPage,
  invitations: invitationPage,
  apiKeys: apiKeyPage,
  audit: auditPage,
  domains: domainPage,
  joinRequests: joinRequestPage,
  invitationLinks: invitationLinkPage,
}

/**
 * PostgreSQL: `organizations.findWithMemberAndPage`, one statement and one row, as
 * `members.listWithMember` reads a member page: the organization with the user's membership
 * (`selectWithMember`), and the page's rows as one JSON array (`json_agg`) of a subquery that
 * keeps the list's own order, cursor and limit, so the page is read from the list's index and
 * stops at the limit, as the page alone is. The subquery's condition on the membership names
 * none of its rows' columns: PostgreSQL decides it once, before reading them, and a
 * non-member's request reads no page. Every part is on the organization's shard on Citus.
 */
export async function findWithMemberAndPage<K extends OrganizationPageKind>(
  context: StorageContext,
  id: string,
  userId: string,
  read: OrganizationPageRead<K>,
): ReturnType<NonNullable<OrganizationRepository['findWithMemberAndPage']>> {
  const { dialect } = context
  const pageRead = pageReads[read.list] as PageReadOf<K>
  const { query, sort, page, toRecord, keyOf } = pageRead(context, id, ...read.input)
  const rows = keysetQuery(query.where(isMemberOf(context, id, userId)), sort, page, dialect)
  const row = (await selectWithMember(context, id, userId)
    .select(aggregated(rows, sort, page).as('page_rows'))
    .executeTakeFirst()) as (OrganizationWithMemberRow & { page_rows: unknown[] | null }) | undefined
  const found = withMemberFromRow(row, id, userId, dialect)
  if (found === null || found.member === null) return found && { ...found, page: null }
  // A row of `json_agg` has the table's columns, its timestamps as ISO 8601 text: what each
  // record's mapping reads (`StorageDialect.fromTimestamp` takes either).
  return { ...found, page: keysetPage((row?.page_rows ?? []).map(toRecord), page, keyOf) }
}

/**
 * The condition that `userId` is a member of the organization, for the rows read with its
 * authorization: it names none of their columns, so PostgreSQL decides it once, before
 * reading them, and a non-member's request reads none.
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
 * `rows` as one JSON array (`null` for none), in the order a keyset read of `page` travels
 * (the list's, reversed for a page before a cursor), as `keysetPage` expects them.
 */
export function aggregated(rows: Compilable<unknown>, sort: KeysetSort, page: PageInput): RawBuilder<unknown[] | null> {
  const travel = (page.cursor?.direction === 'before') !== (sort.order === 'desc') ? 'desc' : 'asc'
  const column = (ref: string) => sql.raw(`r.${ref.slice(ref.indexOf('.') + 1)} ${travel}`)
  return sql<
    unknown[] | null
  >`(select json_agg(r order by ${column(sort.time)}, ${column(sort.id)}) from (${rows}) as r)`
}
