import { randomUUID } from 'node:crypto'
import { type Actor, currentOrganizationId, isOrgkitError, type Orgkit } from '@orgkit/core'
import { type OrgkitLocals, requirePermission } from '@orgkit/express'
import { organizationTransaction, scopedDb } from '@orgkit/kysely'
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express'
import type { Kysely, Transaction } from 'kysely'
import { type ProjectsDatabase, SCOPED_TABLES } from './schema'

/** The app's permissions: members read, admins write, team leads manage their team's projects. */
export const PROJECT_PERMISSIONS = [
  'projects.read',
  'projects.create',
  'projects.update',
  'projects.delete',
  'tasks.write',
] as const

/** The roles to give `createOrgkit`, over orgkit's defaults. */
export const PROJECT_ROLES = {
  member: { grants: ['members.read', 'teams.read', 'roles.read', 'projects.read'] },
} as const

/** Team roles: a lead manages the team's members and the team's projects and their tasks. */
export const PROJECT_TEAM_ROLES = {
  lead: { grants: ['teams.read', 'teams.update', 'projects.update', 'tasks.write'] },
  member: { grants: ['teams.read'] },
} as const

type Db = Kysely<ProjectsDatabase>

export interface ProjectsAppOptions {
  orgkit: Orgkit
  /** The app's database: orgkit's tables and the app's. */
  db: Db
  /** Who is calling, from the host's login. */
  resolveActor: (req: Request) => Actor | null
  /**
   * PostgreSQL Row Level Security (`createProjectTables({ rowLevelSecurity: true })`): every
   * request's queries run in `organizationTransaction`, so the database itself holds them to
   * the organization, whatever the plugin does. @default false
   */
  rowLevelSecurity?: boolean
  /**
   * The instance the project list is read through, given the scoped one. Tests swap it to
   * show that the suite notices a query that lost its scope; an app leaves it alone.
   * @default the scoped instance
   */
  listProjectsDb?: (scoped: Db) => Db
}

/** An answer the routes send as orgkit's error shape. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The projects app: Express routes guarded by `requirePermission`, queries through
 * `scopedDb` (the request's organization, set by `requirePermission`), team-scoped checks for
 * the projects a team lead manages, and, on PostgreSQL, Row Level Security underneath.
 */
