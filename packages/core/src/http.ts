/**
 * `@orgkit/core/http`: the framework-free HTTP API. An adapter hands each request under its
 * mount prefix to `dispatch` (routing, decoding, body parsing, validation, errors) and writes
 * the answer with `responseText`; the option checks and body reading it needs are here too,
 * so that every adapter behaves the same.
 */
export { assertFunctionOptions, assertOrgkitInstance, bodyLimitOption } from './http/adapter'
export {
  BODY_DRAIN_ALLOWANCE,
  type BodyRead,
  type BodyStream,
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
export { type ErrorBody, errorToResponse, type HttpResponse, STATUS_BY_CODE, statusForCode } from './http/errors'
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
export * from './http/wire'
