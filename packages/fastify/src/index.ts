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
  dispatch,
  errorToResponse,
  type HttpResponse,
  httpStatusOf,
  malformedUrlResponse,
  type RequestGrant,
  readBody,
  responseText,
  routes,
} from '@orgkit/core/http'
import type {
  FastifyError,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
  preHandlerHookHandler,
} from 'fastify'

const PACKAGE = '@orgkit/fastify'

export { httpStatusOf }

export interface OrgkitFastifyOptions {
  orgkit: Orgkit
  /**
   * Who is calling, from the host's own login; `null` for nobody. Requests with
   * `Authorization: Bearer ok_…` are authenticated by orgkit instead.
   */
  resolveActor?: (request: FastifyRequest) => ActorResolution | Promise<ActorResolution>
  /** Receives unexpected errors, answered as a bare 500. @default console.error */
  onError?: (error: unknown) => void
  /** Largest JSON body accepted, in bytes (the same option and default as `@orgkit/express`). @default 1_048_576 */
  bodyLimit?: number
}

/** Every method a route of ours, or a request for one that does not exist, may come with. */
const CATCH_ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * orgkit's HTTP API as an encapsulated Fastify plugin:
 * `app.register(orgkitFastify, { orgkit, resolveActor, prefix: '/api' })`. It answers every
 * request under the prefix, with a 404 in orgkit's error body for a path that is not one of
 * orgkit's routes. Its body parser, not-found handler and error handler apply inside the
 * plugin only. Add `frameworkErrors: orgkitFrameworkErrors({ prefix })` to the Fastify
 * options so that a URL Fastify cannot decode gets orgkit's 400 too.
 *
 * Each route of the table is registered so that Fastify (and its hooks, `printRoutes`) knows
 * it, but routing, parameter decoding, the query string and the body are the core's
 * (`dispatch`), so that this plugin and the Express adapter answer alike: Fastify's own
 * parameter length limit, decoding and query parser never decide an answer.
 */
export const orgkitFastify: FastifyPluginAsync<OrgkitFastifyOptions> = async (app, options) => {
  const { orgkit } = options
  assertOrgkitInstance(orgkit, PACKAGE, 'the `orgkit` option')
  assertFunctionOptions(options, PACKAGE)
  const bodyLimit = bodyLimitOption(options.bodyLimit, PACKAGE)

  // Any body, whatever its content type, is read here as bytes and judged by the core: a
  // wrong content type on a route that takes JSON is a 400, and on a path that is not ours a
  // 404, exactly as on Express.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, payload, done) => {
    readBody(payload, { limit: bodyLimit, contentLength: request.headers['content-length'] }).then(
      (read) => done(null, read),
      (error: Error) => done(error, undefined),
    )
  })

  const handler = async (request: FastifyRequest, reply: FastifyReply, body?: BodyRead) => {
    const response = await dispatch(
      orgkit,
      {
        method: request.method,
        url: request.url.slice(app.prefix.length),
        basePath: app.prefix,
        body: body ?? (request.body as BodyRead | undefined),
        contentType: request.headers['content-type'],
        authorization: request.headers.authorization,
        resolveActor: options.resolveActor && (() => options.resolveActor!(request)),
      },
      { onError: options.onError },
    )
    return send(reply, response)
  }
  for (const route of routes) app.route({ method: route.method, url: route.path, handler })
  // A parameter longer than Fastify's `maxParamLength` makes its route miss; this wildcard then
  // catches the path and the core routes it, instead of Fastify answering its own 414.
  app.route({ method: CATCH_ALL_METHODS, url: '/*', handler })
  app.setNotFoundHandler(handler)
  app.setErrorHandler(async (error, request, reply) => {
    // A Content-Type header Fastify cannot even parse: the body is unread, and the core
    // judges it as it judges any other content type.
    if ((error as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return handler(request, reply, await readBody(request.raw, { limit: bodyLimit }))
    }
    // What is left is unexpected (a body stream that failed): a bare 500.
    return send(reply, errorToResponse(error, options.onError))
  })
}

/**
 * Fastify's `frameworkErrors` option, for the one failure a plugin cannot see: a URL that is
 * not valid percent-encoding is refused by Fastify's router before any plugin runs. Under
 * `prefix` it answers orgkit's 400 `validation_failed`; elsewhere it answers as Fastify would.
 *
 * ```ts
 * const app = Fastify({ frameworkErrors: orgkitFrameworkErrors({ prefix: '/api' }) })
 * ```
 */
export function orgkitFrameworkErrors(options: {
  prefix: string
}): NonNullable<FastifyServerOptions['frameworkErrors']> {
  const prefix = options.prefix.replace(/\/+$/, '')
  return (error, request, anyReply) => {
    const reply = anyReply as FastifyReply
    const url = request.raw.url ?? ''
    if (prefix === '' || url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)) {
      send(reply, malformedUrlResponse())
      return
    }
    reply.code(error.statusCode ?? 400).send(error)
  }
}

