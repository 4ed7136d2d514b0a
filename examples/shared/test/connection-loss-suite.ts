import { createDemoHost, type DemoHost } from '@orgkit/example-shared'
import { sql } from 'kysely'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createScratchDatabaseUrl,
  mysqlTestUrl,
  postgresTestUrl,
  type TestDialect,
  testDialects,
} from '../../../test/support/databases'
import type { RunningApp } from './quickstart-suite'

/** Concurrent request loops while the connections are killed. */
const WORKERS = 4
/**
 * The load is paced by what happens, not by the clock: the connections are killed once every
 * worker has completed this many units, and the load stops once every worker has completed
 * as many again, each started after the kill. On a busy machine the test takes longer; it
 * never asks for more than the contract promises ("the next ones succeed").
 */
const UNITS_BEFORE_KILL = 2
const UNITS_AFTER_KILL = 2

/** The drivers' messages for a dead connection (pg, mysql2, the server's own). */
const CONNECTION_LOST =
  /terminating connection|Connection terminated|not queryable|Connection lost|closed state|Connection was killed|ECONNRESET|EPIPE/

interface Answer {
  status: number
  body: unknown
  /** `performance.now()` when the answer arrived. */
  at: number
}

/** Terminates every connection to one scratch database, and only those; returns how many. */
interface Killer {
  killAll(): Promise<number>
  close(): Promise<void>
}

/**
 * SPEC §6: "Losing the database connection fails the requests in flight with 500
 * `internal`; the next ones succeed without a restart." A quickstart app runs on a real
 * server's scratch database; its connections are terminated by the server (as a restart,
 * a failover or an operator would) once under load and once while idle. The process must
 * not die of the driver's `'error'` event, failures must be 500 `internal` in the error
 * shape, requests must succeed again (every worker's, awaited as events, not timed), and no
 * transaction may be left half done.
 */
