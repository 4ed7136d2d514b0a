import * as z from 'zod'
import type { AccessGrant, ClientOptions, Orgkit } from '../instance/orgkit'
import { OrgkitError } from '../shared/errors'
import type { Actor } from '../shared/types'
import { parseInput } from '../shared/validate'
import { errorToResponse, type HttpResponse } from './errors'
import { assertName, assertStoredText } from './input'
import type { RouteDefinition } from './route'

/** What the host's resolver returns for a request: its signed-in user, or nobody. */
export type ActorResolution = Actor | null | undefined

/** One request, as an adapter hands it over: nothing framework-specific. */
export interface HttpRequestInput {
  /** Path parameters by name (`org`, `userId`, …). */
  params: Record<string, string | undefined>
  /** The parsed query string. */
  query: Record<string, unknown>
  /** The parsed JSON body; `undefined` when there was none. */
  body: unknown
  /** The `Authorization` header, if any. */
  authorization?: string | undefined
  /** Where the routes are mounted (`/api`), for documents that link back. @default '' */
  basePath?: string | undefined
  /** The host's resolver; consulted only when the request carries no orgkit API key. */
  resolveActor?: (() => ActorResolution | Promise<ActorResolution>) | undefined
}

export interface HandleOptions {
  /** Receives every unexpected error (answered as a bare 500). @default console.error */
  onError?: ((error: unknown) => void) | undefined
}

/**
 * The actor of a request: `Authorization: Bearer ok_…` is authenticated by orgkit (an
 * unknown, revoked or expired key is a 401, never a fall-through to the host's login);
 * any other request is whoever the host's resolver says. The `system` actor is for
 * trusted domain code and is never accepted from a request.
 */
export async function resolveRequestActor(
  orgkit: Orgkit,
  authorization: string | undefined,
  resolveActor: HttpRequestInput['resolveActor'],
): Promise<Actor | null> {
  return (await resolveCaller(orgkit, authorization, resolveActor)).actor
}

/** The actor of a request, and for an API key its organization as authenticating the key read it. */
interface Caller {
  actor: Actor | null
  /** Handed to `orgkit.as` and `orgkit.authorize`, which then do not read it again. */
  read: ClientOptions
}

async function resolveCaller(
  orgkit: Orgkit,
  authorization: string | undefined,
  resolveActor: HttpRequestInput['resolveActor'],
): Promise<Caller> {
  const presented = bearerToken(authorization)
  if (presented?.startsWith('ok_')) {
    const { actor, organization } = await orgkit.authenticateApiKeyForRequest(presented)
    return { actor, read: { organization } }
  }
  const actor = (await resolveActor?.()) ?? null
  if (actor?.type === 'system') throw new TypeError('resolveActor must not return the system actor for a request')
  return { actor, read: {} }
}

/** What a guarded host route learns: who is calling, the organization and the role. */
export interface RequestGrant extends AccessGrant {
  actor: Actor
}

/**
 * The check behind both adapters' `requirePermission`, made exactly as orgkit's own routes
 * make theirs: 401 without an actor (or for a bad API key), 404 for an organization the
 * caller may not see, 403 without the permission.
 */
export async function authorizeRequest(
  orgkit: Orgkit,
  permission: string,
  request: {
    authorization: string | undefined
    resolveActor: HttpRequestInput['resolveActor']
    /** The organization the host's option named, if it has that option. */
    organization?: string | undefined
    /** The host route's path parameters: `org` is the organization when no option names one. */
    params?: unknown
  },
): Promise<RequestGrant> {
  const { actor, read } = await resolveCaller(orgkit, request.authorization, request.resolveActor)
  if (actor === null) throw new OrgkitError('unauthenticated')
  const organization = request.organization ?? paramOrg(request.params) ?? 'me'
  assertName(organization, 'path.org')
  return { actor, ...(await orgkit.authorize(actor, organization, permission, read)) }
}

function paramOrg(params: unknown): string | undefined {
  const org = (params as { org?: unknown } | null | undefined)?.org
  return typeof org === 'string' ? org : undefined
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

/**
 * Runs one route for one request and answers `{ status, body }`: resolves the actor (a 401
 * comes before any 400), validates path, query and body with the route's schemas (unknown
 * fields are a 400, never ignored), calls the handler, and shapes every error with the one
 * status table. Adapters call this and write the result; they hold no rule of their own.
 */
export async function handleRequest(
  orgkit: Orgkit,
  route: RouteDefinition,
  request: HttpRequestInput,
  options: HandleOptions = {},
): Promise<HttpResponse> {
  try {
    // Who is asking comes first: an anonymous caller learns "sign in", not which fields a
    // route takes, and a 401 never depends on what the body happened to contain.
    const { actor, read } =
      route.auth === 'none' && request.authorization === undefined
        ? NOBODY
        : await resolveCaller(orgkit, request.authorization, request.resolveActor)
    if (route.auth === 'required' && actor === null) throw new OrgkitError('unauthenticated')
    // Before the schemas, and for every route at once: what one database would refuse with
    // an error (U+0000 on PostgreSQL) is refused here on all of them alike.
    assertStoredText({ path: request.params, query: request.query, body: request.body })
    const params = route.params ? parseInput(route.params, request.params, 'path') : undefined
    // A list's query goes to the core API as it came: the core validates it, once.
    const query = route.queryValidatedByCore
      ? (request.query ?? {})
      : parseInput(route.query ?? EMPTY_QUERY, request.query ?? {}, 'query')
    const body = parseBody(route, request.body)
    const client = actor === null ? null : orgkit.as(actor, read)
    const result = await route.handler({ orgkit, actor, client, basePath: request.basePath ?? '', params, query, body })
    return { status: route.status, body: route.status === 204 ? undefined : result }
  } catch (error) {
    return errorToResponse(error, options.onError)
  }
}

const EMPTY_QUERY = z.strictObject({})
const NOBODY: Caller = { actor: null, read: {} }

function parseBody(route: RouteDefinition, body: unknown): unknown {
  if (route.body) return parseInput(route.body, body, 'body')
  // A route that takes no body still refuses fields it would silently ignore.
  if (body !== undefined && body !== null && !(isPlainObject(body) && Object.keys(body).length === 0)) {
    throw new OrgkitError('validation_failed', 'This request takes no body.', {
      details: [{ path: 'body', message: 'Unexpected body' }],
    })
  }
  return undefined
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
