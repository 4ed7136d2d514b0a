import { currentOrganizationId } from '@orgkit/core'
import type { Kysely } from 'kysely'
import { scopeToOrganization, type TenantScopeOptions } from './scoping'

/**
 * `db` scoped to the request's organization: the scope plugin, reading the organization from
 * `orgkit.runInOrganization` (which the adapters' `requirePermission` sets for the route
 * handler) each time a query runs. Make it once, at start-up, next to `db`:
 *
 * ```ts
 * const scoped = scopedDb(db, { tables: ['projects', 'tasks'] })
 * // in a handler behind requirePermission:
 * await scoped.selectFrom('projects').selectAll().execute() // this organization's projects
 * ```
 *
 * Fails closed: a query run outside any organization (a job, a script, a route without
 * `requirePermission`) throws before anything is sent, instead of reading every tenant.
 */
export function scopedDb<DB>(db: Kysely<DB>, options: TenantScopeOptions): Kysely<DB> {
  return scopeToOrganization(db, currentOrganizationId, options)
}
