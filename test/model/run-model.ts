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
import { enrollmentArbitraries } from './enrollment-commands'

const steps = () =>
  [...stats.values()].reduce((sum, answers) => sum + [...answers.values()].reduce((a, b) => a + b, 0), 0)

import { checkInvariants, type Real } from './invariants'
import { HOST_PERMISSIONS, type Model, type ModelClock, type ModelUser } from './model'
import { coreDriver, httpDriver } from './system'

const ADAPTERS: AdapterName[] = ['express', 'fastify']

/** Sequences per run: many on SQLite (fast, in memory), fewer on the servers. */
export function modelRuns(dialect: TestDialect): number {
  const configured = Number(process.env.ORGKIT_MODEL_RUNS ?? '')
  // 80 sequences of up to 60 steps: about as many steps as 200 of up to 30 were, reaching deeper
  // states (a domain claimed, proven, opened, joined, the request approved).
  const sqlite = Number.isInteger(configured) && configured > 0 ? configured : 80
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
 * What one app's system reads from the test's world: its clock (`createOrgkit({ clock })`)
 * and its DNS (`enrollment.resolveTxt`). Every sequence on the app shares them; each sequence
 * names its own domains, and the clock only moves forward.
 */
interface World {
  clock: ModelClock
  dns: Map<string, string[]>
}

/** An instant with no meaning, far from the machine's: nothing may read the real clock. */
const EPOCH = Date.UTC(2031, 0, 1)

/**
 * A fresh corner of the database for one sequence: eight users (u0–u7), and two organizations
 * with owners, admins, members (u3 in both), one team each with a lead or a member, and u5,
 * u6 and u7 outside everything. u3, u5, u6 and u7 have addresses on the sequence's first domain
 * (u6's unverified), u4 on the second; the others on a domain nobody can claim. A holds the
 * first domain verified, with enrollment `suggest`.
 */
async function setup(app: TestApp, adapter: AdapterName, world: World): Promise<{ model: Model; real: Real }> {
  const namespace = `m${process.pid}x${++sequences}`
  const domainNames: [string, string] = [`${namespace}-one.com`, `${namespace}-two.com`]
  const users: ModelUser[] = []
  for (let i = 0; i < 8; i++) {
    const id = `${namespace}_u${i}`
    const host = i === 3 || i >= 5 ? domainNames[0] : i === 4 ? domainNames[1] : 'example.test'
    const email = host === 'example.test' ? `${namespace}.u${i}@${host}` : `u${i}@${host}`
    const username = `${namespace}_n${i}`
    const verified = i !== 6
    await app.addUser({ id, email, username, emailVerified: verified })
    users.push({ id, email, username, verified })
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
  // A holds the first domain verified, open to requests: joining is reachable from the first step.
  const claimed = await orgkit.as(as(0)).domains.add(a.id, { domain: domainNames[0] })
  world.dns.set(claimed.verification.name, [claimed.verification.value])
  await orgkit.as(as(0)).domains.verify(a.id, domainNames[0])
  await orgkit.as(as(0)).domains.update(a.id, domainNames[0], { enrollment: 'suggest' })
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
    clock: world.clock,
    dns: world.dns,
    domainNames,
    domains: [
      {
        orgId: a.id,
        name: domainNames[0],
        status: 'verified',
        enrollment: 'suggest',
        role: 'member',
        record: { name: claimed.verification.name, value: claimed.verification.value },
      },
    ],
    joinRequests: [],
    links: [],
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
    const worlds = new Map<AdapterName, World>()

    beforeAll(async () => {
      for (const adapter of ADAPTERS) {
        const world: World = { clock: { now: EPOCH }, dns: new Map() }
        worlds.set(adapter, world)
        const options = {
          permissions: HOST_PERMISSIONS,
          clock: () => new Date(world.clock.now),
          enrollment: { resolveTxt: async (name: string) => (world.dns.get(name) ?? []).map((value) => [value]) },
        }
        apps.set(adapter, await createTestApp(adapter, dialect, options))
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
            fc.commands([...commandArbitraries(), ...enrollmentArbitraries()], { maxCommands: 60, size: 'max' }),
            async (adapter, commands) => {
              const app = apps.get(adapter)!
              let state: { model: Model; real: Real } | undefined
              await fc.asyncModelRun(async () => {
                state = await setup(app, adapter, worlds.get(adapter)!)
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
