import type * as z from 'zod'
import type { Orgkit } from '../instance/orgkit'
import type { Actor } from '../shared/types'

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** What a handler receives: inputs already validated by the route's schemas. */
export interface RouteContext<Params = unknown, Query = unknown, Body = unknown> {
  orgkit: Orgkit
  /** The caller; never `null` on routes with `auth: 'required'`, never a `system` actor. */
  actor: Actor | null
  /** Where the adapter mounted the routes (`/api`), `''` at the root. */
  basePath: string
  params: Params
  query: Query
  body: Body
}

/**
 * One HTTP route, declared once as data. Adapters register every route of the table with
 * their framework and hand each request to `executeRoute`; the OpenAPI document is
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
  /** The permission the core checks; `null` when none is needed. Documentation only: the core enforces it. */
  permission: string | null
  /** `required`: a 401 without an actor. */
  auth: 'none' | 'optional' | 'required'
  params?: z.ZodType<Params>
  query?: z.ZodType<Query>
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

/** Keeps a route's schema types and handler types tied together, and its signature literal. */
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
  route: RouteDefinition<Params, Query, Body> &
    RouteSignature<Method, Path, Id, QuerySchema, BodySchema, ResponseSchema, Status>,
): Omit<RouteDefinition<Params, Query, Body>, keyof RouteSignature> &
  RouteSignature<Method, Path, Id, QuerySchema, BodySchema, ResponseSchema, Status> {
  return route
}
