import { isOrgkitError, type Orgkit } from '@orgkit/core'
import {
  type ActorResolution,
  assertFunctionOptions,
  assertOrgkitInstance,
  authorizeRequest,
  type BodyProblem,
  type BodyRead,
  bodyError,
  bodyLimitOption,
  type DispatchResponse,
  dispatch,
  errorToResponse,
  type HttpResponse,
  httpStatusOf,
  type RequestGrant,
  readBody,
  responseText,
} from '@orgkit/core/http'
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express'

const PACKAGE = '@orgkit/express'

export { httpStatusOf }

export interface ExpressAdapterOptions {
  /**
   * Who is calling, from the host's own login (session, JWT, …); `null` for nobody.
   * Requests with `Authorization: Bearer ok_…` are authenticated by orgkit instead.
   */
  resolveActor?: (req: Request) => ActorResolution | Promise<ActorResolution>
  /** Receives unexpected errors, answered as a bare 500. @default console.error */
  onError?: (error: unknown) => void
  /** Largest JSON body accepted, in bytes (the same option and default as `@orgkit/fastify`). @default 1_048_576 */
  bodyLimit?: number
}

/**
 * orgkit's HTTP API as Express middleware (Express 4 and 5): mount it under a prefix of
 * your choice, `app.use('/api', createExpressRouter(orgkit, { resolveActor }))`. It answers
 * every request under that prefix, with a 404 in orgkit's error body for a path that is not
 * one of orgkit's routes.
 *
 * It is one function, not an Express `Router`: routing, parameter decoding and the query
 * string are the core's (`dispatch`), so the answers do not depend on which Express (4 and
 * 5 route and decode differently) or framework the host runs, and `express` is a type
 * import only. This function moves bytes in and out.
 */
export function createExpressRouter(orgkit: Orgkit, options: ExpressAdapterOptions = {}): RequestHandler {
  assertOrgkitInstance(orgkit, PACKAGE, 'the first argument')
  assertFunctionOptions(options, PACKAGE)
  const bodyLimit = bodyLimitOption(options.bodyLimit, PACKAGE)
  return (req, res, next) => {
    const respond = async (): Promise<DispatchResponse> =>
      dispatch(
        orgkit,
        {
          method: req.method,
          // Below the mount point, as sent: Express strips the prefix and decodes nothing.
          url: req.url,
          basePath: req.baseUrl,
          body: await requestBody(req, bodyLimit),
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
          resolveActor: options.resolveActor && (() => options.resolveActor!(req)),
        },
        { onError: options.onError },
      )
    // dispatch answers every error itself; what is left (a body stream that failed, a
    // throwing onError, a failed write) goes to the host's error handler instead of an
    // unhandled rejection.
    respond()
      .then((response) => send(res, response))
      .catch(next)
  }
}

export interface RequirePermissionOptions {
  resolveActor?: (req: Request) => ActorResolution | Promise<ActorResolution>
  /** The organization the route is about. @default req.params.org, else `me` */
  organization?: (req: Request) => string
  onError?: (error: unknown) => void
}

/** What `requirePermission` leaves on `res.locals.orgkit` for the route handler. */
export type OrgkitLocals = RequestGrant

/**
 * The handler `requirePermission` returns. Its `res.locals` type carries `orgkit`, so that the
 * handlers after it on the same route (`app.get(path, requirePermission(…), (req, res) => …)`)
 * see `res.locals.orgkit` typed, with no cast.
 */
export type PermissionHandler = RequestHandler<
  Request['params'],
  // biome-ignore lint/suspicious/noExplicitAny: Express's own defaults, so that the guard types only `locals`.
  any,
  // biome-ignore lint/suspicious/noExplicitAny: as above: the route's `req.body` stays as Express types it.
  any,
  Request['query'],
  { orgkit: OrgkitLocals }
>

declare global {
  namespace Express {
    interface Locals {
      /** Set by `requirePermission` from `@orgkit/express`; absent on routes it does not guard. */
      orgkit?: OrgkitLocals
    }
  }
}

/**
 * Guards a host route with an orgkit permission, checked exactly as orgkit's own routes
 * check theirs: 401 without an actor, 404 for an organization the caller may not see,
 * 403 without the permission. On success the grant is on `res.locals.orgkit`. `permission`
 * must be one the instance declares: a misspelled one fails to compile (and, untyped, throws
 * here).
 * The rest of the request (the route handler and what it starts) runs in the authorized
 * organization (`orgkit.runInOrganization`), which `scopedDb(db)` reads.
 */
