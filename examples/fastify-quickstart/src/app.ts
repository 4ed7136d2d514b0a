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
import { orgkitErrorHandler, orgkitFastify, orgkitFrameworkErrors, requirePermission } from '@orgkit/fastify'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * The host app: its own routes (the demo sign-up and a tenant resource guarded by orgkit
 * permissions), orgkit's API under `/api`, its index at `GET /api` and a reference page at
 * `/api/reference`.
 */
export async function createApp(host: DemoHost): Promise<FastifyInstance> {
  // A URL Fastify's router cannot decode never reaches a plugin: this gives it orgkit's 400.
  const app = Fastify({ frameworkErrors: orgkitFrameworkErrors({ prefix: '/api' }) })
  const resolveActor = (request: FastifyRequest) => host.resolveActor(request.headers)

  // Malformed JSON (and an OrgkitError) on the host's routes answers in orgkit's error shape
  // too; anything else is the app's own bare 500. orgkit's plugin has its own handler inside
  // its scope.
  app.setErrorHandler(orgkitErrorHandler({ otherwise: (error, _request, reply) => send(reply, frameworkError(error)) }))

  // DEMO ONLY: creates users without any authentication, standing in for the host's sign-up.
  app.post('/demo/users', async (request, reply) => {
    return send(reply, await host.createUser(request.body))
  })
  // Where the printed invitation links lead.
  app.get('/invitations/accept', async (request, reply) => {
    const { status, text } = host.acceptPage((request.query as { token?: unknown }).token)
    return reply.code(status).type('text/plain; charset=utf-8').send(text)
  })

  // The host's own routes, checked by orgkit: `:org` is a slug, an id or `me`; 401, 404
  // and 403 answer exactly as on orgkit's routes, and an API key works here too.
  app.get(
    '/organizations/:org/projects',
    { preHandler: requirePermission(host.orgkit, 'projects.read', { resolveActor }) },
    async (request, reply) => {
      return send(reply, await host.projects.list(request.orgkit!.organization.id))
    },
  )
  app.post(
    '/organizations/:org/projects',
    { preHandler: requirePermission(host.orgkit, 'projects.create', { resolveActor }) },
    async (request, reply) => {
      return send(reply, await host.projects.create(request.orgkit!.organization.id, request.body))
    },
  )

  // The organization admin page, built on @orgkit/client.
  const admin = (file: 'page' | 'script') => async (_request: FastifyRequest, reply: FastifyReply) => {
    const { status, contentType, body } = await adminPageFile(file)
    return reply.code(status).type(contentType).send(body)
  }
  app.get('/', admin('page'))
  app.get(ADMIN_SCRIPT_PATH, admin('script'))

  // What `/api` is, and a readable reference of it.
  app.get(API_PREFIX, async (_request, reply) => send(reply, apiIndex(API_PREFIX)))
  const reference = async (request: FastifyRequest, reply: FastifyReply) => {
    const { status, contentType, body } = await referenceFile(
      API_PREFIX,
      (request.params as { file?: string }).file ?? '',
    )
    return reply.code(status).type(contentType).send(body)
  }
  app.get(`${API_PREFIX}/reference`, reference)
  app.get(`${API_PREFIX}/reference/:file`, reference)

  await app.register(orgkitFastify, { orgkit: host.orgkit, prefix: API_PREFIX, resolveActor })
  return app
}

/** Writes a demo answer as orgkit writes its own: the same type, and a final newline. */
function send(reply: FastifyReply, { status, body }: DemoResponse): FastifyReply {
  return reply.code(status).type(JSON_CONTENT_TYPE).send(jsonText(body))
}
