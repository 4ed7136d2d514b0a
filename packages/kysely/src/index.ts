export type { DialectName } from './dialects'
export {
  migrateToLatest,
  orgkitMigrations,
  orgkitMigrationTables,
} from './migrations'
export {
  DEFAULT_TABLE_PREFIX,
  type KyselyStorageOptions,
  type OrgkitTablesOptions,
  type UsersTableOptions,
} from './options'
export type { OrganizationTable, OrganizationTableOptions, OrganizationTables } from './organization-tables'
export {
  type PgStatementClient,
  type PgStatementPool,
  type PreparedStatementsOptions,
  preparedStatements,
} from './pg-statements'
export {
  type ConnectionErrorListener,
  type ConnectionEvents,
  guardMysqlPool,
  guardPgPool,
  type MysqlPoolEvents,
  type PgPoolEvents,
} from './pool-guards'
export { scopedDb } from './request-scope'
export {
  checkRowLevelSecurity,
  DEFAULT_ORGANIZATION_COLUMN,
  disableRowLevelSecurity,
  enableRowLevelSecurity,
  ORGANIZATION_POLICY,
  ORGANIZATION_SETTING,
  type OrganizationSource,
  organizationTransaction,
  REVIEWED_RAW_MARK,
  type RowLevelSecurityCheckOptions,
  type ScopedTable,
  type ScopedTableSet,
  type ScopedTables,
  scopeToOrganization,
  type TenantScopeOptions,
  TenantScopePlugin,
  type TenantScopePluginOptions,
  tenantScopePlugin,
  unscoped,
  unscopedSql,
} from './scoping'
export { type CachedStatementsOptions, cachedStatements } from './sqlite-statements'
export { kyselyStorage } from './storage'
