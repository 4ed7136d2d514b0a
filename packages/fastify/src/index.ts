import type { Orgkit } from '@orgkit/core'
import { OrgkitError } from '@orgkit/core'
import {
  type ActorResolution,
  authorizeRequest,
  errorToResponse,
  type HttpResponse,
  handleRequest,
  type RequestGrant,
  routes,
} from '@orgkit/core/http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'

export interface OrgkitFastifyOptions {
  orgkit: Orgkit
  /**
   * Who is calling, from the host's own login; `null` for nobody. Requests with
   * `Authorization: Bearer ok_…` are authenticated by orgkit instead.
   */
  resolveActor?: (request: FastifyRequest) => ActorResolution | Promise<ActorResolution>
  /** Receives unexpected errors, answered as a bare 500. @default console.error */
  onError?: (error: unknown) => void
}

/**
 * orgkit's HTTP API as an encapsulated Fastify plugin:
 * `app.register(orgkitFastify, { orgkit, resolveActor, prefix: '/api' })`. Every route,
 * rule and status comes from `@orgkit/core/http`; this only moves requests in and
 * responses out. Its JSON parser and error handler apply inside the plugin only.
 */
export const orgkitFastify: FastifyPluginAsync<OrgkitFastifyOptions> = async (app, options) => {
  const { orgkit } = options
  if (typeof orgkit?.as !== 'function') {
    throw new TypeError('@orgkit/fastify: the `orgkit` option must be an instance from createOrgkit()')
  }
  checkFunctions(options)
  // Our own parser, so that malformed JSON answers with orgkit's error body, and an empty
  // body with a JSON content type is simply no body.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(/^application\/(?:[\w.+-]+\+)?json\b/i, { parseAs: 'string' }, (_request, text, done) => {
    const source = String(text)
    if (source.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(source))
    } catch {
      done(new OrgkitError('validation_failed', 'The request body is not valid JSON.'), undefined)
    }
  })
  app.setErrorHandler((error, _request, reply) => {
    // Fastify's own refusals of a request (unsupported content type, body too large) are
    // what the Express adapter answers for the same request: 400 in orgkit's error body.
    const status = (error as { statusCode?: number }).statusCode
    if (!(error instanceof OrgkitError) && status !== undefined && status >= 400 && status < 500) {
      return send(reply, errorToResponse(new OrgkitError('validation_failed', (error as Error).message)))
    }
    return send(reply, errorToResponse(error, options.onError))
  })

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        // Fastify lets a parameter match nothing (`/organizations/` fits `/organizations/:org`);
        // Express does not. Such a path is not one of ours, on either adapter.
        if (Object.values(request.params as Record<string, string>).includes('')) return reply.callNotFound()
        const response = await handleRequest(
          orgkit,
          route,
          {
            params: request.params as Record<string, string>,
            query: request.query as Record<string, unknown>,
            body: request.body,
            authorization: request.headers.authorization,
            basePath: app.prefix,
            resolveActor: options.resolveActor && (() => options.resolveActor!(request)),
          },
          { onError: options.onError },
        )
        return send(reply, response)
      },
    })
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
 * `request.orgkit`.
 */
export function requirePermission(
  orgkit: Orgkit,
  permission: string,
  options: RequirePermissionOptions = {},
): preHandlerAsyncHookHandler {
  if (typeof (orgkit as Partial<Orgkit> | null)?.as !== 'function') {
    throw new TypeError(
      '@orgkit/fastify: the first argument of requirePermission must be an instance from createOrgkit()',
    )
  }
  checkFunctions(options)
  orgkit.engine.assertDeclared(permission)
  return async function orgkitPermission(request, reply) {
    try {
      request.orgkit = await authorizeRequest(orgkit, permission, {
        authorization: request.headers.authorization,
        resolveActor: options.resolveActor && (() => options.resolveActor!(request)),
        organization: options.organization?.(request) ?? (request.params as { org?: string } | undefined)?.org ?? 'me',
      })
    } catch (error) {
      return send(reply, errorToResponse(error, options.onError))
    }
  }
}

/** Mistakes in wiring fail when the app is built, naming this package, not on the first request. */
function checkFunctions(options: object): void {
  for (const [name, value] of Object.entries(options)) {
    if (FUNCTION_OPTIONS.has(name) && value !== undefined && typeof value !== 'function') {
      throw new TypeError(`@orgkit/fastify: the \`${name}\` option must be a function`)
    }
  }
}

const FUNCTION_OPTIONS = new Set(['resolveActor', 'onError', 'organization'])

function send(reply: FastifyReply, response: HttpResponse): FastifyReply {
  if (response.body === undefined) return reply.code(response.status).send()
  return reply.code(response.status).type('application/json; charset=utf-8').send(JSON.stringify(response.body))
}
