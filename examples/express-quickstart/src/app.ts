import {
  ADMIN_SCRIPT_PATH,
  API_PREFIX,
  adminPageFile,
  apiIndex,
  type DemoHost,
  frameworkError,
  referenceFile,
} from '@orgkit/example-shared'
import { createExpressRouter, type OrgkitLocals, requirePermission } from '@orgkit/express'
import express, { type ErrorRequestHandler, type Express, type Request } from 'express'

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
    const { status, body } = await host.createUser(req.body)
    res.status(status).json(body)
  })
  // Where the printed invitation links lead.
  app.get('/invitations/accept', (req, res) => {
    const { status, text } = host.acceptPage(req.query.token)
    res.status(status).type('text/plain').send(text)
  })

  // The host's own routes, checked by orgkit: `:org` is a slug, an id or `me`; 401, 404
  // and 403 answer exactly as on orgkit's routes, and an API key works here too.
  const grant = (res: express.Response) => res.locals.orgkit as OrgkitLocals
  app.get(
    '/organizations/:org/projects',
    requirePermission(host.orgkit, 'projects.read', { resolveActor }),
    async (_req, res) => {
      const { status, body } = await host.projects.list(grant(res).organization.id)
      res.status(status).json(body)
    },
  )
  app.post(
    '/organizations/:org/projects',
    requirePermission(host.orgkit, 'projects.create', { resolveActor }),
    express.json(),
    async (req, res) => {
      const { status, body } = await host.projects.create(grant(res).organization.id, req.body)
      res.status(status).json(body)
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
    const { status, body } = apiIndex(API_PREFIX)
    res.status(status).json(body)
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

  // Malformed JSON on the host's routes answers in orgkit's error shape too.
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    const { status, body } = frameworkError(error)
    res.status(status).json(body)
  }
  app.use(onError)
  return app
}
