/** The samples of docs/scoping.md; see `samples.ts` for how regions become documentation. */
import {
  checkRowLevelSecurity,
  enableRowLevelSecurity,
  organizationTransaction,
  scopeToOrganization,
  unscoped,
  unscopedSql,
} from '@orgkit/kysely'
import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: the samples run on a scratch database of the tests.
type Db = Kysely<any>

export async function scopingPlugin(db: Db, organizationId: string) {
  // #region scoping-plugin
  const scoped = scopeToOrganization(db, organizationId, {
    tables: ['projects', 'tasks'], // or { projects: 'organization_id', 'billing.invoices': 'org_id' }
  })

  // The plugin adds: where projects.organization_id = <organizationId>
  const projects = await scoped.selectFrom('projects').select(['id', 'name']).orderBy('id').execute()

  // The plugin stamps organization_id on the row.
  await scoped.insertInto('projects').values({ id: 'prj_launch', name: 'Launch' }).execute()
  // #endregion scoping-plugin
  return { scoped, projects }
}

export async function scopingEscape(scoped: Db, organizationId: string) {
  // #region scoping-escape
  // A platform-wide count; the reason is for whoever reviews this line.
  const perOrganization = await unscoped(scoped, 'admin dashboard: projects per organization')
    .selectFrom('projects')
    .select(['organization_id', (eb) => eb.fn.countAll<number>().as('projects')])
    .groupBy('organization_id')
    .orderBy('organization_id')
    .execute()

  // Raw SQL that names a scoped table runs only when marked as reviewed.
  const { rows } = await unscopedSql('reviewed: filters on organization_id itself')<{ id: string }>`
    select id from projects where organization_id = ${organizationId} order by id`.execute(scoped)
  // #endregion scoping-escape
  return { perOrganization, rows }
}

export async function scopingRlsMigration(owner: Db) {
  // #region scoping-rls-migration
  // In a migration, after creating the tables, connected as their owner:
  await enableRowLevelSecurity(owner, { tables: ['projects', 'tasks'] })
  // #endregion scoping-rls-migration
}

export async function scopingRlsStartup(appDb: Db) {
  // #region scoping-rls-startup
  // At start-up, on the pool the application queries through: throws, naming the table.
  await checkRowLevelSecurity(appDb, { tables: ['projects', 'tasks'] })
  // #endregion scoping-rls-startup
}

export async function scopingRlsRequest(appDb: Db, organizationId: string) {
  // #region scoping-rls-request
  // Per request: the plugin writes the condition, the policy holds even where it is missing.
  const tasks = await organizationTransaction(appDb, organizationId, (trx) =>
    scopeToOrganization(trx, organizationId, { tables: ['projects', 'tasks'] })
      .selectFrom('tasks')
      .select(['id', 'title'])
      .orderBy('id')
      .execute(),
  )
  // #endregion scoping-rls-request
  return tasks
}