export function requirePermission<P extends string>(
  orgkit: Orgkit<P>,
  permission: NoInfer<P>,
  options: RequirePermissionOptions = {},
): PermissionHandler {
  assertOrgkitInstance(orgkit, PACKAGE, 'the first argument of requirePermission')
  assertFunctionOptions(options, PACKAGE)
  // An undeclared permission is a programming error: fail when the app is built, not per request.
  orgkit.engine.assertDeclared(permission)
  return (req, res, next) => {
    const check = async (): Promise<OrgkitLocals> =>
      authorizeRequest(orgkit, permission, {
        authorization: req.headers.authorization,
        resolveActor: options.resolveActor && (() => options.resolveActor!(req)),
        organization: options.organization?.(req),
        params: req.params,
      })
    check()
      .then(
        (grant) => {
          res.locals.orgkit = grant
          // The rest of the request runs in the organization it was authorized for:
          // `scopedDb(db)` in the handler scopes the host's queries to it.
          orgkit.runInOrganization(grant.organization, next)
        },
        (error: unknown) => send(res, errorToResponse(error, options.onError)),
      )
      .catch(next)
  }
}

export interface OrgkitErrorHandlerOptions {
  /** Receives an `OrgkitError` of code `internal`, answered as a bare 500. @default console.error */
  onError?: (error: unknown) => void
}

/**
 * Express error middleware for the host's own routes: answers an `OrgkitError` (thrown by
 * `orgkit.as(actor).…` in a handler and passed to `next`, or thrown in an Express 5 async
 * handler) and a body Express's JSON parser refused (malformed JSON, too large) in orgkit's
 * error shape and status, `{ "error": { "code", "message", "details"? } }`, as orgkit's own
 * routes answer them. Any other error goes on to the next error middleware, the host's.
 *
 * ```ts
 * app.use(orgkitErrorHandler()) // after the routes, before the host's own error handler
 * ```
 */
export function orgkitErrorHandler(options: OrgkitErrorHandlerOptions = {}): ErrorRequestHandler {
  assertFunctionOptions(options, PACKAGE)
  return (error, _req, res, next) => {
    const refused = isOrgkitError(error) ? error : bodyParserError(error)
    // An answer already on its way cannot be replaced: Express closes the connection.
    if (refused === undefined || res.headersSent) {
      next(error)
      return
    }
    send(res, errorToResponse(refused, options.onError))
  }
}

/** The `type`s body-parser (`express.json()`) gives the errors of a body it could not read. */
const BODY_PARSER_PROBLEMS: Record<string, BodyProblem> = {
  'entity.parse.failed': 'invalid-json',
  'entity.too.large': 'too-large',
  'charset.unsupported': 'not-utf-8',
  'encoding.unsupported': 'unreadable',
  'request.size.invalid': 'unreadable',
}

/** orgkit's 400 for an error of Express's body parser, or `undefined` for anything else. */
function bodyParserError(error: unknown) {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown }
  if (typeof type !== 'string' || typeof status !== 'number' || status < 400 || status >= 500) return undefined
  const problem = BODY_PARSER_PROBLEMS[type]
  return problem === undefined ? undefined : bodyError(problem)
}

function send(res: Response, response: HttpResponse & { closeConnection?: boolean }): void {
  // Written by hand rather than with res.json(): no ETag or 304 that Fastify would not send,
  // and the same bytes (with a final newline) as the Fastify adapter.
  res.status(response.status)
  if (response.closeConnection) res.setHeader('connection', 'close')
  if (response.body === undefined) {
    res.end()
    return
  }
  const text = responseText(response.body)
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(text))
  res.end(text)
}

/**
 * The request's body, read here so that the router works on its own. A body the host's own
 * JSON parser (`express.json()`) already read is taken as parsed; GET and HEAD bodies are
 * left alone (Node discards them).
 */
async function requestBody(
  req: Request,
  limit: number,
): Promise<BodyRead | { kind: 'parsed'; value: unknown } | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined
  // body-parser 1 (Express 4) marks what it parsed, and sets `req.body = {}` for what it
  // skipped; body-parser 2 (Express 5) marks nothing, but leaves `req.body` undefined unless
  // it read the stream to its end.
  if ((req as Request & { _body?: boolean })._body === true) return { kind: 'parsed', value: req.body }
  if (req.readableEnded && req.body !== undefined) return { kind: 'parsed', value: req.body }
  return readBody(req, { limit, contentLength: req.headers['content-length'] })
}
