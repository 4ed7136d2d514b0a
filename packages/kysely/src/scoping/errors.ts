import { OrgkitError } from '@orgkit/core'

/**
 * Why the scope refused a query. `forbidden` for a write that names another organization
 * (it may come from a request's input); `internal` for everything that is a bug in the
 * host's code: no organization set, raw SQL on a scoped table, a statement shape the scope
 * cannot make safe.
 */
export function noOrganization(): OrgkitError {
  return new OrgkitError(
    'internal',
    'Tenant scope: no organization is set, so no query runs on this scoped Kysely instance ' +
      '(bind an organization, or run the query inside the request that has one).',
  )
}

export function foreignOrganization(table: string, what: string): OrgkitError {
  return new OrgkitError(
    'forbidden',
    `Tenant scope: ${what} on ${table} names another organization than the scoped one.`,
  )
}

export function rawSqlOnScopedTable(table: string): OrgkitError {
  return new OrgkitError(
    'internal',
    `Tenant scope: raw SQL mentions the scoped table ${table}; the scope cannot add its condition to raw SQL. ` +
      'Write the query with the query builder, or mark the fragment reviewed with unscopedSql(reason).',
  )
}

export function unsupportedStatement(table: string, what: string): OrgkitError {
  return new OrgkitError(
    'internal',
    `Tenant scope: ${what} on the scoped table ${table} is refused: ${UNSUPPORTED_HINT}`,
  )
}

const UNSUPPORTED_HINT = 'the scope cannot make it safe. Rewrite it, or run it on unscoped(db, reason).'
