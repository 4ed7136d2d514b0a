/** The Fastify samples of the docs; see `samples.ts`. */
import type { Actor, Orgkit } from '@orgkit/core'
import { orgkitErrorHandler, orgkitFastify, requirePermission } from '@orgkit/fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { currentUser, projects } from './samples'

export async function fastifyReadme(app: FastifyInstance, orgkit: Orgkit) {
  // #region fastify-readme
  // orgkit's HTTP API; `currentUser(request)` is your login: an actor, or null.
  await app.register(orgkitFastify, { orgkit, prefix: '/api', resolveActor: currentUser })

  // Your own routes, guarded by orgkit: 401, 404 and 403 answer as on orgkit's routes.
  app.get(
    '/organizations/:org/projects',
    { preHandler: requirePermission(orgkit, 'projects.read', { resolveActor: currentUser }) },
    async (request) => projects.list(request.orgkit!.organization.id),
  )
  // #endregion fastify-readme
}

export async function fastifyConfiguration(app: FastifyInstance, orgkit: Orgkit, logger: { error(e: unknown): void }) {
  // #region configuration-fastify
  await app.register(orgkitFastify, {
    orgkit,
    prefix: '/api', // Fastify's own register option
    resolveActor: currentUser,
    onError: (error) => logger.error(error),
    bodyLimit: 64 * 1024, // the plugin's option, not Fastify's server option
  })
  app.delete(
    '/billing/:organizationId',
    {
      preHandler: requirePermission(orgkit, 'billing.manage', {
        resolveActor: currentUser,
        organization: (request) => (request.params as { organizationId: string }).organizationId,
        onError: (error) => logger.error(error),
      }),
    },
    async (_request, reply) => reply.code(204).send(),
  )
  // #endregion configuration-fastify
}

/** docs/getting-started.md, on Fastify: the same instance, database and resolver as the Express app. */
export async function gettingStartedFastify(
  app: FastifyInstance,
  orgkit: Orgkit<'projects.read'>,
  // biome-ignore lint/suspicious/noExplicitAny: the guide's database, untyped here.
  db: Kysely<any>,
  resolveActor: (request: FastifyRequest) => Promise<Actor | null>,
  yourErrorHandler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply,
) {
  // #region gs-fastify
  await app.register(orgkitFastify, { orgkit, prefix: '/api', resolveActor })
  app.get(
    '/organizations/:org/projects',
    { preHandler: requirePermission(orgkit, 'projects.read', { resolveActor }) },
    async (request) =>
      db.selectFrom('projects').selectAll().where('organization_id', '=', request.orgkit!.organization.id).execute(),
  )
  app.setErrorHandler(orgkitErrorHandler({ otherwise: yourErrorHandler }))
  // #endregion gs-fastify
}
