import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { noOrganization } from './errors'
import { type OrganizationSource, resolveScopedTables, type ScopedTableSet, type TenantScopeOptions } from './options'
import { ScopeTransformer } from './scope-transformer'

/** Options of `tenantScopePlugin`: the scoped tables, and the organization the queries run for. */
export interface TenantScopePluginOptions extends TenantScopeOptions {
  /** The organization id, or a function that reads it each time a query is built. */
  organization: OrganizationSource
}

/**
 * The tenant scope as a Kysely plugin: on the tables it is told about, every select,
 * update and delete gets `<table>.<column> = <organization>` and every insert gets the
 * organization stamped; writes naming another organization, raw SQL naming a scoped table
 * and statements it cannot make safe are refused (see docs/scoping.md). Every query run
 * through it needs an organization: without one, none runs.
 *
 * A class, as Kysely's own plugins are, so that `unscoped(db, reason)` can tell it apart
 * from the host's other plugins.
 */
export class TenantScopePlugin implements KyselyPlugin {
  readonly #tables: ScopedTableSet
  readonly #transformer: ScopeTransformer
  readonly #organization: () => string | null | undefined

  constructor(options: TenantScopePluginOptions) {
    this.#tables = resolveScopedTables(options, 'tenantScopePlugin')
    this.#transformer = new ScopeTransformer(this.#tables)
    const { organization } = options
    if (typeof organization === 'string') {
      if (organization === '') throw new Error('@orgkit/kysely: tenantScopePlugin: organization is an empty string.')
      this.#organization = () => organization
    } else if (typeof organization === 'function') {
      this.#organization = organization
    } else {
      throw new Error('@orgkit/kysely: tenantScopePlugin: organization must be an id or a function that returns one.')
    }
  }

  /** The scoped tables, as checked. */
  get tables(): ScopedTableSet {
    return this.#tables
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const organizationId = this.#organization()
    if (typeof organizationId !== 'string' || organizationId === '') throw noOrganization()
    return this.#transformer.scope(args.node, organizationId, args.queryId)
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** The tenant scope plugin (see `TenantScopePlugin`). */
export function tenantScopePlugin(options: TenantScopePluginOptions): TenantScopePlugin {
  return new TenantScopePlugin(options)
}

/**
 * `db`, scoped to one organization: what a request handler queries the host's tables
 * through. `organization` is an id, or a function read at each query.
 *
 * ```ts
 * const scoped = scopeToOrganization(db, org.id, { tables: ['projects', 'tasks'] })
 * await scoped.selectFrom('projects').selectAll().execute() // this organization's projects only
 * ```
 */
export function scopeToOrganization<DB>(
  db: Kysely<DB>,
  organization: OrganizationSource,
  options: TenantScopeOptions,
): Kysely<DB> {
  return db.withPlugin(new TenantScopePlugin({ ...options, organization }))
}

/**
 * `db` without its tenant scope, the host's other plugins kept: the escape hatch for the
 * queries that really span organizations (a platform report, a cleanup job). `reason` says
 * why, for whoever reviews the call; it must not be empty. Named to stand out in a review:
 * search the code base for `unscoped(` to list every query that crosses organizations.
 */
export function unscoped<DB>(db: Kysely<DB>, reason: string): Kysely<DB> {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new Error('@orgkit/kysely: unscoped(db, reason) needs a reason, for whoever reviews the query.')
  }
  const kept = db.getExecutor().plugins.filter((plugin) => !(plugin instanceof TenantScopePlugin))
  return kept.reduce((unscopedDb, plugin) => unscopedDb.withPlugin(plugin), db.withoutPlugins())
}
