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
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { Router } from 'express'

export interface ExpressAdapterOptions {
  /**
   * Who is calling, from the host's own login (session, JWT, …); `null` for nobody.
   * Requests with `Authorization: Bearer ok_…` are authenticated by orgkit instead.
   */
  resolveActor?: (req: Request) => ActorResolution | Promise<ActorResolution>
  /** Receives unexpected errors, answered as a bare 500. @default console.error */
  onError?: (error: unknown) => void
  /** Largest JSON body accepted, in bytes. @default 1_048_576 */
  bodyLimit?: number
}

/**
 * orgkit's HTTP API as an Express router (Express 4 and 5): mount it under a prefix of
 * your choice, `app.use('/api', createExpressRouter(orgkit, { resolveActor }))`. Every
 * route, rule and status comes from `@orgkit/core/http`; this only moves requests in and
 * responses out.
 */
export function createExpressRouter(orgkit: Orgkit, options: ExpressAdapterOptions = {}): Router {
  checkOptions(orgkit, options)
  const bodyLimit = options.bodyLimit ?? 1_048_576
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit <= 0) {
    throw new TypeError('@orgkit/express: the `bodyLimit` option must be a positive whole number of bytes')
  }
  // Case-sensitive and strict about trailing slashes, as Fastify is by default, so that
  // both adapters route exactly the same paths.
  const router = Router({ caseSensitive: true, strict: true })
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'
    router[method](route.path, (req: Request, res: Response, next: NextFunction) => {
      const respond = async (): Promise<HttpResponse> => {
        let body: unknown
        try {
          body = await readJson(req, bodyLimit)
        } catch (error) {
          return errorToResponse(error, options.onError)
        }
        return handleRequest(
          orgkit,
          route,
          {
            params: req.params as Record<string, string>,
            query: req.query as Record<string, unknown>,
            body,
            authorization: req.headers.authorization,
            basePath: req.baseUrl,
            resolveActor: options.resolveActor && (() => options.resolveActor!(req)),
          },
          { onError: options.onError },
        )
      }
      // handleRequest answers every error itself; what is left (a throwing onError, a
      // failed write) goes to the host's error handler instead of an unhandled rejection.
      respond()
        .then((response) => send(res, response))
        .catch(next)
    })
  }
  return router
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
 * Guards a host route with an orgkit permission, checked exactly as orgkit's own routes
 * check theirs: 401 without an actor, 404 for an organization the caller may not see,
 * 403 without the permission. On success the grant is on `res.locals.orgkit`.
 */
export function requirePermission(
  orgkit: Orgkit,
  permission: string,
  options: RequirePermissionOptions = {},
): RequestHandler {
  checkOptions(orgkit, options)
  // An undeclared permission is a programming error: fail when the app is built, not per request.
  orgkit.engine.assertDeclared(permission)
  return (req, res, next) => {
    const check = async (): Promise<OrgkitLocals> => {
      return authorizeRequest(orgkit, permission, {
        authorization: req.headers.authorization,
        resolveActor: options.resolveActor && (() => options.resolveActor!(req)),
        organization: options.organization?.(req) ?? (req.params as { org?: string }).org ?? 'me',
      })
    }
    check()
      .then(
        (grant) => {
          res.locals.orgkit = grant
          next()
        },
        (error: unknown) => send(res, errorToResponse(error, options.onError)),
      )
      .catch(next)
  }
}

/** Mistakes in wiring fail when the app is built, naming this package, not on the first request. */
function checkOptions(orgkit: unknown, options: object): void {
  if (typeof (orgkit as Partial<Orgkit> | null)?.as !== 'function') {
    throw new TypeError('@orgkit/express: the first argument must be an instance from createOrgkit()')
  }
  for (const [name, value] of Object.entries(options)) {
    if (FUNCTION_OPTIONS.has(name) && value !== undefined && typeof value !== 'function') {
      throw new TypeError(`@orgkit/express: the \`${name}\` option must be a function`)
    }
  }
}

const FUNCTION_OPTIONS = new Set(['resolveActor', 'onError', 'organization'])

function send(res: Response, response: HttpResponse): void {
  if (response.body === undefined) res.status(response.status).end()
  else res.status(response.status).json(response.body)
}

/**
 * The request's JSON body. A host that already parsed it (`express.json()`) is respected;
 * otherwise it is read here, so the router works on its own. Malformed JSON is our 400.
 */
async function readJson(req: Request, limit: number): Promise<unknown> {
  if (req.body !== undefined && typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)) {
    return req.body
  }
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new OrgkitError('validation_failed', 'The request body is too large.')
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return undefined
  const type = req.headers['content-type'] ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new OrgkitError('validation_failed', 'Send the body as application/json.')
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new OrgkitError('validation_failed', 'The request body is not valid JSON.')
  }
}
