import type { DemoHost } from '@orgkit/example-shared'
import { orgkitFastify } from '@orgkit/fastify'
import Fastify, { type FastifyInstance } from 'fastify'

/** The host app: its own routes (here only the demo sign-up) and orgkit's under `/api`. */
export async function createApp(host: DemoHost): Promise<FastifyInstance> {
  const app = Fastify()
  // DEMO ONLY: creates users without any authentication, standing in for the host's sign-up.
  app.post('/demo/users', async (request, reply) => {
    const { status, body } = await host.createUser(request.body)
    return reply.code(status).send(body)
  })
  // Where the printed invitation links lead.
  app.get('/invitations/accept', async (request, reply) => {
    const { status, text } = host.acceptPage((request.query as { token?: unknown }).token)
    return reply.code(status).type('text/plain; charset=utf-8').send(text)
  })
  await app.register(orgkitFastify, {
    orgkit: host.orgkit,
    prefix: '/api',
    resolveActor: (request) => host.resolveActor(request.headers),
  })
  return app
}
