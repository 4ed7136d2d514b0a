import type { Kysely } from 'kysely'
import { compiled, slot } from './compiled'
import type { StorageContext } from './context'
import type { OrgkitDatabase } from './schema'

/*
 * Kept counts: `organizations.member_count`, `organizations.team_count` and
 * `teams.member_count` move by one in the statement that touches their row, called by the
 * repository methods that add or remove the counted rows, inside their transaction.
 * Concurrent changes serialize on the row, so a count never drifts from the rows it
 * counts, and reads never count.
 */

const moveCount = {
  member_count: compiled((context) =>
    context.db
      .updateTable('organizations')
      .set((eb) => ({ member_count: eb('member_count', '+', slot<number>('delta')) }))
      .where('id', '=', slot<string>('organizationId')),
  ),
  team_count: compiled((context) =>
    context.db
      .updateTable('organizations')
      .set((eb) => ({ team_count: eb('team_count', '+', slot<number>('delta')) }))
      .where('id', '=', slot<string>('organizationId')),
  ),
}

/** `context.db` is the transaction the counted rows change in. */
export async function moveOrganizationCount(
  context: StorageContext,
  organizationId: string,
  column: 'member_count' | 'team_count',
  delta: 1 | -1,
): Promise<void> {
  await moveCount[column].run(context, { organizationId, delta })
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
