/**
 * The projects app, end to end over HTTP: members read, admins write, team leads manage their
 * team's projects; no request reaches another organization's rows; deleting an organization
 * takes its projects and tasks with it. SQLite always; PostgreSQL with Row Level Security, the
 * app connected as a role the policies hold. And the suite notices a query that lost its
 * scope: the same app with the plugin taken off the project list fails the isolation check
 * where nothing else stands (SQLite), and is still held by Row Level Security on PostgreSQL.
 */
import type { AddressInfo } from 'node:net'
import { createOrgkit, type Orgkit } from '@orgkit/core'
import {
  countRows,
  createProjectsApp,
  createProjectTables,
  PROJECT_PERMISSIONS,
  PROJECT_ROLES,
  PROJECT_TEAM_ROLES,
  type ProjectsAppOptions,
  type ProjectsDatabase,
  SCOPED_TABLES,
} from '@orgkit/example-projects'
import { checkRowLevelSecurity, kyselyStorage, unscoped } from '@orgkit/kysely'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAppRole } from '../../../packages/kysely/test/scoping/fixture'
import { onCitus, runDdl, scalingDdl } from '../../../test/support/citus'
import { createTestStorage, TEST_USERS_TABLE, type TestStorage, testDialects } from '../../../test/support/databases'

