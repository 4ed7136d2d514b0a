/**
 * The code samples of the guides and the package READMEs (Fastify's are in
 * `fastify-samples.ts`, where `requirePermission` is Fastify's). Each `// #region name` is shown
 * in a document after a `<!-- sample: name -->` marker, word for word (de-indented);
 * `samples.test.ts` checks that, and runs every function here against a real database and
 * real servers. Change a sample here, and the test tells which document to update.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { type Actor, createOrgkit, type Orgkit, type OrgkitOptions } from '@orgkit/core'
import { createExpressRouter, orgkitErrorHandler, requirePermission } from '@orgkit/express'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import { type ConformanceUser, memoryStorage, runInvitationsConformance, runStorageConformance } from '@orgkit/testing'
import express, { type Request, type RequestHandler } from 'express'
import type { Kysely } from 'kysely'

// biome-ignore lint/suspicious/noExplicitAny: the samples run on a scratch database of the tests.
type Db = Kysely<any>

/**
 * Stands for the host's own login in the samples: who is signed in on this request. In the
 * tests it reads `x-test-user`; in a real app it reads the session or token.
 */
export function currentUser(req: { headers: IncomingHttpHeaders }): Actor | null {
  const userId = req.headers['x-test-user']
  return typeof userId === 'string' ? { type: 'user', userId } : null
}

/** The host's own data in the samples. */
export const projects = {
  list: async (organizationId: string) => ({ organizationId, data: [] as string[] }),
}

// ── Package READMEs ───────────────────────────────────────────────────────────────

export async function kyselyReadme(db: Db) {
  // #region kysely-readme
  // `db` is your Kysely instance (PostgreSQL, MySQL/MariaDB or SQLite).
  const { error } = await migrateToLatest(db) // creates or updates orgkit's tables (orgkit_*)
  if (error) throw error

  const storage = kyselyStorage(db, {
    // Your users table, which orgkit reads and never writes.
    users: { table: 'users', columns: { id: 'id', email: 'email', username: 'username', name: 'name' } },
  })
  // #endregion kysely-readme
  return storage
}

export async function coreReadme(db: Db, annId: string, bobId: string) {
  // #region core-readme
  const orgkit = createOrgkit({
    storage: kyselyStorage(db, { users: { table: 'users', columns: { id: 'id', email: 'email' } } }),
    permissions: ['projects.read', 'projects.update'], // your app's own, next to orgkit's
    roles: { member: { grants: ['members.read', 'projects.read'] } },
  })

  const ann = orgkit.as({ type: 'user', userId: annId })
  const acme = await ann.organizations.create({ name: 'Acme Rockets' }) // Ann is its owner
  await ann.members.add(acme.slug, { userId: bobId }) // Bob gets the default role, member

  const bob = orgkit.as({ type: 'user', userId: bobId })
  await bob.can('acme-rockets', 'projects.read') // true
  await bob.can('acme-rockets', 'projects.update') // false
  // #endregion core-readme
  return {
    orgkit,
    acme,
    bobReads: await bob.can('acme-rockets', 'projects.read'),
    bobUpdates: await bob.can('acme-rockets', 'projects.update'),
  }
}

export function expressReadme(orgkit: Orgkit) {
  // #region express-readme
  const app = express()

  // orgkit's HTTP API; `currentUser(req)` is your login: an actor, or null.
  app.use('/api', createExpressRouter(orgkit, { resolveActor: currentUser }))

  // Your own routes, guarded by orgkit: 401, 404 and 403 answer as on orgkit's routes.
  app.get(
    '/organizations/:org/projects',
    requirePermission(orgkit, 'projects.read', { resolveActor: currentUser }),
    async (_req, res) => {
      // Typed, no cast: the grant of the guard before this handler.
      res.json(await projects.list(res.locals.orgkit.organization.id))
    },
  )
  // #endregion express-readme
  return app
}

// ── README.md ─────────────────────────────────────────────────────────────────────

