export { API_KEY_PATTERN } from './api-keys/authenticate'
export * from './api-keys/schemas'
export type { ApiKeyView, IssuedApiKey } from './api-keys/service'
export type {
  BeforeHook,
  BeforeHooks,
  HookContext,
  OrgkitEvent,
  OrgkitEventAction,
  OrgkitEventMap,
} from './audit/events'
export { type ListAuditEventsInput, listAuditEventsSchema } from './audit/service'
export type * from './config'
export { createOrgkit, DEFAULT_INDUSTRIES } from './create-orgkit'
export { ERROR_CODES, type ErrorCode, type ErrorDetail, isOrgkitError, OrgkitError } from './errors'
export { createId, hasIdPrefix, ID_PREFIXES, type IdKind } from './ids'
export * from './invitations/schemas'
export type { InvitationPreview, InvitationView, IssuedInvitation } from './invitations/service'
export * from './members/schemas'
export { currentOrganizationId, type OrganizationScope, runInOrganization } from './organization-context'
export * from './organizations/schemas'
export { RESERVED_SLUGS, slugify } from './organizations/slug'
export type * from './orgkit'
export {
  buildPage,
  type Cursor,
  type CursorKey,
  DEFAULT_PAGE_LIMIT,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_LIMIT,
  mapPage,
  type Page,
  type PageInput,
  pageInput,
} from './pagination'
export { DEFAULT_ROLES } from './roles/defaults'
export {
  type CompiledRole,
  createPermissionEngine,
  OrgkitConfigError,
  type PermissionDecision,
  type PermissionEngine,
  type PermissionEngineOptions,
} from './roles/engine'
export { ORGKIT_PERMISSIONS, type OrgkitPermission, OWNER_ROLE } from './roles/permissions'
export type { RoleSet } from './roles/resolver'
export * from './roles/schemas'
export type { RoleView } from './roles/service'
export { hashSecret, randomSecret, secretMatches } from './secrets'
export type * from './storage/port'
export { DEFAULT_TEAM_ROLE, DEFAULT_TEAM_ROLES } from './teams/roles'
export * from './teams/schemas'
export type * from './types'
