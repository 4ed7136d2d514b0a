export { API_KEY_PATTERN } from './api-keys/authenticate'
export * from './api-keys/schemas'
export type { ApiKeyView, IssuedApiKey } from './api-keys/service'
export { type ListAuditEventsInput, listAuditEventsSchema } from './audit/schemas'
export { DEFAULT_ROLES } from './authorization/defaults'
export {
  type CompiledRole,
  createPermissionEngine,
  OrgkitConfigError,
  type PermissionDecision,
  type PermissionEngine,
  type PermissionEngineOptions,
} from './authorization/engine'
export {
  type BuiltInPermission,
  type Grant,
  ORGKIT_PERMISSIONS,
  type OrgkitPermission,
  OWNER_ROLE,
  type PermissionResource,
} from './authorization/permissions'
export type { RoleSet } from './authorization/resolver'
export { DEFAULT_TEAM_ROLE, DEFAULT_TEAM_ROLES } from './authorization/team-roles'
export type { BulkInvitationResult } from './enrollment/bulk'
export type { DomainView } from './enrollment/domains'
export type { DiscoverableOrganization, JoinOutcome } from './enrollment/join'
export type { InvitationLinkPreview, InvitationLinkView, IssuedInvitationLink } from './enrollment/links'
export * from './enrollment/schemas'
export { createOrgkit, DEFAULT_INDUSTRIES } from './instance/create-orgkit'
export type * from './instance/orgkit'
export * from './invitations/schemas'
export type { InvitationPreview, InvitationView, IssuedInvitation } from './invitations/service'
export * from './members/schemas'
export * from './organizations/schemas'
export { RESERVED_SLUGS, slugify } from './organizations/slug'
export * from './roles/schemas'
export type { RoleView } from './roles/service'
export type * from './runtime/config'
export {
  DEFAULT_CONSUMER_MAIL_DOMAINS,
  type EnrollmentOptions,
  type TxtResolver,
} from './runtime/enrollment-options'
export type {
  BeforeHook,
  BeforeHooks,
  HookContext,
  OrgkitEvent,
  OrgkitEventAction,
  OrgkitEventMap,
} from './runtime/events'
export { currentOrganizationId, type OrganizationScope, runInOrganization } from './runtime/organization-context'
export { ERROR_CODES, type ErrorCode, type ErrorDetail, isOrgkitError, OrgkitError } from './shared/errors'
export { createId, hasIdPrefix, ID_PREFIXES, type IdKind } from './shared/ids'
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
} from './shared/pagination'
export { hashSecret, randomSecret, secretMatches } from './shared/secrets'
export type * from './shared/types'
export type * from './storage/enrollment'
export { readOrganizationPage } from './storage/pages'
export type * from './storage/port'
export * from './teams/schemas'