export function describeConnectionLoss(name: string, start: (host: DemoHost) => Promise<RunningApp>): void {
  const dialects = testDialects().filter((dialect) => dialect !== 'sqlite')
  // Without a server dialect the file still declares its suite, skipped, so that a
  // SQLite-only run does not fail on a file without tests.
  if (dialects.length === 0) {
    describe.skip(`the ${name} quickstart losing its connections (needs postgres or mysql)`, () => {
      it('runs on PostgreSQL and MariaDB only', () => {})
    })
  }
  describe.each(dialects)(`the ${name} quickstart losing its %s connections`, (dialect) => {
    let database: { url: string; name: string; drop(): Promise<void> }
    let host: DemoHost
    let app: RunningApp | undefined
    let killer: Killer
    const notices: string[] = []
    /** Woken on each notice, to wait for the pool's reports rather than for time. */
    const noticeWaiters: (() => void)[] = []
    const notice = (line: string) => {
      notices.push(line)
      for (const wake of noticeWaiters.splice(0)) wake()
    }
    const noticesReach = async (count: number) => {
      while (notices.length < count) await new Promise<void>((resolve) => noticeWaiters.push(resolve))
    }
    /** What reached the process's last-resort handlers: a driver's unheard `'error'` lands here. */
    const uncaught: unknown[] = []
    const onUncaught = (error: unknown) => uncaught.push(error)

    beforeAll(async () => {
      process.on('uncaughtException', onUncaught)
      process.on('unhandledRejection', onUncaught)
      database = await createScratchDatabaseUrl(dialect)
      host = await createDemoHost({ databaseUrl: database.url, log: notice })
      app = await start(host)
      killer = await connectionKiller(dialect, database.name)
    })
    afterAll(async () => {
      await app?.close()
      await host?.close()
      await killer?.close()
      await database?.drop()
      process.off('uncaughtException', onUncaught)
      process.off('unhandledRejection', onUncaught)
    })

    const call = async (method: string, path: string, body?: unknown, userId?: string): Promise<Answer> => {
      const response = await fetch(`${app!.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(userId === undefined ? {} : { 'x-user-id': userId }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      })
      const text = await response.text()
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text), at: performance.now() }
    }
    const signUp = async (email: string) => {
      const created = await call('POST', '/demo/users', { email })
      expect(created.status).toBe(201)
      return (created.body as { id: string }).id
    }
    /** One unit of the load: an organization, then a member added to it. */
    const createOrganizationWithMember = async (owner: string, member: string, label: string) => {
      const created = await call('POST', '/api/organizations', { name: `Load ${label}` }, owner)
      if (created.status !== 201) return [created]
      const id = (created.body as { id: string }).id
      return [
        created,
        await call('POST', `/api/organizations/${id}/members`, { userId: member, role: 'member' }, owner),
      ]
    }

    it('keeps serving through a kill under load and a kill while idle, leaving nothing half done', async () => {
      const owners = await Promise.all(Array.from({ length: WORKERS }, (_, i) => signUp(`owner${i}@example.com`)))
      const member = await signUp('member@example.com')
      // The adapters log each unexpected error with its cause; the test reads them instead.
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        // ── Under load ──
        const answers: Answer[] = []
        const before = Array.from({ length: WORKERS }, () => 0)
        const after = Array.from({ length: WORKERS }, () => 0)
        let killedAt: number | undefined
        let stop = false
        let warm!: () => void
        const allWarm = new Promise<void>((resolve) => {
          warm = resolve
        })
        let recover!: () => void
        const allRecovered = new Promise<void>((resolve) => {
          recover = resolve
        })
        const workers = owners.map(async (owner, worker) => {
          for (let i = 0; !stop; i++) {
            const startedAfterKill = killedAt !== undefined
            const unit = await createOrganizationWithMember(owner, member, `${worker}-${i}`)
            answers.push(...unit)
            if (!unit.every((answer) => answer.status < 300)) continue
            if (startedAfterKill) {
              after[worker]! += 1
              if (after.every((count) => count >= UNITS_AFTER_KILL)) recover()
            } else {
              before[worker]! += 1
              if (before.every((count) => count >= UNITS_BEFORE_KILL)) warm()
            }
          }
        })
        // Every worker is in its loop, with requests in flight, when the connections go.
        await allWarm
        const killedUnderLoad = await killer.killAll()
        killedAt = performance.now()
        // Every worker succeeds again, with units it started after the kill; then the load ends.
        await allRecovered
        stop = true
        await Promise.all(workers)
        expect(killedUnderLoad, 'connections terminated under load').toBeGreaterThan(0)
        expect(uncaught, 'errors nobody handled, under load').toEqual([])

        // A failure is the contract's 500, saying nothing of the cause; nothing else fails.
        const failures = answers.filter((a) => a.status >= 300)
        for (const answer of failures) {
          expect(answer).toEqual({
            status: 500,
            body: { error: { code: 'internal', message: 'Something went wrong.' } },
            at: expect.any(Number),
          })
        }
        // And its cause, logged by the adapter, is the lost connection: not, say, the
        // duplicate key of a transaction that was wrongly run again after it committed.
        const causes = logged.mock.calls.map(([, error]) => String((error as Error | undefined)?.message))
        expect(causes).toHaveLength(failures.length)
        for (const cause of causes) expect(cause).toMatch(CONNECTION_LOST)
        // The load went on after the kill: every worker's requests succeeded again (awaited
        // above, as `allRecovered`), without a restart.
        expect(answers.filter((a) => a.at > killedAt! && a.status < 300).length).toBeGreaterThanOrEqual(
          WORKERS * UNITS_AFTER_KILL * 2,
        )

        // ── While idle ──
        const noticesBefore = notices.length
        const killedIdle = await killer.killAll()
        expect(killedIdle, 'idle connections terminated').toBeGreaterThan(0)
        // The pool hears of each dead connection and drops it (the guard reports it once)…
        await noticesReach(noticesBefore + killedIdle)
        expect(uncaught, 'errors nobody handled, idle').toEqual([])
        expect(notices.at(-1)).toMatch(/^database connection lost \(.+\); the next queries open a new one$/)
        // …so the next requests find no dead connection: each succeeds at the first try.
        for (let i = 0; i < 3; i++) {
          const [created, added] = await createOrganizationWithMember(owners[0]!, member, `idle-${i}`)
          expect(created?.status).toBe(201)
          expect(added?.status).toBe(201)
          answers.push(created!, added!)
        }
        expect((await call('GET', '/api/organizations?limit=100', undefined, member)).status).toBe(200)

        // ── Nothing half done ──
        await expectNothingPartial(host, answers)
      } finally {
        logged.mockRestore()
      }
      expect(uncaught).toEqual([])
    })
  })
}

/**
 * Every transaction either happened whole or not at all, and every success the client saw
 * is in the database: each organization has its slug row and exactly one owner, was
 * created once (one audit event), and each member row belongs to an existing organization
 * and was added once.
 */
async function expectNothingPartial(host: DemoHost, answers: Answer[]): Promise<void> {
  const db = host.db.withoutPlugins()
  const organizations = await sql<{ id: string; slug: string }>`select id, slug from orgkit_organizations`.execute(db)
  const slugs = await sql<{ slug: string; organization_id: string }>`
    select slug, organization_id from orgkit_organization_slugs`.execute(db)
  const members = await sql<{ organization_id: string; user_id: string; role: string }>`
    select organization_id, user_id, role from orgkit_members`.execute(db)
  const events = await sql<{ organization_id: string; action: string; target_id: string }>`
    select organization_id, action, target_id from orgkit_audit_events`.execute(db)

  const organizationIds = new Set(organizations.rows.map((row) => row.id))
  expect(organizationIds.size).toBeGreaterThan(0)
  expect(slugs.rows.map((row) => `${row.slug} ${row.organization_id}`).sort()).toEqual(
    organizations.rows.map((row) => `${row.slug} ${row.id}`).sort(),
  )
  for (const id of organizationIds) {
    expect(
      members.rows.filter((row) => row.organization_id === id && row.role === 'owner'),
      id,
    ).toHaveLength(1)
    const created = events.rows.filter((row) => row.organization_id === id && row.action === 'organization.created')
    expect(created, id).toHaveLength(1)
  }
  for (const row of members.rows) {
    expect(organizationIds.has(row.organization_id), row.organization_id).toBe(true)
    if (row.role === 'owner') continue
    const added = events.rows.filter(
      (event) =>
        event.organization_id === row.organization_id &&
        event.action === 'member.added' &&
        event.target_id === row.user_id,
    )
    expect(added, `${row.organization_id} ${row.user_id}`).toHaveLength(1)
  }
  // What the client was told happened, happened.
  for (const answer of answers.filter((a) => a.status === 201)) {
    const body = answer.body as { id?: string; organizationId?: string; userId?: string }
    if (body.id !== undefined) expect(organizationIds.has(body.id)).toBe(true)
    else
      expect(
        members.rows.some((row) => row.organization_id === body.organizationId && row.user_id === body.userId),
      ).toBe(true)
  }
}

/**
 * Terminates the connections of one scratch database from an administrator's session
 * outside it: never anyone else's, since other tests share the servers.
 */
async function connectionKiller(dialect: TestDialect, databaseName: string): Promise<Killer> {
  if (dialect === 'postgres') {
    const admin = new pg.Client({ connectionString: postgresTestUrl() })
    await admin.connect()
    return {
      async killAll() {
        const result = await admin.query<{ terminated: boolean }>(
          `select pg_terminate_backend(pid) as terminated from pg_stat_activity
            where datname = $1 and pid <> pg_backend_pid()`,
          [databaseName],
        )
        return result.rows.filter((row) => row.terminated).length
      },
      close: () => admin.end(),
    }
  }
  if (dialect === 'mysql') {
    const admin = await createConnection({ uri: mysqlTestUrl() })
    return {
      async killAll() {
        const [rows] = await admin.query<(import('mysql2').RowDataPacket & { id: number })[]>(
          'select id from information_schema.processlist where db = ? and id <> connection_id()',
          [databaseName],
        )
        let killed = 0
        for (const { id } of rows) {
          try {
            await admin.query('kill connection ?', [id])
            killed += 1
          } catch (error) {
            // ER_NO_SUCH_THREAD: it ended by itself meanwhile.
            if ((error as { errno?: number }).errno !== 1094) throw error
          }
        }
        return killed
      },
      close: () => admin.end(),
    }
  }
  throw new Error(`no connections to kill on ${dialect}`)
}
