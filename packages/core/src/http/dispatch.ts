import type { Orgkit } from '../instance/orgkit'
import { OrgkitError } from '../shared/errors'
import { type BodyRead, parseJsonBody } from './body'
import { errorToResponse, type HttpResponse } from './errors'
import { type HandleOptions, type HttpRequestInput, handleRequest } from './handle'
import type { RouteDefinition } from './route'
import { routes as defaultRoutes } from './routes'

/** One request as it arrived, before any framework interpreted its path, query or body. */
export interface RawHttpRequest {
  method: string
  /** The request target below the mount prefix, as sent: `/organizations/acme%2Dco?limit=5`. */
  url: string
  /** Where the routes are mounted (`/api`), `''` at the root. */
  basePath: string
  /** The body: read by the adapter (`readBody`), or already parsed by the host's own JSON parser. */
  body?: BodyRead | { kind: 'parsed'; value: unknown } | undefined
  contentType?: string | undefined
  authorization?: string | undefined
  resolveActor?: HttpRequestInput['resolveActor']
}

/** A response plus what the adapter must do with the connection. */
export interface DispatchResponse extends HttpResponse {
  /** The request body was not read to its end: answer with `Connection: close`. */
  closeConnection: boolean
}

/**
 * Answers one request under the mount prefix, whatever it is: the route it names, or 404
 * `not_found` for a path or method that is not one of ours, or 400 `validation_failed` for a
 * path or query that is not valid percent-encoding, or a body that is too large, not JSON or
 * not UTF-8. Routing, decoding and body parsing happen here, once, so that every framework
 * and every framework version sees the same routes, the same parameters and the same
 * refusals. Adapters move bytes in and out.
 */
export async function dispatch(
  orgkit: Orgkit,
  request: RawHttpRequest,
  options: HandleOptions & { routes?: readonly RouteDefinition[] } = {},
): Promise<DispatchResponse> {
  const closeConnection = request.body?.kind === 'too-large' && !request.body.drained
  try {
    const queryStart = request.url.indexOf('?')
    const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart)
    const match = matchRoute(options.routes ?? defaultRoutes, request.method, path)
    if (match === null) throw new OrgkitError('not_found', 'No route here: check the method and the path.')
    const query = parseQueryString(queryStart === -1 ? '' : request.url.slice(queryStart + 1))
    // GET and HEAD bodies mean nothing (RFC 9110); either framework may not even read them.
    const body =
      request.method === 'GET' || request.method === 'HEAD'
        ? undefined
        : request.body?.kind === 'parsed'
          ? request.body.value
          : parseJsonBody(request.body, request.contentType)
    const response = await handleRequest(
      orgkit,
      match.route,
      {
        params: match.params,
        query,
        body,
        authorization: request.authorization,
        basePath: request.basePath,
        resolveActor: request.resolveActor,
      },
      options,
    )
    return { ...response, closeConnection }
  } catch (error) {
    return { ...errorToResponse(error, options.onError), closeConnection }
  }
}

export interface RouteMatch {
  route: RouteDefinition
  /** Path parameters, percent-decoded. */
  params: Record<string, string>
}

interface CompiledRoute {
  route: RouteDefinition
  /** A literal segment, or `{ param }` for `:param`. */
  segments: (string | { param: string })[]
  statics: number
}

/**
 * A table's routes grouped by method and number of segments, the two things a path must share
 * with a route. A pure cache: it is computed from the table alone, so dropping an entry only
 * costs compiling the table again; nothing is handed from one step to another through it.
 */
const compiled = new WeakMap<readonly RouteDefinition[], Map<string, CompiledRoute[]>>()

const groupKey = (method: string, segmentCount: number) => `${method} ${segmentCount}`

function compile(table: readonly RouteDefinition[]): Map<string, CompiledRoute[]> {
  let result = compiled.get(table)
  if (result === undefined) {
    result = new Map()
    for (const route of table) {
      const segments = route.path
        .split('/')
        .slice(1)
        .map((segment) => (segment.startsWith(':') ? { param: segment.slice(1) } : segment))
      const key = groupKey(route.method, segments.length)
      const group = result.get(key) ?? []
      // Table order within a group, so that of two equally specific routes the first still wins.
      group.push({ route, segments, statics: segments.filter((segment) => typeof segment === 'string').length })
      result.set(key, group)
    }
    compiled.set(table, result)
  }
  return result
}

/**
 * The route a method and a raw path (`/organizations/acme/members/u%201`) name, with its
 * parameters decoded, or `null`. Matching is case-sensitive, a trailing slash makes another
 * path, and a parameter never matches an empty segment. Segments are compared decoded
 * (`%73` is `s`), and a literal segment wins over a parameter. A path that is not valid
 * percent-encoded UTF-8 is a 400, whether or not it would have matched.
 */
export function matchRoute(table: readonly RouteDefinition[], method: string, path: string): RouteMatch | null {
  if (!path.startsWith('/')) return null
  const segments = path.slice(1).split('/').map(decodePathSegment)
  const candidates = compile(table).get(groupKey(method === 'HEAD' ? 'GET' : method, segments.length))
  if (candidates === undefined) return null
  let best: CompiledRoute | undefined
  for (const candidate of candidates) {
    if (best !== undefined && candidate.statics <= best.statics) continue
    const fits = candidate.segments.every((expected, index) =>
      typeof expected === 'string' ? expected === segments[index] : segments[index] !== '',
    )
    if (fits) best = candidate
  }
  if (best === undefined) return null
  const params: Record<string, string> = {}
  best.segments.forEach((expected, index) => {
    if (typeof expected !== 'string') params[expected.param] = segments[index] ?? ''
  })
  return { route: best.route, params }
}

function decodePathSegment(segment: string): string {
  // Nothing to decode (the common case): decodeURIComponent would return the same string.
  if (!segment.includes('%')) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new OrgkitError('validation_failed', 'The path is not valid percent-encoded UTF-8.', {
      details: [{ path: 'path', message: 'Malformed percent-encoding' }],
    })
  }
}

/**
 * `a=1&b=x%20y&a=2` → `{ a: ['1', '2'], b: 'x y' }`: a repeated name gives an array, `+` is a
 * space, and nothing else is interpreted (`a[b]=1` is a parameter named `a[b]`). Malformed
 * percent-encoding is a 400, not a string with the escape left in or replaced.
 */
export function parseQueryString(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null)
  if (search === '') return query
  for (const pair of search.split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const name = decodeQueryComponent(equals === -1 ? pair : pair.slice(0, equals))
    const value = equals === -1 ? '' : decodeQueryComponent(pair.slice(equals + 1))
    const previous = query[name]
    query[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return { ...query }
}

function decodeQueryComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    throw new OrgkitError('validation_failed', 'The query string is not valid percent-encoded UTF-8.', {
      details: [{ path: 'query', message: 'Malformed percent-encoding' }],
    })
  }
}

/** The bytes of a JSON response: the body and a final newline, so consecutive answers do not run together. */
export function responseText(body: unknown): string {
  return `${JSON.stringify(body)}\n`
}

/** The answer to a URL a framework could not even route (malformed percent-encoding). */
export function malformedUrlResponse(): HttpResponse {
  return errorToResponse(
    new OrgkitError('validation_failed', 'The path is not valid percent-encoded UTF-8.', {
      details: [{ path: 'path', message: 'Malformed percent-encoding' }],
    }),
  )
}
