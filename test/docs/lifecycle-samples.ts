/**
 * The samples of docs/scoping.md about the request's organization and deleting an
 * organization; see `samples.ts` for how regions become documentation.
 */
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { requirePermission } from '@orgkit/express'
import { kyselyStorage, scopedDb } from '@orgkit/kysely'
import express from 'express'
import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: the samples run on a scratch database of the tests.
type Db = Kysely<any>

export function scopingRequest(db: Db, orgkit: Orgkit, resolveActor: (req: express.Request) => Actor | null) {
  const app = express()
  // #region scoping-request
  // Once, at start-up, next to db.
  const scoped = scopedDb(db, { tables: ['projects', 'tasks'] })

  // The handler runs in the organization requirePermission authorized: no organization id in sight.
  app.get('/orgs/:org/projects', requirePermission(orgkit, 'projects.read', { resolveActor }), async (_req, res) => {
    res.json(await scoped.selectFrom('projects').select(['id', 'name']).orderBy('id').execute())
  })

  // Outside a request (a job, a script), name the organization.
  const countProjects = (organizationId: string) =>
    orgkit.runInOrganization(organizationId, () =>
      scoped
        .selectFrom('projects')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    )
  // #endregion scoping-request
  return { app, countProjects }
}

export function scopingDelete(db: Db) {
  // #region scoping-delete
  // Declared once, for the scope plugin and for the deletion: children before parents.
  const tables = ['tasks', 'projects']

  const orgkit = createOrgkit({
    storage: kyselyStorage(db, {
      users: { table: 'users', columns: { id: 'id', email: 'email' } },
      organizationTables: [
        ...tables,
        {
          table: 'invoices',
          // Kept for the accountants, in the same transaction: moved, not deleted.
          async onDelete(transaction, organizationId) {
            await transaction
              .insertInto('archived_invoices')
              .expression(transaction.selectFrom('invoices').selectAll().where('organization_id', '=', organizationId))
              .execute()
            await transaction.deleteFrom('invoices').where('organization_id', '=', organizationId).execute()
          },
        },
      ],
    }),
  })
  const scoped = scopedDb(db, { tables: [...tables, 'invoices'] })

  // A before hook writes through the deletion's transaction: a rollback takes its row too.
  orgkit.before('organization.deleted', async (event, { transaction }) => {
    await transaction
      .insertInto('deletion_log')
      .values({ organization_id: event.organizationId, name: event.changes.name })
      .execute()
  })
  // #endregion scoping-delete
  return { orgkit, scoped }
}