export interface RequirePermissionOptions {
  resolveActor?: (request: FastifyRequest) => ActorResolution | Promise<ActorResolution>
  /** The organization the route is about. @default request.params.org, else `me` */
  organization?: (request: FastifyRequest) => string
  onError?: (error: unknown) => void
}

/** What `requirePermission` leaves on `request.orgkit` for the route handler. */
export type OrgkitGrant = RequestGrant

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requirePermission` from `@orgkit/fastify`. */
    orgkit?: OrgkitGrant
  }
}

/**
 * A preHandler that guards a host route with an orgkit permission, checked exactly as
 * orgkit's own routes check theirs: 401 without an actor, 404 for an organization the
 * caller may not see, 403 without the permission. On success the grant is on
 * `request.orgkit`. `permission` must be one the instance declares: a misspelled one fails
 * to compile (and, untyped, throws here).
 * The route handler (and what it starts) runs in the authorized organization
 * (`orgkit.runInOrganization`), which `scopedDb(db)` reads.
 */
export function requirePermission<P extends string>(
  orgkit: Orgkit<P>,
  permission: NoInfer<P>,
  options: RequirePermissionOptions = {},
): preHandlerHookHandler {
  assertOrgkitInstance(orgkit, PACKAGE, 'the first argument of requirePermission')
  assertFunctionOptions(options, PACKAGE)
  orgkit.engine.assertDeclared(permission)
  // A callback hook, not an async one: Fastify calls the route handler from inside `done`,
  // so calling `done` inside `runInOrganization` runs the handler in the organization. After
  // an async hook's promise settles, Fastify goes on in the context of whoever awaited it.
  return function orgkitPermission(request, reply, done) {
    authorizeRequest(orgkit, permission, {
      authorization: request.headers.authorization,
      resolveActor: options.resolveActor && (() => options.resolveActor!(request)),
      organization: options.organization?.(request),
      params: request.params,
    }).then(
      (grant) => {
        request.orgkit = grant
        orgkit.runInOrganization(grant.organization, () => done())
      },
      (error: unknown) => {
        try {
          send(reply, errorToResponse(error, options.onError))
        } catch (failure) {
          done(failure as Error)
        }
      },
    )
  }
}

/** A Fastify error handler: what `app.setErrorHandler` takes. */
export type FastifyErrorHandler = (
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply | undefined | Promise<unknown>

export interface OrgkitErrorHandlerOptions {
  /** Receives an `OrgkitError` of code `internal`, answered as a bare 500. @default console.error */
  onError?: (error: unknown) => void
  /**
   * The host's own error handler, for every other error. Without it, another error is
   * thrown on, to the parent context's error handler (Fastify's default at the root).
   */
  otherwise?: FastifyErrorHandler
}

/**
 * An error handler for the host's own routes, `app.setErrorHandler(orgkitErrorHandler())`:
 * answers an `OrgkitError` (thrown by `orgkit.as(actor).…` in a handler) and a body Fastify's
 * parser refused (malformed JSON, too large, a content type it has no parser for) in orgkit's
 * error shape and status, `{ "error": { "code", "message", "details"? } }`, as orgkit's own
 * routes answer them. Any other error goes to `otherwise`, the host's handler.
 */
export function orgkitErrorHandler(options: OrgkitErrorHandlerOptions = {}): FastifyErrorHandler {
  for (const name of ['onError', 'otherwise'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${PACKAGE}: the \`${name}\` option of orgkitErrorHandler must be a function`)
    }
  }
  return (error, request, reply) => {
    const refused = isOrgkitError(error) ? error : fastifyBodyError(error)
    if (refused !== undefined) return send(reply, errorToResponse(refused, options.onError))
    if (options.otherwise) return options.otherwise(error, request, reply)
    throw error
  }
}

/** The codes Fastify gives the errors of a body its content-type parsers refused. */
const FASTIFY_BODY_PROBLEMS: Record<string, BodyProblem> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'not-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'unreadable',
}

/** orgkit's 400 for an error of Fastify's body parsing, or `undefined` for anything else. */
function fastifyBodyError(error: FastifyError) {
  const problem = typeof error?.code === 'string' ? FASTIFY_BODY_PROBLEMS[error.code] : undefined
  return problem === undefined ? undefined : bodyError(problem)
}

function send(reply: FastifyReply, response: HttpResponse & { closeConnection?: boolean }): FastifyReply {
  if (response.closeConnection) reply.header('connection', 'close')
  if (response.body === undefined) return reply.code(response.status).send()
  return reply.code(response.status).type('application/json; charset=utf-8').send(responseText(response.body))
}
