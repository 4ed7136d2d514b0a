export {
  DEFAULT_ORGANIZATION_COLUMN,
  type OrganizationSource,
  type ScopedTable,
  type ScopedTableSet,
  type ScopedTables,
  type TenantScopeOptions,
} from './options'
export { REVIEWED_RAW_MARK, unscopedSql } from './raw'
export {
  checkRowLevelSecurity,
  disableRowLevelSecurity,
  enableRowLevelSecurity,
  ORGANIZATION_POLICY,
  ORGANIZATION_SETTING,
  organizationTransaction,
  type RowLevelSecurityCheckOptions,
} from './row-level-security'
export {
  scopeToOrganization,
  TenantScopePlugin,
  type TenantScopePluginOptions,
  tenantScopePlugin,
  unscoped,
} from './scope-plugin'
