import type { Kysely } from 'kysely'
import type { OrgkitDatabase } from './schema'

/*
 * Kept counts: `organizations.member_count`, `organizations.team_count` and
 * `teams.member_count` move by one in the statement that touches their row, called by the
 * repository methods that add or remove the counted rows, inside their transaction.
 * Concurrent changes serialize on the row, so a count never drifts from the rows it
 * counts, and reads never count.
 */

export async function moveOrganizationCount(
  db: Kysely<OrgkitDatabase>,
  organizationId: string,
  column: 'member_count' | 'team_count',
  delta: 1 | -1,
): Promise<void> {
  await db
    .updateTable('organizations')
    .set((eb) => ({ [column]: eb(column, '+', delta) }))
    .where('id', '=', organizationId)
    .execute()
}

export async function moveTeamCount(
  db: Kysely<OrgkitDatabase>,
  organizationId: string,
  teamId: string,
  delta: 1 | -1,
): Promise<void> {
  await db
    .updateTable('teams')
    .set((eb) => ({ member_count: eb('member_count', '+', delta) }))
    .where('organization_id', '=', organizationId)
    .where('id', '=', teamId)
    .execute()
}
