import type {
  OrganizationPageKind,
  OrganizationPageRead,
  OrganizationPages,
  OrganizationRepository,
} from '@orgkit/core'

import type { StorageContext } from '../context'
import { type KeysetRead, keysetPage, keysetQuery } from '../keyset'
import { apiKeyPage } from './api-keys'
import { auditPage } from './audit'
import { domainPage } from './domains'
import { invitationLinkPage } from './invitation-links'
import { invitationPage } from './invitations'
import { joinRequestPage } from './join-requests'
import {
  aggregated,
  isMemberOf,
  type OrganizationWithMemberRow,
  selectWithMember,
  travelOf,
  withMemberFromRow,
} from './organization-rows'
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
    .select(aggregated(rows, sort, travelOf(sort, page)).as('page_rows'))
    .executeTakeFirst()) as (OrganizationWithMemberRow & { page_rows: unknown[] | null }) | undefined
  const found = withMemberFromRow(row, id, userId, dialect)
  if (found === null || found.member === null) return found && { ...found, page: null }
  // A row of `json_agg` has the table's columns, its timestamps as ISO 8601 text: what each
  // record's mapping reads (`StorageDialect.fromTimestamp` takes either).
  return { ...found, page: keysetPage((row?.page_rows ?? []).map(toRecord), page, keyOf) }
}
