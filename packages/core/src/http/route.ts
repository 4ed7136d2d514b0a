import type * as z from 'zod'
import { type Requirement, requiredPermission } from '../authorization/requirement'
import type { Orgkit, OrgkitClient } from '../instance/orgkit'
import type { Actor } from '../shared/types'

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** What a handler receives: inputs already validated by the route's schemas. */
export interface RouteContext<Params = unknown, Query = unknown, Body = unknown> {
  orgkit: Orgkit
  /** The caller; never `null` on routes with `auth: 'required'`, never a `system` actor. */
  actor: Actor | null
  /** `orgkit.as(actor)`, made with what authenticating the request already read; `null` without an actor. */
  client: OrgkitClient | null
  /** Where the adapter mounted the routes (`/api`), `''` at the root. */
  basePath: string
  params: Params
  query: Query
  body: Body
}

/**
 * One HTTP route, declared once as data. Adapters hand each request to `dispatch`, which
 * finds its route in the table and runs it (`handleRequest`); the OpenAPI document is
 * generated from the same table.
 */
// The table holds routes of many input types; `any` here lets one array carry them all while
// `defineRoute` keeps each route's schemas and handler tied together.
// biome-ignore lint/suspicious/noExplicitAny: see above
export interface RouteDefinition<Params = any, Query = any, Body = any> {
  method: HttpMethod
  /** Relative to the mount prefix, with `:name` parameters: `/organizations/:org/members/:userId`. */
  path: string
  operationId: string
  summary: string
  tag: string
  /**
   * Who may call it: the operation's requirement as its area declares it (`members/rules.ts`),
   * the same value the core API checks. Published in the OpenAPI document.
   */
  rule: Requirement
  /** The permission `rule` names, `null` when it names none: derived by `defineRoute`, never written. */
  readonly permission: string | null
  /** `required`: a 401 without an actor. */
  auth: 'none' | 'optional' | 'required'
  params?: z.ZodType<Params>
  /** The query's schema: validated here (a 400 names `query.…`), unless `queryValidatedByCore`. */
  query?: z.ZodType<Query>
  /**
   * A list's query (`limit`, `cursor` and the list's filters) is the core API's own list
   * schema: the HTTP layer hands it to the handler as it came, and the core API validates it,
   * once, naming `query.…` in its errors as the HTTP layer would.
   */
  queryValidatedByCore?: true
  body?: z.ZodType<Body>
  /** The success status: 200, 201 or 204. */
  status: 200 | 201 | 204
  /** The success body, for the OpenAPI document. Absent for 204. */
  response?: z.ZodType
  /** Returns the JSON body (already in wire shape), or `undefined` for 204. */
  handler: (context: RouteContext<Params, Query, Body>) => Promise<unknown>
}

/**
 * What a route's declaration says about its types, kept literal by `defineRoute` so that a
 * typed client (`@orgkit/client`) is checked against the same schemas the server validates.
 */
export interface RouteSignature<
  Method extends HttpMethod = HttpMethod,
  Path extends string = string,
  Id extends string = string,
  QuerySchema extends z.ZodType = z.ZodType,
  BodySchema extends z.ZodType = z.ZodType,
  ResponseSchema extends z.ZodType = z.ZodType,
  Status extends 200 | 201 | 204 = 200 | 201 | 204,
> {
  method: Method
  path: Path
  operationId: Id
  query?: QuerySchema
  body?: BodySchema
  response?: ResponseSchema
  status: Status
}

/**
 * Keeps a route's schema types and handler types tied together and its signature literal,
 * and derives the route's `permission` from its `rule`.
 */
export function defineRoute<
  Params = undefined,
  Query = undefined,
  Body = undefined,
  const Method extends HttpMethod = HttpMethod,
  const Path extends string = string,
  const Id extends string = string,
  // `never` when the route has none: the property then reads as `undefined`.
  QuerySchema extends z.ZodType<Query> = never,
  BodySchema extends z.ZodType<Body> = never,
  ResponseSchema extends z.ZodType = never,
  const Status extends 200 | 201 | 204 = 200 | 201 | 204,
>(
  route: Omit<RouteDefinition<Params, Query, Body>, 'permission'> &
    RouteSignature<Method, Path, Id, QuerySchema, BodySchema, ResponseSchema, Status>,
): Omit<RouteDefinition<Params, Query, Body>, keyof RouteSignature> &
  RouteSignature<Method, Path, Id, QuerySchema, BodySchema, ResponseSchema, Status> {
  return { ...route, permission: requiredPermission(route.rule) }
}
