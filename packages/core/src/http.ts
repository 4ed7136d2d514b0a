/**
 * `@orgkit/core/http`: the framework-free HTTP API. An adapter hands each request under its
 * mount prefix to `dispatch` (routing, decoding, body parsing, validation, errors) and writes
 * the answer with `responseText`; the option checks and body reading it needs are here too,
 * so that every adapter behaves the same. For hosts, `httpStatusOf` (also exported by both
 * adapters) is public and stable; the rest is for adapters.
 */

export { type ApiKeyWire, apiKeyWire, issuedApiKeyWire, serializeApiKey, serializeIssuedApiKey } from './api-keys/wire'
export { auditEventWire, serializeAuditEvent } from './audit/wire'
export { type PermissionRequirement, type Requirement, requiredPermission, requires } from './authorization/requirement'
export { assertFunctionOptions, assertOrgkitInstance, bodyLimitOption } from './http/adapter'
export {
  BODY_DRAIN_ALLOWANCE,
  BODY_PROBLEMS,
  type BodyProblem,
  type BodyRead,
  type BodyStream,
  bodyError,
  DEFAULT_BODY_LIMIT,
  isJsonContentType,
  parseJsonBody,
  readBody,
} from './http/body'
export {
  type DispatchResponse,
  dispatch,
  malformedUrlResponse,
  matchRoute,
  parseQueryString,
  type RawHttpRequest,
  type RouteMatch,
  responseText,
} from './http/dispatch'
export {
  type ErrorBody,
  errorToResponse,
  type HttpResponse,
  httpStatusOf,
  STATUS_BY_CODE,
  statusForCode,
} from './http/errors'
export {
  type ActorResolution,
  authorizeRequest,
  type HandleOptions,
  type HttpRequestInput,
  handleRequest,
  type RequestGrant,
  resolveRequestActor,
} from './http/handle'
export { assertStoredText } from './http/input'
export { createOpenApiDocument, type OpenApiOptions, openApiPath } from './http/openapi'
export {
  defineRoute,
  type HttpMethod,
  type RouteContext,
  type RouteDefinition,
  type RouteSignature,
} from './http/route'
export { type HttpRoute, routes } from './http/routes'
export {
  type InvitationWire,
  invitationPreviewWire,
  invitationWire,
  issuedInvitationWire,
  serializeInvitation,
  serializeInvitationPreview,
  serializeIssuedInvitation,
} from './invitations/wire'
export { type MemberWire, memberWire, serializeMember, serializeUser, userWire } from './members/wire'
export {
  type OrganizationWire,
  organizationWire,
  permissionSummaryWire,
  serializeOrganization,
} from './organizations/wire'
export { roleWire, serializeRole } from './roles/wire'
export { pageSchema, toPage } from './shared/wire'
export {
  serializeTeam,
  serializeTeamMember,
  type TeamMemberWire,
  type TeamWire,
  teamMemberWire,
  teamWire,
} from './teams/wire'