export async function readmeInYourApp(
  db: Db,
  app: express.Express,
  mailer: { send(to: string, link: string): Promise<void> },
  updateProject: RequestHandler,
  userId: string,
) {
  // #region readme-in-your-app
  const { error } = await migrateToLatest(db) // your Kysely instance; orgkit's tables are prefixed `orgkit_`
  if (error) throw error
  const orgkit = createOrgkit({
    storage: kyselyStorage(db, { users: { table: 'users', columns: { id: 'id', email: 'email', name: 'name' } } }),
    permissions: ['projects.read', 'projects.update'],
    roles: { member: { grants: ['members.read', 'projects.read'] } },
    invitations: {
      acceptUrl: (token) => `https://app.example/join?token=${token}`,
      send: (invitation, { acceptUrl }) => mailer.send(invitation.email, acceptUrl),
    },
  })

  // Who is calling, from your own login (here a session that put `req.user` there).
  type SignedIn = { user?: { id: string; email: string; emailVerified: boolean } }
  const resolveActor = (req: Request & SignedIn): Actor | null =>
    req.user
      ? { type: 'user', userId: req.user.id, email: req.user.email, emailVerified: req.user.emailVerified }
      : null
  app.use('/api', createExpressRouter(orgkit, { resolveActor }))
  // Your own routes: 401/404/403 as on orgkit's; the handler finds the grant on res.locals.orgkit.
  app.patch('/projects/:org/:id', requirePermission(orgkit, 'projects.update', { resolveActor }), updateProject)
  app.use(orgkitErrorHandler()) // an OrgkitError thrown in your handlers, answered in orgkit's shape

  // or from domain code:
  await orgkit.as({ type: 'user', userId }).members.list('acme', { role: 'admin' })
  // #endregion readme-in-your-app
  return orgkit
}

// ── docs/configuration.md ─────────────────────────────────────────────────────────

export function fullConfiguration(db: Db, mailer: { send(to: string, link: string): Promise<void> }) {
  // #region configuration-orgkit
  const orgkit = createOrgkit({
    storage: kyselyStorage(db, { users: { table: 'users', columns: { id: 'id', email: 'email' } } }),
    permissions: ['projects.read', 'projects.update', 'billing.manage'],
    roles: {
      admin: { extends: 'member', grants: ['members.*', 'invitations.*', 'projects.*'] },
      member: { grants: ['members.read', 'projects.read'] },
      billing: { name: 'Billing', description: 'Pays the bills.', extends: 'member', grants: ['billing.manage'] },
    },
    defaultRole: 'member',
    invitations: {
      expiresIn: '3d',
      acceptUrl: (token) => `https://app.example/join?token=${token}`,
      send: (invitation, { acceptUrl }) => mailer.send(invitation.email, acceptUrl),
      requireVerifiedEmail: true,
    },
    apiKeys: { lastUsedPrecisionMs: 5 * 60_000 },
    limits: { organizationsPerUser: 5, membersPerOrganization: 500, pendingInvitationsPerOrganization: 100 },
    personalOrganizations: false,
    industries: ['software', 'hardware', 'services'],
    reservedSlugs: ['billing', 'pricing'],
    onListenerError: (error, event) => console.error(`orgkit listener for ${event.action} failed`, error),
  })
  // #endregion configuration-orgkit
  return orgkit
}

export async function kyselyConfiguration(db: Db) {
  // #region configuration-kysely
  const tables = { tablePrefix: 'tenancy_' } // the same for the migrations and the storage
  const { error, results } = await migrateToLatest(db, tables)
  if (error) throw error
  const storage = kyselyStorage(db, {
    ...tables,
    users: {
      table: 'users', // may be schema-qualified: 'auth.users'
      columns: { id: 'id', email: 'email', username: 'username', name: 'display_name', imageUrl: 'avatar_url' },
    },
  })
  // #endregion configuration-kysely
  return { storage, results }
}

export function expressConfiguration(app: express.Express, orgkit: Orgkit, logger: { error(e: unknown): void }) {
  // #region configuration-express
  app.use(
    '/api',
    createExpressRouter(orgkit, {
      resolveActor: currentUser,
      onError: (error) => logger.error(error),
      bodyLimit: 64 * 1024,
    }),
  )
  app.delete(
    '/billing/:organizationId',
    requirePermission(orgkit, 'billing.manage', {
      resolveActor: currentUser,
      organization: (req) => String(req.params.organizationId),
      onError: (error) => logger.error(error),
    }),
    (_req, res) => void res.status(204).end(),
  )
  // #endregion configuration-express
}

// ── docs/permissions.md ───────────────────────────────────────────────────────────

