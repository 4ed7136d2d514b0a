/**
 * `@orgkit/core/http`: the framework-free HTTP API. Adapters register `routes` with their
 * framework and answer each request with `handleRequest`.
 */
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
export { createOpenApiDocument, type OpenApiOptions, openApiPath } from './http/openapi'
export { defineRoute, type HttpMethod, type RouteContext, type RouteDefinition } from './http/route'
export { routes } from './http/routes'
export * from './http/wire'