export function createProjectsApp(options: ProjectsAppOptions): Express {
  const { orgkit, resolveActor } = options
  const scoped = scopedDb(options.db, { tables: SCOPED_TABLES })
  const listDb = options.listProjectsDb?.(scoped) ?? scoped

  /** Runs a request's queries: in an RLS transaction for the request's organization when on. */
  const work = <T>(on: Db, fn: (db: Db | Transaction<ProjectsDatabase>) => Promise<T>): Promise<T> =>
    options.rowLevelSecurity ? organizationTransaction(on, currentOrganizationId() ?? '', fn) : fn(on)

  const actorOf = (res: Response): Actor => (res.locals.orgkit as OrgkitLocals).actor
  const organizationOf = (res: Response): string => (res.locals.orgkit as OrgkitLocals).organization.id

  /** The project, in the request's organization (another organization's id is simply not found). */
  const findProject = async (db: Db | Transaction<ProjectsDatabase>, id: string) => {
    const project = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst()
    if (project === undefined) throw new HttpError(404, 'not_found', 'Project not found.')
    return project
  }

  /**
   * Team-scoped check: an organization role holding `permission`, or a lead of the project's
   * team (`can(…, { teamId })`). Checked after the project is found, so a project of another
   * organization answers 404 whatever the caller's rights.
   */
  const requireOnProject = async (res: Response, permission: string, project: { team_id: string | null }) => {
    const allowed = await orgkit
      .as(actorOf(res))
      .can(organizationOf(res), permission, project.team_id === null ? {} : { teamId: project.team_id })
    if (!allowed) throw new HttpError(403, 'forbidden', `You lack ${permission} on this project.`)
  }

  const text = (value: unknown, field: string, max: number): string => {
    if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
      throw new HttpError(400, 'validation_failed', `${field} must be text of 1 to ${max} characters.`)
    }
    return value.trim()
  }

  const app = express()
  app.use(express.json())
  const guard = (permission: (typeof PROJECT_PERMISSIONS)[number]) =>
    requirePermission(orgkit, permission, { resolveActor })
  const route =
    (handler: (req: Request, res: Response) => Promise<{ status: number; body?: unknown }>) =>
    (req: Request, res: Response, next: express.NextFunction) => {
      handler(req, res).then(({ status, body }) => {
        if (body === undefined) res.status(status).end()
        else res.status(status).json(body)
      }, next)
    }

  app.get(
    '/orgs/:org/projects',
    guard('projects.read'),
    route(async () => ({
      status: 200,
      body: await work(listDb, (db) =>
        db.selectFrom('projects').select(['id', 'name', 'team_id as teamId']).orderBy('name').orderBy('id').execute(),
      ),
    })),
  )

  app.post(
    '/orgs/:org/projects',
    guard('projects.create'),
    route(async (req) => {
      const name = text(req.body?.name, 'name', 100)
      const teamId = req.body?.teamId === undefined ? null : text(req.body.teamId, 'teamId', 64)
      const project = { id: `prj_${randomUUID()}`, name, team_id: teamId }
      // The plugin stamps organization_id.
      await work(scoped, (db) => db.insertInto('projects').values(project).execute())
      return { status: 201, body: { id: project.id, name, teamId } }
    }),
  )

  app.patch(
    '/orgs/:org/projects/:id',
    guard('projects.read'),
    route(async (req, res) => {
      const name = text(req.body?.name, 'name', 100)
      return work(scoped, async (db) => {
        const project = await findProject(db, String(req.params.id))
        await requireOnProject(res, 'projects.update', project)
        await db.updateTable('projects').set({ name }).where('id', '=', project.id).execute()
        return { status: 200, body: { id: project.id, name, teamId: project.team_id } }
      })
    }),
  )

  app.delete(
    '/orgs/:org/projects/:id',
    guard('projects.delete'),
    route((req) =>
      work(scoped, async (db) => {
        const project = await findProject(db, String(req.params.id))
        await db.deleteFrom('tasks').where('project_id', '=', project.id).execute()
        await db.deleteFrom('projects').where('id', '=', project.id).execute()
        return { status: 204 }
      }),
    ),
  )

  app.get(
    '/orgs/:org/projects/:id/tasks',
    guard('projects.read'),
    route((req) =>
      work(scoped, async (db) => {
        const project = await findProject(db, String(req.params.id))
        const tasks = await db
          .selectFrom('tasks')
          .select(['id', 'title'])
          .where('project_id', '=', project.id)
          .orderBy('id')
          .execute()
        return { status: 200, body: tasks }
      }),
    ),
  )

  app.post(
    '/orgs/:org/projects/:id/tasks',
    guard('projects.read'),
    route(async (req, res) => {
      const title = text(req.body?.title, 'title', 200)
      return work(scoped, async (db) => {
        const project = await findProject(db, String(req.params.id))
        await requireOnProject(res, 'tasks.write', project)
        const task = { id: `tsk_${randomUUID()}`, project_id: project.id, title }
        await db.insertInto('tasks').values(task).execute()
        return { status: 201, body: { id: task.id, projectId: project.id, title } }
      })
    }),
  )

  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message } })
    } else if (isOrgkitError(error) && error.code === 'forbidden') {
      // The scope plugin: a write naming another organization.
      res.status(403).json({ error: { code: 'forbidden', message: error.message } })
    } else {
      res.status(500).json({ error: { code: 'internal', message: 'Something went wrong.' } })
    }
  }
  app.use(onError)
  return app
}
