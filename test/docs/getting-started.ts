/**
 * docs/getting-started.md, as code. `gettingStartedApp` is the guide's Express app: its
 * `gs-app-*` regions, in order and with the imports the guide shows, are the whole program a
 * reader ends up with (test/packed/getting-started.test.ts runs exactly that, from the packed
 * packages, outside the repository). The recipe functions below it are the guide's other
 * samples. samples.test.ts checks that the guide shows each region word for word.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { type Actor, createOrgkit } from '@orgkit/core'
import { createExpressRouter, orgkitErrorHandler, requirePermission } from '@orgkit/express'
import { kyselyStorage, migrateToLatest, orgkitMigrations, orgkitMigrationTables } from '@orgkit/kysely'
import type { betterAuth } from 'better-auth'
import { fromNodeHeaders } from 'better-auth/node'
import SQLite from 'better-sqlite3'
import express, { type ErrorRequestHandler, type Request } from 'express'
import { jwtVerify } from 'jose'
import { Kysely, type Migration, Migrator, SqliteDialect, sql } from 'kysely'

export async function gettingStartedApp() {
  // #region gs-app-existing
  // The app you have: its database, its users table and its login.
  interface Database {
    users: { id: string; email: string; name: string | null }
    projects: { id: string; organization_id: string; name: string }
  }
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SQLite(process.env.DATABASE_FILE ?? 'app.db') }),
  })
  const appMigrations = {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '0001_users': {
          up: (db) =>
            db.schema
              .createTable('users')
              .addColumn('id', 'text', (col) => col.primaryKey())
              .addColumn('email', 'text', (col) => col.notNull().unique())
              .addColumn('name', 'text')
              .execute(),
        },
      }
    },
  }
  // Your login: a bearer JWT signed with your secret, whose `sub` is the user's id.
  const secret = new TextEncoder().encode(process.env.JWT_SECRET)
  const app = express()
  // #endregion gs-app-existing

  // #region gs-app-migrations
  // Your migrations gain two steps: the projects table, and an index that serves orgkit's
  // lookups by email (see "The users table" above).
  const yourMigrations = {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        ...(await appMigrations.getMigrations()),
        '0002_projects': {
          up: (db) =>
            db.schema
              .createTable('projects')
              .addColumn('id', 'text', (col) => col.primaryKey())
              .addColumn('organization_id', 'text', (col) => col.notNull())
              .addColumn('name', 'text', (col) => col.notNull())
              .execute(),
        },
        '0003_users_email_lower': {
          up: (db) => db.schema.createIndex('users_email_lower').on('users').expression(sql`lower(email)`).execute(),
        },
      }
    },
  }
  // Yours first, then orgkit's, each in its own migration table: one deploy step.
  const mine = await new Migrator({ db, provider: yourMigrations }).migrateToLatest()
  if (mine.error) throw mine.error
  const orgkits = await migrateToLatest(db)
  if (orgkits.error) throw orgkits.error
  // #endregion gs-app-migrations

  // #region gs-app-orgkit
  const orgkit = createOrgkit({
    storage: kyselyStorage(db, {
      users: { table: 'users', columns: { id: 'id', email: 'email', name: 'name' } },
    }),
    permissions: ['projects.read', 'projects.create'],
    roles: { member: { grants: ['members.read', 'teams.read', 'roles.read', 'projects.read'] } },
    invitations: {
      acceptUrl: (token) => `https://app.example/join?token=${token}`,
      send: (invitation, { acceptUrl }) => console.log(`invite ${invitation.email}: ${acceptUrl}`),
    },
  })
  // #endregion gs-app-orgkit

  // #region gs-app-actor
  // Who is calling: your login's user, as an orgkit actor, or null for nobody.
  async function resolveActor(req: Request): Promise<Actor | null> {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!token) return null
    try {
      const { payload } = await jwtVerify(token, secret)
      return payload.sub ? { type: 'user', userId: payload.sub } : null
    } catch {
      return null // expired or forged: anonymous, so orgkit answers 401 where it must
    }
  }
  // #endregion gs-app-actor

  // #region gs-app-routes
  // 1. orgkit's API. It reads its own JSON bodies, so it may sit before or after express.json().
  app.use('/api', createExpressRouter(orgkit, { resolveActor }))

  // 2. Your routes, guarded by orgkit: 401, 404 and 403 as on orgkit's own routes.
  app.get(
    '/organizations/:org/projects',
    requirePermission(orgkit, 'projects.read', { resolveActor }),
    async (_req, res) => {
      const { organization } = res.locals.orgkit // the organization the caller was authorized for
      res.json(await db.selectFrom('projects').selectAll().where('organization_id', '=', organization.id).execute())
    },
  )
  app.post(
    '/organizations/:org/projects',
    requirePermission(orgkit, 'projects.create', { resolveActor }),
    express.json(),
    async (req, res) => {
      const project = {
        id: crypto.randomUUID(),
        organization_id: res.locals.orgkit.organization.id,
        name: req.body.name,
      }
      await db.insertInto('projects').values(project).execute()
      res.status(201).json(project)
    },
  )

  // 3. Errors: orgkit's (and malformed JSON) in orgkit's shape, then your own handler.
  app.use(orgkitErrorHandler())
  const yourErrorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
    console.error(error)
    res.status(500).json({ error: { code: 'internal', message: 'Something went wrong.' } })
  }
  app.use(yourErrorHandler)
  // #endregion gs-app-routes

  // #region gs-app-deleted
  // An organization's own rows in your tables go with it. The listener runs after orgkit's
  // commit; one that fails is reported to `onListenerError`, so the sweep can run again.
  orgkit.on('organization.deleted', async (event) => {
    await db.deleteFrom('projects').where('organization_id', '=', event.organizationId).execute()
  })
  // #endregion gs-app-deleted

  // #region gs-app-listen
  const server = app.listen(Number(process.env.PORT ?? 3000), () => {
    console.log(`listening on ${JSON.stringify(server.address())}`)
  })
  // #endregion gs-app-listen
  return { server, destroy: () => db.destroy() }
}

// ── The guide's other samples ─────────────────────────────────────────────────────

/** Running orgkit's migrations with a `Migrator` of the host's own (a migration CLI). */
// biome-ignore lint/suspicious/noExplicitAny: any host database.
export async function gettingStartedMigrator(db: Kysely<any>) {
  // #region gs-migrator
  const migrator = new Migrator({ db, provider: orgkitMigrations(), ...orgkitMigrationTables() })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  // #endregion gs-migrator
  return results
}