export function permissionRoles(storage: OrgkitOptions['storage']) {
  // #region permissions-roles
  const orgkit = createOrgkit({
    storage,
    permissions: ['projects.read', 'projects.create', 'projects.delete', 'billing.read', 'billing.manage'],
    roles: {
      // Redefines the default member role: members see the team and the projects.
      member: { grants: ['members.read', 'teams.read', 'roles.read', 'projects.read'] },
      // A new role: a member who also pays the bills.
      billing: { name: 'Billing', extends: 'member', grants: ['billing.*'] },
      // Everything an admin may do, except deleting projects and managing billing.
      manager: { extends: 'admin', except: ['projects.delete', 'billing.manage'] },
    },
  })
  // #endregion permissions-roles
  return orgkit
}

export function permissionExplain(orgkit: Orgkit) {
  // #region permissions-explain
  const manager = orgkit.engine.role('manager')!
  manager.has('billing.read') // true
  manager.explain('billing.read')
  manager.explain('billing.manage')
  // #endregion permissions-explain
  return {
    has: manager.has('billing.read'),
    allowed: manager.explain('billing.read'),
    denied: manager.explain('billing.manage'),
  }
}

// ── docs/core-api.md ──────────────────────────────────────────────────────────────

export async function coreApiClient(orgkit: Orgkit, annId: string, bobId: string) {
  // #region core-api-client
  const ann = orgkit.as({ type: 'user', userId: annId, email: 'ann@example.com', emailVerified: true })

  const acme = await ann.organizations.create({ name: 'Acme', timezone: 'Europe/Berlin' })
  await ann.members.add('acme', { userId: bobId, role: 'admin' })
  const admins = await ann.members.list('acme', { role: 'admin', limit: 50 })
  const { secret } = await ann.apiKeys.create('acme', { name: 'CI', role: 'member' })
  const trail = await ann.audit.list(acme.id, { action: 'member.added' })
  // #endregion core-api-client
  return { acme, admins, secret, trail }
}

export async function coreApiPaging(orgkit: Orgkit, annId: string) {
  const ann = orgkit.as({ type: 'user', userId: annId })
  const seen: string[] = []
  // #region core-api-paging
  let page = await ann.members.list('acme', { limit: 100 })
  for (;;) {
    for (const member of page.data) seen.push(member.userId)
    if (!page.nextCursor) break
    page = await ann.members.list('acme', { limit: 100, cursor: page.nextCursor })
  }
  // #endregion core-api-paging
  return seen
}

export async function coreApiSystem(orgkit: Orgkit, userId: string) {
  // #region core-api-system
  // Trusted domain code (a job, a migration script): no permission checks.
  const system = orgkit.as({ type: 'system' })
  await system.members.update('acme', userId, { role: 'member' })
  // #endregion core-api-system
}

export function coreApiEvents(orgkit: Orgkit, log: string[]) {
  // #region core-api-events
  const stop = orgkit.on('member.removed', (event) => {
    // After the commit: the member is gone for good.
    log.push(`${event.target.id} left ${event.organizationId} (role ${String(event.changes.role)})`)
  })
  const stopAll = orgkit.on('*', (event) => {
    log.push(event.action)
  })
  // #endregion core-api-events
  return () => {
    stop()
    stopAll()
  }
}

export async function coreApiKeys(orgkit: Orgkit, presented: string) {
  // #region core-api-authenticate
  const actor = await orgkit.authenticateApiKey(presented) // throws unauthenticated for a bad key
  const grant = await orgkit.authorize(actor, 'me', 'members.read') // `me`: the key's organization
  const page = await orgkit.as(actor).members.list(grant.organization.id)
  // #endregion core-api-authenticate
  return { actor, grant, page }
}

export async function coreApiPublic(orgkit: Orgkit) {
  // #region core-api-public
  const profile = await orgkit.publicOrganization('acme') // public organizations only
  // #endregion core-api-public
  return profile
}

// ── Writing another storage ───────────────────────────────────────────────────────

/** Stands for the reader's own storage in the sample: the in-memory one, with a `close`. */
export async function createMyStorage() {
  return Object.assign(memoryStorage(), { close: async () => {} })
}

/** Registers the conformance suite as the storage guide shows it (call it at a test file's top level). */
export function storageConformance() {
  // #region storage-conformance
  const makeMyStorage = async () => {
    const storage = await createMyStorage() // a fresh, empty storage of yours
    return {
      storage,
      // The host's users, as the user directory and member listings will read them.
      addUser: async (user: ConformanceUser) => storage.addUser({ ...user, imageUrl: null }),
      destroy: () => storage.close(),
    }
  }

  runStorageConformance('my-storage', makeMyStorage) // every repository, on one storage
  runInvitationsConformance('my-storage', makeMyStorage) // or one at a time, while you write it
  // #endregion storage-conformance
}
