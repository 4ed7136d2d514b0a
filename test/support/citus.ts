/**
 * Runs the tests on a Citus cluster: with `ORGKIT_TEST_CITUS=1` (and `ORGKIT_TEST_PG_URL` naming
 * the cluster's coordinator), every PostgreSQL test storage is distributed with the DDL that
 * docs/scaling.md shows, read from the document itself, so the document is what is tested.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'

export const onCitus = (): boolean => process.env.ORGKIT_TEST_CITUS === '1'

const SCALING = join(import.meta.dirname, '../../docs/scaling.md')

/**
 * The statements of the `sql` block that follows `heading` in docs/scaling.md, one per
 * statement, comments dropped.
 */
export function scalingDdl(heading: string): string[] {
  const text = readFileSync(SCALING, 'utf8')
  const at = text.indexOf(heading)
  if (at === -1) throw new Error(`docs/scaling.md has no "${heading}"`)
  const block = /```sql\n([\s\S]*?)```/.exec(text.slice(at))
  if (block === null) throw new Error(`docs/scaling.md: no sql block after "${heading}"`)
  return block[1]!
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
}

/** Runs `statements` in order on `db` (the test's schema on the coordinator). */
// biome-ignore lint/suspicious/noExplicitAny: any test database.
export async function runDdl(db: Kysely<any>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db)
}