/** Better Auth sessions: the session cookie, read by Better Auth itself. */
export function betterAuthActor(auth: ReturnType<typeof betterAuth>) {
  // #region gs-actor-better-auth
  const resolveActor = async (req: { headers: IncomingHttpHeaders }): Promise<Actor | null> => {
    const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) })
    if (!session) return null
    const { user } = session
    return { type: 'user', userId: user.id, email: user.email, emailVerified: user.emailVerified }
  }
  // #endregion gs-actor-better-auth
  return resolveActor
}

/** Passport (and any login that leaves the user on `req.user`). */
export function passportActor() {
  // #region gs-actor-passport
  // After passport.session() (or your own session middleware) has put the user on req.user.
  type WithUser = { user?: { id: string | number; email?: string; emailVerified?: boolean } }
  const resolveActor = (req: WithUser): Actor | null =>
    req.user
      ? { type: 'user', userId: String(req.user.id), email: req.user.email, emailVerified: req.user.emailVerified }
      : null
  // #endregion gs-actor-passport
  return resolveActor
}

/** Auth.js: `getSession(req, authConfig)` from `@auth/express`, whose session carries the id. */
export function authJsActor(
  getSession: (req: express.Request) => Promise<{ user?: { id?: string; email?: string | null } } | null>,
) {
  // #region gs-actor-authjs
  // With callbacks.session putting the user's id on session.user.id (Auth.js leaves it out by default).
  const resolveActor = async (req: express.Request): Promise<Actor | null> => {
    const session = await getSession(req)
    const id = session?.user?.id
    return id ? { type: 'user', userId: id, email: session.user?.email ?? undefined } : null
  }
  // #endregion gs-actor-authjs
  return resolveActor
}
