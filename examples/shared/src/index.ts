import { randomBytes } from 'node:crypto'
import { type Actor, createOrgkit, type Orgkit } from '@orgkit/core'
import { kyselyStorage, migrateToLatest } from '@orgkit/kysely'
import type { Kysely } from 'kysely'
import * as z from 'zod'
import { createHostTables, type DatabaseKind, type HostDatabase, openDatabase } from './database'
import { PROJECT_PERMISSIONS, projectRoutes } from './projects'
import { conflict, type DemoResponse, validationFailed } from './responses'

export { ADMIN_SCRIPT_PATH, type AdminPageFile, adminPageFile, bundleAdminScript } from './admin-page'
export { DEFAULT_DATABASE_URL, openDatabase } from './database'
export { PROJECT_PERMISSIONS } from './projects'
export { API_PREFIX, apiIndex, ORGKIT_VERSION, type ReferenceFile, referenceFile } from './reference'
export { type DemoResponse, frameworkError, JSON_CONTENT_TYPE, jsonText } from './responses'

export interface DemoHost {
  orgkit: Orgkit
  db: Kysely<HostDatabase>
  kind: DatabaseKind
  label: string
  /** `POST /demo/users`: the demo's stand-in for sign-up; an email already signed up answers its user (200). */
  createUser(body: unknown): Promise<DemoResponse>
  /** The host's own routes, `/organizations/:org/projects`, for an organization orgkit has authorized. */
  projects: ReturnType<typeof projectRoutes>
  /** The demo's stand-in for login: `x-user-id` names the user, `x-organization-id` the current organization. */
  resolveActor(headers: Record<string, string | string[] | undefined>): Promise<Actor | null>
  /** `GET /invitations/accept?token=…`, where printed invitation links lead: how to accept, as plain text. */
  acceptPage(token: unknown): { status: number; text: string }
  close(): Promise<void>
}

export interface DemoHostOptions {
  databaseUrl?: string | undefined
  /** Where accept links point. @default http://localhost:3000 */
  publicUrl?: string | undefined
  /** Where the "mail" and notices (a lost database connection) go. @default console.log */
  log?: (line: string) => void
}

/**
 * Everything the quickstarts share: the database, the host's users table, orgkit's
 * migrations, the orgkit instance, and the demo login. A real host keeps its own users and
 * authentication and only does the `createOrgkit` part.
 */
export async function createDemoHost(options: DemoHostOptions = {}): Promise<DemoHost> {
  const log = options.log ?? ((line: string) => console.log(line))
  const { db, kind, label } = openDatabase(options.databaseUrl, (error) =>
    log(`database connection lost (${error.message}); the next queries open a new one`),
  )
  const publicUrl = options.publicUrl ?? 'http://localhost:3000'
  try {
    await createHostTables(db)
    const { error } = await migrateToLatest(db)
    if (error) throw error
  } catch (error) {
    // An open pool would keep the process alive after the failure is reported.
    await db.destroy()
    throw error
  }

  const orgkit = createOrgkit({
    storage: kyselyStorage(db, {
      users: {
        table: 'users',
        columns: { id: 'id', email: 'email', username: 'username', name: 'name', imageUrl: 'image_url' },
        // Sign-up stores emails trimmed and lower-cased (`demoUserSchema`), so orgkit's email
        // lookups use the unique index on `users.email` as it is, on every database.
        emailNormalized: true,
      },
    }),
    permissions: PROJECT_PERMISSIONS,
    // The default member role, plus seeing projects. Admins and owners hold every permission,
    // the host's included, so they create projects.
    roles: {
      member: {
        name: 'Member',
        description: 'Sees the members, teams, roles and projects of the organization.',
        grants: ['members.read', 'teams.read', 'roles.read', 'projects.read'],
      },
    },
    invitations: {
      acceptUrl: (token) => `${publicUrl}/invitations/accept?token=${encodeURIComponent(token)}`,
      // The quickstart prints the link instead of mailing it.
      send: (invitation, { acceptUrl }) =>
        log(`✉  invitation for ${invitation.email} (${invitation.role}): ${acceptUrl}`),
    },
  })

  return {
    orgkit,
    db,
    kind,
    label,
    createUser: (body) => createDemoUser(db, kind, body),
    projects: projectRoutes(db),
    async resolveActor(headers) {
      const userId = header(headers, 'x-user-id')
      if (userId === undefined) return null
      const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
      if (!user) return null
      return {
        type: 'user',
        userId: user.id,
        email: user.email,
        emailVerified: Boolean(user.email_verified),
        platformRole: user.platform_role === 'superadmin' ? 'superadmin' : undefined,
        organizationId: header(headers, 'x-organization-id'),
      }
    },
    acceptPage(token) {
      // The token is echoed into a shell command below: only the base64url alphabet orgkit uses.
      if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(token)) {
        return { status: 400, text: 'This link has no valid invitation token.\n' }
      }
      // A real host serves its sign-in page here, then posts the token for the signed-in user.
      const body = JSON.stringify({ token })
      return {
        status: 200,
        text: [
          'You have been invited to an organization.',
          'In a real app this page signs you in and accepts. Here, as the invitee:',
          '',
          `  curl -X POST ${publicUrl}/api/invitations/preview -H 'x-user-id: <your id>' -H 'content-type: application/json' -d '${body}'`,
          `  curl -X POST ${publicUrl}/api/invitations/accept -H 'x-user-id: <your id>' -H 'content-type: application/json' -d '${body}'`,
          '',
        ].join('\n'),
      }
    },
    close: () => db.destroy(),
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

const demoUserSchema = z.strictObject({
  email: z.string().trim().toLowerCase().max(320).pipe(z.email('Must be an email address')),
  // Lower-cased so that "taken" means the same on every database: MySQL compares this
  // column case-insensitively, PostgreSQL and SQLite exactly.
  username: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9_.-]{1,100}$/, 'Letters, digits, _ . - only')
    .optional(),
  name: z.string().trim().min(1).max(255).optional(),
  emailVerified: z.boolean().optional(),
  platformRole: z.enum(['superadmin']).optional(),
})

