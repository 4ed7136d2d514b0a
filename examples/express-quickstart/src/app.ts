import {
  ADMIN_SCRIPT_PATH,
  API_PREFIX,
  adminPageFile,
  apiIndex,
  type DemoHost,
  type DemoResponse,
  frameworkError,
  JSON_CONTENT_TYPE,
  jsonText,
  referenceFile,
} from '@orgkit/example-shared'
import { createExpressRouter, orgkitErrorHandler, requirePermission } from '@orgkit/express'
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express'

/** Writes a demo answer as orgkit writes its own: the same type, and a final newline. */
function reply(res: Response, { status, body }: DemoResponse): void {
  res.status(status).type(JSON_CONTENT_TYPE).send(jsonText(body))
}

/**
 * The host app: its own routes (the demo sign-up and a tenant resource guarded by orgkit
 * permissions), orgkit's API under `/api`, its index at `GET /api` and a reference page at
 * `/api/reference`.
 */
export function createApp(host: DemoHost): Express {
  const app = express()
  const resolveActor = (req: Request) => host.resolveActor(req.headers)

  // DEMO ONLY: creates users without any authentication, standing in for the host's sign-up.
  app.post('/demo/users', express.json(), async (req, res) => {
    reply(res, await host.createUser(req.body))
  })
  // Where the printed invitation links lead.
  app.get('/invitations/accept', (req, res) => {
    const { status, text } = host.acceptPage(req.query.token)
    res.status(status).type('text/plain').send(text)
  })

  // The host's own routes, checked by orgkit: `:org` is a slug, an id or `me`; 401, 404
  // and 403 answer exactly as on orgkit's routes, and an API key works here too.
  app.get(
    '/organizations/:org/projects',
    requirePermission(host.orgkit, 'projects.read', { resolveActor }),
    async (_req, res) => {
      reply(res, await host.projects.list(res.locals.orgkit.organization.id))
    },
  )
  app.post(
    '/organizations/:org/projects',
    requirePermission(host.orgkit, 'projects.create', { resolveActor }),
    express.json(),
    async (req, res) => {
      reply(res, await host.projects.create(res.locals.orgkit.organization.id, req.body))
    },
  )

  // The organization admin page, built on @orgkit/client.
  const admin =
    (file: 'page' | 'script'): express.RequestHandler =>
    (_req, res, next) => {
      adminPageFile(file).then(({ status, contentType, body }) => res.status(status).type(contentType).send(body), next)
    }
  app.get('/', admin('page'))
  app.get(ADMIN_SCRIPT_PATH, admin('script'))

  // What `/api` is, and a readable reference of it, before orgkit's own routes.
  app.get(API_PREFIX, (_req, res) => {
    reply(res, apiIndex(API_PREFIX))
  })
  const reference: express.RequestHandler = (req, res, next) => {
    referenceFile(API_PREFIX, (req.params as { file?: string }).file ?? '').then(
      ({ status, contentType, body }) => res.status(status).type(contentType).send(body),
      next,
    )
  }
  app.get(`${API_PREFIX}/reference`, reference)
  app.get(`${API_PREFIX}/reference/:file`, reference)

  app.use(API_PREFIX, createExpressRouter(host.orgkit, { resolveActor }))

  // Malformed JSON (and an OrgkitError) on the host's routes answers in orgkit's error
  // shape too; anything else is the app's own bare 500.
  app.use(orgkitErrorHandler())
  const onError: ErrorRequestHandler = (error, _req, res, _next) => reply(res, frameworkError(error))
  app.use(onError)
  return app
}
