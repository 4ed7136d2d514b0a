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
export { kyselyStorage } from './storage'
