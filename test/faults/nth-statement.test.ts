/**
 * All or nothing, proven statement by statement: every mutation of the core API is run
 * once cleanly to count the statements it sends (BEGIN and COMMIT included), and then
 * once per statement N with the database failing statement N. Afterwards the orgkit
 * tables must equal the snapshot taken before — nothing half done — or, when the fault
 * came after a successful COMMIT, the state the clean run left.
 *
 * Each case starts from the same fixed state: it is seeded once per database and written
 * back row for row whenever a run changed it, so ids, counters and timestamps (the clock is
 * fixed) are the same before every run.
 */
import { type Actor, createOrgkit, type OrgkitClient } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDialects } from '../support/databases'
import { createFaultyTestStorage, type FaultyTestStorage, InjectedFault } from '../support/faulty-storage'
import { diffSnapshots, readTables, restoreTables, type Snapshot, type TableRows, toSnapshot } from './tables'

const NOW = new Date('2030-01-15T12:00:00.000Z')
const clock = () => new Date(NOW)

const user = (userId: string): Actor => ({ type: 'user', userId, email: `${userId}@example.com` })

/** The fixed state's ids that the mutations name. */
interface Seed {
  orgId: string
  teamId: string
  /** Pending, for invitee@example.com, with a team: accepted and declined. */
  inviteeInvitationId: string
  /** Pending, for someone else: resent and revoked. */
  otherInvitationId: string
  apiKeyId: string
}

async function seed(env: FaultyTestStorage): Promise<Seed> {
  for (const id of ['owner', 'admin', 'member', 'lead', 'auditor', 'outsider', 'invitee', 'neighbour']) {
    await env.addUser({ id, email: `${id}@example.com`, username: id, name: id })
  }
  const orgkit = createOrgkit({ storage: env.storage, clock })
  const owner = orgkit.as(user('owner'))
  const org = await owner.organizations.create({ name: 'Acme', slug: 'acme', description: 'Seeded' })
  await owner.members.add('acme', { userId: 'admin', role: 'admin' })
  await owner.members.add('acme', { userId: 'member', role: 'member' })
  await owner.members.add('acme', { userId: 'lead', role: 'member' })
  await owner.roles.create('acme', { key: 'auditor', name: 'Auditor', permissions: ['audit.read', 'members.read'] })
  await owner.members.add('acme', { userId: 'auditor', role: 'auditor' })
  const team = await owner.teams.create('acme', { name: 'Core', slug: 'core' })
  await owner.teams.members.add('acme', 'core', { userId: 'lead', role: 'lead' })
  await owner.teams.members.add('acme', 'core', { userId: 'member', role: 'member' })
  await owner.teams.members.add('acme', 'core', { userId: 'admin', role: 'member' })
  const invitee = await owner.invitations.create('acme', {
    email: 'invitee@example.com',
    role: 'member',
    teamIds: [team.id],
  })
  const other = await owner.invitations.create('acme', { email: 'someone@example.com', role: 'member' })
  // The admin's key: removing or letting the admin go takes its access away too.
  const key = await orgkit.as(user('admin')).apiKeys.create('acme', { name: 'Deploy', role: 'member' })
  // A neighbour organization that no mutation of Acme may touch.
  const neighbour = orgkit.as(user('neighbour'))
  await neighbour.organizations.create({ name: 'Neighbour', slug: 'neighbour' })
  await neighbour.members.add('neighbour', { userId: 'member', role: 'admin' })
  await neighbour.invitations.create('neighbour', { email: 'invitee@example.com', role: 'member' })
  return {
    orgId: org.id,
    teamId: team.id,
    inviteeInvitationId: invitee.id,
    otherInvitationId: other.id,
    apiKeyId: key.id,
  }
}

type As = (userId: string) => OrgkitClient

/** Every mutation of the core API, each as one call on the fixed state. */
const MUTATIONS: Record<string, (as: As, seed: Seed) => Promise<unknown>> = {
  'organizations.create': (as) => as('owner').organizations.create({ name: 'Fresh Co' }),
  'organizations.update': (as) =>
    as('owner').organizations.update('acme', { name: 'Acme Two', slug: 'acme-two', description: 'Renamed' }),
  'organizations.delete': (as) => as('owner').organizations.delete('acme'),
  'organizations.leave': (as) => as('admin').organizations.leave('acme'),
  'organizations.transferOwnership': (as) => as('owner').organizations.transferOwnership('acme', { userId: 'admin' }),
  'members.add': (as) => as('owner').members.add('acme', { userId: 'outsider', role: 'admin' }),
  'members.update': (as) => as('owner').members.update('acme', 'member', { role: 'admin' }),
  'members.remove': (as) => as('owner').members.remove('acme', 'admin'),
  'roles.create': (as) =>
    as('owner').roles.create('acme', { key: 'billing', name: 'Billing', permissions: ['members.read'] }),
  'roles.update': (as) =>
    as('owner').roles.update('acme', 'auditor', { name: 'Auditors', permissions: ['audit.read', 'teams.read'] }),
  'roles.delete': (as) => as('owner').roles.delete('acme', 'auditor', { reassignTo: 'member' }),
  'teams.create': (as) => as('owner').teams.create('acme', { name: 'Platform' }),
  'teams.update': (as) => as('owner').teams.update('acme', 'core', { name: 'Core Two', slug: 'core-two' }),
  'teams.delete': (as) => as('owner').teams.delete('acme', 'core'),
  'teams.members.add': (as) => as('owner').teams.members.add('acme', 'core', { userId: 'auditor', role: 'member' }),
  'teams.members.update': (as) => as('owner').teams.members.update('acme', 'core', 'member', { role: 'lead' }),
  'teams.members.remove': (as) => as('owner').teams.members.remove('acme', 'core', 'member'),
  'invitations.create': (as, s) =>
    as('owner').invitations.create('acme', { email: 'newcomer@example.com', role: 'member', teamIds: [s.teamId] }),
  'invitations.resend': (as, s) => as('owner').invitations.resend('acme', s.otherInvitationId),
  'invitations.revoke': (as, s) => as('owner').invitations.revoke('acme', s.otherInvitationId),
  'invitations.accept': (as, s) => as('invitee').invitations.accept({ id: s.inviteeInvitationId }),
  'invitations.decline': (as, s) => as('invitee').invitations.decline({ id: s.inviteeInvitationId }),
  'apiKeys.create': (as) => as('owner').apiKeys.create('acme', { name: 'CI', role: 'admin' }),
  'apiKeys.revoke': (as, s) => as('owner').apiKeys.revoke('acme', s.apiKeyId),
}

