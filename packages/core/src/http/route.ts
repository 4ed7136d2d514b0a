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
  /** A query the HTTP layer validates (a 400 names `query.…`). */
  query?: z.ZodType<Query>
  /**
   * A list's query (`limit`, `cursor` and the list's filters): the core API's own list
   * schema. Published in the OpenAPI document, and handed to the handler as it came: the
   * core API validates it, once, and its errors name `query.…` as the HTTP layer's do.
   */
  listQuery?: z.ZodType<unknown, Query>
  body?: z.ZodType<Body>
  /** The success status: 200, 201 or 204. */
  status: 200 | 201 | 204
  /** The success body, for the OpenAPI document. Absent for 204. */
  response?: z.ZodType
  /** Returns the JSON body (already in wire shape), or `undefined` for 204. */
  handler: (context: RouteContext<Params, Query, Body>) => Promise<unknown>
}

/**
 * Keeps a route's schema types and handler types tied together, and derives the route's
 * `permission` from its `rule`.
 */
export function defineRoute<Params = undefined, Query = undefined, Body = undefined>(
  route: Omit<RouteDefinition<Params, Query, Body>, 'permission'>,
): RouteDefinition<Params, Query, Body> {
  return { ...route, permission: requiredPermission(route.rule) }
}
