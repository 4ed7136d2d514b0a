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
  type ConnectionErrorListener,
  type ConnectionEvents,
  guardMysqlPool,
  guardPgPool,
  type MysqlPoolEvents,
  type PgPoolEvents,
} from './pool-guards'
export { type CachedStatementsOptions, cachedStatements } from './sqlite-statements'
export { kyselyStorage } from './storage'