/**
 * The clean run's state with what differs between two correct runs masked: a string the
 * fixed state does not contain (a fresh id, token hash or key prefix) becomes `<new>`.
 * Everything else — which rows exist, counters, roles, statuses, timestamps from the
 * fixed clock, audit changes — must match exactly.
 */
function maskFresh(tables: TableRows, known: ReadonlySet<string>): Snapshot {
  const masked: TableRows = {}
  for (const [table, rows] of Object.entries(tables)) {
    masked[table] = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([column, value]) => [
          column,
          typeof value === 'string' && !known.has(value) && /[_-]|^[A-Za-z0-9+/=]{16,}$/.test(value) ? '<new>' : value,
        ]),
      ),
    )
  }
  return toSnapshot(masked)
}

function stringsOf(tables: TableRows): Set<string> {
  const strings = new Set<string>()
  for (const rows of Object.values(tables)) {
    for (const row of rows) for (const value of Object.values(row)) if (typeof value === 'string') strings.add(value)
  }
  return strings
}

const describeDiff = (expected: Snapshot, actual: Snapshot) => JSON.stringify(diffSnapshots(expected, actual), null, 1)

describe.each(testDialects())('a failure at any statement of a mutation leaves all or nothing on %s', (dialect) => {
  let env: FaultyTestStorage
  let ids: Seed
  let fixedRows: TableRows
  let fixed: Snapshot
  let known: Set<string>

  beforeAll(async () => {
    env = await createFaultyTestStorage(dialect)
    ids = await seed(env)
    fixedRows = await readTables(env.db)
    fixed = toSnapshot(fixedRows)
    known = stringsOf(fixedRows)
  })
  afterAll(() => env?.destroy())

  /** Runs the mutation on a fresh instance (no cached compiled roles from an earlier run). */
  function run(name: string): Promise<unknown> {
    const orgkit = createOrgkit({ storage: env.storage, clock })
    const mutation = MUTATIONS[name]!
    return mutation((userId) => orgkit.as(user(userId)), ids)
  }

  it('knows every mutation of the core API', () => {
    expect(Object.keys(MUTATIONS)).toHaveLength(24)
  })

  for (const name of Object.keys(MUTATIONS)) {
    it(name, async () => {
      // The clean run: how many statements, and the state it leaves.
      env.faults.record()
      await run(name)
      const clean = env.faults.stop()
      const done = await readTables(env.db)
      const doneMasked = maskFresh(done, known)
      expect(toSnapshot(done), 'the clean run changes something').not.toEqual(fixed)
      // A transaction's COMMIT, or no transaction: on PostgreSQL creating an organization and
      // adding a member write one statement that commits on its own.
      const sent = (keyword: string) => clean.statements.some((sql) => new RegExp(`^\\s*${keyword}\\b`, 'i').test(sql))
      expect(!sent('begin') || sent('commit'), 'the clean run commits').toBe(true)
      await restoreTables(env.db, fixedRows)

      for (let n = 1; n <= clean.statements.length; n++) {
        env.faults.record(n)
        const outcome = await run(name).then(
          () => null,
          (error: unknown) => error,
        )
        const trace = env.faults.stop()
        const where = `${name}, fault at statement ${n} of ${clean.statements.length}: ${clean.statements[n - 1]}`
        expect(trace.failedAt, `${where} — the run took another path than the clean one`).toBe(n)
        const after = await readTables(env.db)
        if (trace.committedBeforeFault) {
          // The change was committed before the fault: it must be whole.
          const masked = maskFresh(after, known)
          await restoreTables(env.db, fixedRows)
          if (JSON.stringify(masked) !== JSON.stringify(doneMasked)) {
            expect.fail(`${where} — committed, but not as the clean run: ${describeDiff(doneMasked, masked)}`)
          }
        } else {
          // The injected error reaches the caller as is: no retry, no success on a half write.
          expect(outcome, where).toBeInstanceOf(InjectedFault)
          const snapshot = toSnapshot(after)
          if (JSON.stringify(snapshot) !== JSON.stringify(fixed)) {
            await restoreTables(env.db, fixedRows)
            expect.fail(`${where} — left a partial change: ${describeDiff(fixed, snapshot)}`)
          }
        }
      }
    })
  }
})
