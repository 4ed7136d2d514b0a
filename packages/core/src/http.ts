/**
 * `@orgkit/core/http`: the framework-free HTTP layer. Adapters (Express, Fastify) iterate
 * `routes`, resolve the actor with `resolveRequestActor`, and answer with `executeRoute`;
 * every status code and error body is decided here, once.
 */
export { defineRoute, type HttpMethod, type RouteContext, type RouteDefinition } from './http/route'
