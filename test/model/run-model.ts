/**
 * Runs the model-based test on one database: random sequences of commands through the core
 * and through HTTP (Express or Fastify, drawn per sequence), each on fresh users and
 * organizations of its own in one shared database per adapter.
 *
 * - `ORGKIT_MODEL_SEED` replays a run (the seed is printed before every run); with
 *   `ORGKIT_MODEL_PATH` (printed by fast-check on failure) it replays the shrunk case only.
 * - `ORGKIT_MODEL_RUNS` sets the number of sequences on SQLite; PostgreSQL and MariaDB run a
 *   tenth of it (`npm run test:soak` runs thousands).
 */
import type { Actor } from '@orgkit/core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type AdapterName, createTestApp, type TestApp } from '../http/harness'
import { type TestDialect, testDialects } from '../support/databases'
import { commandArbitraries, formatStats, stats, timing } from './commands'

const steps = () =>
  [...stats.values()].reduce((sum, answers) => sum + [...answers.values()].reduce((a, b) => a + b, 0), 0)

import { checkInvariants, type Real } from './invariants'
import { HOST_PERMISSIONS, type Model, type ModelUser } from './model'
import { coreDriver, httpDriver } from './system'

const ADAPTERS: AdapterName[] = ['express', 'fastify']

/** Sequences per run: many on SQLite (fast, in memory), fewer on the servers. */
export function modelRuns(dialect: TestDialect): number {
  const configured = Number(process.env.ORGKIT_MODEL_RUNS ?? '')
  const sqlite = Number.isInteger(configured) && configured > 0 ? configured : 200
  return dialect === 'sqlite' ? sqlite : Math.max(1, Math.round(sqlite / 10))
}

export function modelSeed(): number {
  const configured = process.env.ORGKIT_MODEL_SEED
  return configured !== undefined && configured !== ''
    ? Number(configured)
    : (Date.now() ^ (Math.random() * 2 ** 31)) | 0
}

let sequences = 0

/**
 * A fresh corner of the database for one sequence: six users (u0–u5), and two organizations
 * with owners, admins, members (u3 in both), one team each with a lead or a member, and u5
 * outside everything.
 */
async function setup(app: TestApp, adapter: AdapterName): Promise<{ model: Model; real: Real }> {
  const namespace = `m${process.pid}x${++sequences}`
  const users: ModelUser[] = []
  for (let i = 0; i < 6; i++) {
    const id = `${namespace}_u${i}`
    const email = `${namespace}.u${i}@example.test`
    const username = `${namespace}_n${i}`
    await app.addUser({ id, email, username, emailVerified: true })
    users.push({ id, email, username })
  }
  const as = (i: number): Actor => ({ type: 'user', userId: users[i]!.id, email: users[i]!.email, emailVerified: true })
  const { orgkit } = app
  const a = await orgkit.as(as(0)).organizations.create({ name: `Model ${namespace} A` })
  const b = await orgkit.as(as(1)).organizations.create({ name: `Model ${namespace} B` })
  await orgkit.as(as(0)).members.add(a.id, { userId: users[2]!.id, role: 'admin' })
  await orgkit.as(as(0)).members.add(a.id, { userId: users[3]!.id, role: 'member' })
  await orgkit.as(as(1)).members.add(b.id, { userId: users[4]!.id, role: 'admin' })
  await orgkit.as(as(1)).members.add(b.id, { userId: users[3]!.id, role: 'member' })
  const teamA = await orgkit.as(as(0)).teams.create(a.id, { name: 'Core' })
  await orgkit.as(as(0)).teams.members.add(a.id, teamA.id, { userId: users[3]!.id, role: 'lead' })
  const teamB = await orgkit.as(as(1)).teams.create(b.id, { name: 'Ops' })
  await orgkit.as(as(1)).teams.members.add(b.id, teamB.id, { userId: users[4]!.id, role: 'member' })
  const model: Model = {
    namespace,
    users,
    strangerEmail: `${namespace}.stranger@example.test`,
    orgs: [
      {
        id: a.id,
        slug: a.slug,
        members: new Map([
          [users[0]!.id, 'owner'],
          [users[2]!.id, 'admin'],
          [users[3]!.id, 'member'],
        ]),
        custom: new Map(),
      },
      {
        id: b.id,
        slug: b.slug,
        members: new Map([
          [users[1]!.id, 'owner'],
          [users[4]!.id, 'admin'],
          [users[3]!.id, 'member'],
        ]),
        custom: new Map(),
      },
    ],
    teams: [
      { id: teamA.id, orgId: a.id, members: new Map([[users[3]!.id, 'lead']]) },
      { id: teamB.id, orgId: b.id, members: new Map([[users[4]!.id, 'member']]) },
    ],
    invitations: [],
    keys: [],
    deleted: { orgIds: [], keySecrets: [] },
  }
  const real: Real = { app, adapter, drivers: { core: coreDriver(app), http: httpDriver(app) } }
  return { model, real }
}

/** `describe` block running the model on `dialect` (skipped when the dialect is not configured). */
export function describeModel(dialect: TestDialect): void {
  const enabled = testDialects().includes(dialect)
  describe.skipIf(!enabled)(`model-based sequences on ${dialect}`, () => {
    const apps = new Map<AdapterName, TestApp>()

    beforeAll(async () => {
      for (const adapter of ADAPTERS) {
        apps.set(adapter, await createTestApp(adapter, dialect, { permissions: HOST_PERMISSIONS }))
      }
    })
    afterAll(async () => {
      for (const app of apps.values()) await app.close()
    })

    it(
      'agrees with the reference model after every step',
      async () => {
        const runs = modelRuns(dialect)
        const seed = modelSeed()
        const path = process.env.ORGKIT_MODEL_PATH
        console.log(
          `model-based test on ${dialect}: ${runs} sequences, seed ${seed} (replay: ORGKIT_MODEL_SEED=${seed}${dialect === 'sqlite' ? '' : ` ORGKIT_TEST_DIALECTS=${dialect}`})`,
        )
        const started = Date.now()
        stats.clear()
        timing.clear()
        await fc.assert(
          fc.asyncProperty(
            // Fastify's `inject` is cheaper than Express's real socket: it gets twice the sequences.
            fc.constantFrom<AdapterName>('express', 'fastify', 'fastify'),
            fc.commands(commandArbitraries(), { maxCommands: 30, size: 'max' }),
            async (adapter, commands) => {
              const app = apps.get(adapter)!
              let state: { model: Model; real: Real } | undefined
              await fc.asyncModelRun(async () => {
                state = await setup(app, adapter)
                return state
              }, commands)
              // Every organization once more, whatever the last steps addressed.
              if (state) await checkInvariants(state.model, state.real, 'end of sequence')
            },
          ),
          { seed, numRuns: runs, verbose: 1, ...(path ? { path, endOnFailure: true } : {}) },
        )
        const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
        const time = [...timing].map(([what, ms]) => `${what} ${seconds(ms)}`).join(', ')
        console.log(
          `model-based test on ${dialect}: ${runs} sequences, ${steps()} steps in ${seconds(Date.now() - started)} (${time}); steps and answers:\n${formatStats()}`,
        )
      },
      // Generous: a failing run also shrinks, which replays many sequences.
      2 * 60 * 60_000,
    )
  })
}