interface Client {
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON.
  call(method: string, path: string, user: string, body?: unknown): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

async function serve(options: ProjectsAppOptions): Promise<Client> {
  const server = createProjectsApp(options).listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    async call(method, path, user, body) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { 'x-user-id': user, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
      })
      const text = await response.text()
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const dialects = testDialects().filter((dialect) => dialect !== 'mysql')

describe.each(dialects)('the projects app on %s', (dialect) => {
  const rls = dialect === 'postgres'
  let env: TestStorage
  let appRole: { db: Kysely<unknown>; drop(): Promise<void> } | undefined
  let db: Kysely<ProjectsDatabase>
  let orgkit: Orgkit
  let client: Client
  const ids: Record<string, string> = {}

  const optionsFor = (extra: Partial<ProjectsAppOptions> = {}): ProjectsAppOptions => ({
    orgkit,
    db,
    rowLevelSecurity: rls,
    resolveActor: (req) => ({ type: 'user', userId: String(req.headers['x-user-id']) }),
    ...extra,
  })

  beforeAll(async () => {
    env = await createTestStorage(dialect)
    await createProjectTables(env.db, { rowLevelSecurity: rls })
    if (dialect === 'postgres' && onCitus()) await runDdl(env.db, scalingDdl("### The host's scoped tables"))
    for (const id of ['ann', 'adm', 'mia', 'lee', 'bob']) await env.addUser({ id, email: `${id}@example.com` })
    // On PostgreSQL the app connects as a role that owns nothing and bypasses nothing.
    appRole = rls ? ((await createAppRole(env.db)) as typeof appRole) : undefined
    db = (appRole?.db ?? env.db) as Kysely<ProjectsDatabase>
    if (rls) await checkRowLevelSecurity(db as Kysely<unknown>, { tables: SCOPED_TABLES })
    orgkit = createOrgkit({
      storage: kyselyStorage(db, { users: TEST_USERS_TABLE, organizationTables: SCOPED_TABLES }),
      permissions: PROJECT_PERMISSIONS,
      roles: PROJECT_ROLES,
      teamRoles: PROJECT_TEAM_ROLES,
    })
    const ann = orgkit.as({ type: 'user', userId: 'ann' })
    ids.acme = (await ann.organizations.create({ name: 'Acme', slug: 'acme' })).id
    for (const [userId, role] of [
      ['adm', 'admin'],
      ['mia', 'member'],
      ['lee', 'member'],
    ] as const) {
      await ann.members.add('acme', { userId, role })
    }
    ids.red = (await ann.teams.create('acme', { name: 'Red' })).id
    await ann.teams.members.add('acme', 'red', { userId: 'lee', role: 'lead' })
    ids.globex = (
      await orgkit.as({ type: 'user', userId: 'bob' }).organizations.create({ name: 'Globex', slug: 'globex' })
    ).id
    client = await serve(optionsFor())

    const created = async (org: string, user: string, body: object) => {
      const response = await client.call('POST', `/orgs/${org}/projects`, user, body)
      expect(response.status, JSON.stringify(response.body)).toBe(201)
      return response.body.id as string
    }
    ids.redProject = await created('acme', 'adm', { name: 'Rocket', teamId: ids.red })
    ids.plainProject = await created('acme', 'ann', { name: 'Payroll' })
    ids.globexProject = await created('globex', 'bob', { name: 'Secret plans' })
    const task = await client.call('POST', `/orgs/globex/projects/${ids.globexProject}/tasks`, 'bob', { title: 'hide' })
    expect(task.status).toBe(201)
  })
  afterAll(async () => {
    await client?.close()
    await appRole?.drop()
    await env?.destroy()
  })

  /** Acme's callers see Acme's projects only, and Globex's ids answer as nonexistent. */
  async function expectIsolated(on: Client) {
    const listed = await on.call('GET', '/orgs/acme/projects', 'mia')
    expect(listed.status).toBe(200)
    expect(listed.body.map((project: { id: string }) => project.id).sort()).toEqual(
      [ids.redProject, ids.plainProject].sort(),
    )
    expect((await on.call('GET', `/orgs/acme/projects/${ids.globexProject}/tasks`, 'ann')).status).toBe(404)
    expect((await on.call('PATCH', `/orgs/acme/projects/${ids.globexProject}`, 'ann', { name: 'x' })).status).toBe(404)
    expect((await on.call('DELETE', `/orgs/acme/projects/${ids.globexProject}`, 'ann')).status).toBe(404)
  }

  it('members read, admins and owners write, others are refused', async () => {
    expect((await client.call('GET', '/orgs/acme/projects', 'mia')).status).toBe(200)
    expect((await client.call('POST', '/orgs/acme/projects', 'mia', { name: 'Nope' })).status).toBe(403)
    expect((await client.call('GET', '/orgs/acme/projects', 'bob')).status).toBe(404)
    expect((await client.call('POST', '/orgs/acme/projects', 'adm', { name: '' })).status).toBe(400)
  })

  it("a team lead manages the team's projects, and only those", async () => {
    const renamed = await client.call('PATCH', `/orgs/acme/projects/${ids.redProject}`, 'lee', { name: 'Rocket 2' })
    expect(renamed).toEqual({ status: 200, body: { id: ids.redProject, name: 'Rocket 2', teamId: ids.red } })
    expect((await client.call('PATCH', `/orgs/acme/projects/${ids.plainProject}`, 'lee', { name: 'x' })).status).toBe(
      403,
    )
    expect(
      (await client.call('POST', `/orgs/acme/projects/${ids.redProject}/tasks`, 'lee', { title: 'fuel' })).status,
    ).toBe(201)
    expect(
      (await client.call('POST', `/orgs/acme/projects/${ids.redProject}/tasks`, 'mia', { title: 'x' })).status,
    ).toBe(403)
    const tasks = await client.call('GET', `/orgs/acme/projects/${ids.redProject}/tasks`, 'mia')
    expect(tasks.body.map((task: { title: string }) => task.title)).toEqual(['fuel'])
  })

  it("never reads or changes another organization's projects", async () => {
    await expectIsolated(client)
    expect(await countRows(env.db, 'projects', ids.globex!)).toBe(1)
  })

  it(
    rls
      ? 'with the plugin taken off the list query, Row Level Security still holds it to the organization'
      : 'with the plugin taken off the list query, the isolation check fails',
    async () => {
      const leaky = await serve(
        optionsFor({ listProjectsDb: (scoped) => unscoped(scoped, 'test: the leak the suite must catch') }),
      )
      try {
        if (dialect === 'postgres' && onCitus()) {
          // On a Citus cluster refusing multi-shard statements, a list that names no
          // organization is refused before RLS is even asked: it would visit every shard.
          expect((await leaky.call('GET', '/orgs/acme/projects', 'mia')).status).toBe(500)
        } else if (rls) await expectIsolated(leaky)
        else await expect(expectIsolated(leaky)).rejects.toThrow()
      } finally {
        await leaky.close()
      }
    },
  )

  it('deleting an organization deletes its projects and tasks, and no other', async () => {
    const doomed = await orgkit.as({ type: 'user', userId: 'bob' }).organizations.create({ name: 'Doomed' })
    const project = await client.call('POST', `/orgs/${doomed.id}/projects`, 'bob', { name: 'Last' })
    await client.call('POST', `/orgs/${doomed.id}/projects/${project.body.id}/tasks`, 'bob', { title: 'wrap up' })
    expect(await countRows(env.db, 'tasks', doomed.id)).toBe(1)
    await orgkit.as({ type: 'user', userId: 'bob' }).organizations.delete(doomed.id)
    expect([await countRows(env.db, 'projects', doomed.id), await countRows(env.db, 'tasks', doomed.id)]).toEqual([
      0, 0,
    ])
    expect(await countRows(env.db, 'projects', ids.globex!)).toBe(1)
  })
})