/**
 * Signs up a demo user, or answers the one who already has that email (200, same id), so
 * that the README's tour can be run again on the same database. The other fields of an
 * existing user are left as they are; a username taken by someone else is a 409.
 */
async function createDemoUser(db: Kysely<HostDatabase>, kind: DatabaseKind, body: unknown): Promise<DemoResponse> {
  const parsed = demoUserSchema.safeParse(body ?? {})
  if (!parsed.success) return validationFailed(parsed.error)
  const input = parsed.data
  const existing = await findUserByEmail(db, input.email)
  if (existing) return { status: 200, body: existing }
  if (input.username !== undefined) {
    const taken = await db.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst()
    if (taken) return conflict(USERNAME_TAKEN)
  }
  const user = {
    id: `usr_${randomBytes(8).toString('hex')}`,
    email: input.email,
    username: input.username ?? null,
    name: input.name ?? null,
    image_url: null,
    // better-sqlite3 binds no booleans.
    email_verified: kind === 'sqlite' ? Number(input.emailVerified ?? true) : (input.emailVerified ?? true),
    platform_role: input.platformRole ?? null,
    created_at: new Date().toISOString(),
  }
  try {
    await db.insertInto('users').values(user).execute()
  } catch {
    // A concurrent sign-up took the email (then that user is the answer) or the username.
    const raced = await findUserByEmail(db, input.email)
    return raced ? { status: 200, body: raced } : conflict(USERNAME_TAKEN)
  }
  return { status: 201, body: publicUser(user) }
}

async function findUserByEmail(db: Kysely<HostDatabase>, email: string) {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
  return row && publicUser(row)
}

function publicUser(row: {
  id: string
  email: string
  username: string | null
  name: string | null
  email_verified: number | boolean
  platform_role: string | null
}) {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    name: row.name,
    emailVerified: Boolean(row.email_verified),
    platformRole: row.platform_role,
  }
}

const USERNAME_TAKEN = 'That username is taken.'

/** `PORT` as a port number, or a clear error: 3000 when unset. */
export function portFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 3000
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`)
  }
  return port
}

/**
 * `HOST`, the interface to listen on: loopback unless told otherwise, because the demo
 * login lets anyone who reaches the port act as any user. `HOST=0.0.0.0` in a container.
 */
export function hostFromEnv(value: string | undefined): string {
  return value === undefined || value.trim() === '' ? '127.0.0.1' : value.trim()
}

/** Ends a quickstart that could not start with one readable line instead of a stack trace. */
export function exitOnStartupError(app: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error)
  console.error(`${app} could not start: ${message}`)
  process.exit(1)
}
