/**
 * `@orgkit/client`: a typed client for orgkit's HTTP API over the web `fetch`, with no
 * dependencies. The types come from the server's route table (`src/contract.ts` is
 * generated from it), so a method and its route cannot disagree.
 */
export { can, type PermissionGrants } from './can'
export {
  type CallOptions,
  createOrgkitClient,
  type Iterate,
  OPERATION_ALIASES,
  type Operation,
  type OperationArgs,
  type OperationId,
  type OrgkitClient,
  type OrgkitClientOptions,
  send,
} from './client'
export type {
  ApiKey,
  AuditEvent,
  Invitation,
  InvitationPreview,
  IssuedApiKey,
  IssuedInvitation,
  Member,
  OperationDescriptor,
  Operations,
  Organization,
  OrgkitErrorCode,
  Page,
  PermissionMap,
  Role,
  Team,
  TeamMember,
  User,
} from './contract'
export { operations } from './contract'
export { isOrgkitClientError, OrgkitClientError, type OrgkitErrorDetail, OrgkitNetworkError } from './errors'
