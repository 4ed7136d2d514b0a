import {
  type BenchSettings,
  measure,
  type StatementCounter,
  type StatementReplay,
  type WorkloadResult,
} from './measure'

export interface BenchUser {
  id: string
  email: string
}

/** The bench's user number `n`: the same ids and emails in every system, and in the bulk seeding's SQL. */
export function benchUser(n: number): BenchUser {
  return { id: `usr_${n}`, email: `user${n}@example.com` }
}

export interface BenchOrganization {
  id: string
  slug: string
}

/**
 * The operations the workloads need, implemented once per system through its public API
 * (orgkit's `orgkit.as(user)…`, Better Auth's `auth.api.*`). Seeding users and the large
 * organization goes straight into the tables: sign-up is the host's, not what is measured.
 */
export interface BenchSystem {
  readonly name: string
  readonly counter: StatementCounter
  seedUsers(count: number): Promise<BenchUser[]>
  createOrganization(owner: BenchUser, name: string, slug: string): Promise<BenchOrganization>
  addMember(owner: BenchUser, org: BenchOrganization, user: BenchUser, role: 'member' | 'admin'): Promise<void>
  /** Prepares what reading the page `offset` rows deep takes (a cursor, or the offset itself); untimed. */
  pageAt(owner: BenchUser, org: BenchOrganization, offset: number): Promise<unknown>
  /** Reads one page of 50 members with their users; returns how many came back. */
  listMembers(owner: BenchUser, org: BenchOrganization, page: unknown): Promise<number>
  /** Invites `email` as a member; returns what accepting needs. */
  invite(owner: BenchUser, org: BenchOrganization, email: string): Promise<string>
  accept(invitee: BenchUser, org: BenchOrganization, invitation: string): Promise<void>
  /** Whether `user` may read the members (orgkit `members.read`; Better Auth: see its notes). */
  can(user: BenchUser, org: BenchOrganization): Promise<boolean>
  changeRole(owner: BenchUser, org: BenchOrganization, user: BenchUser, role: 'member' | 'admin'): Promise<void>
  /** Every organization of `user`, all pages; returns how many came back. */
  listOrganizations(user: BenchUser): Promise<number>
  /** Bulk-inserts `count` users and their memberships into a new organization of `owner`. */
  seedLargeOrganization(owner: BenchUser, count: number): Promise<BenchOrganization>
  /**
   * Refreshes the planner's statistics after the bulk of the writes (untimed), as autovacuum
   * or a periodic ANALYZE would on a live database: fresh tables otherwise have none.
   */
  settle(): Promise<void>
  /** Reads one organization as a member (orgkit's `organizations.get`): measured for flatness only. */
  getOrganization?(user: BenchUser, org: BenchOrganization): Promise<void>
  /** A member of the large organization, `index` joins after its owner (seeded by `seedLargeOrganization`). */
  largeMember?(index: number): BenchUser
  /** A system that resolves its own sessions: one lookup alone, to tell its cost from the rest. */
  resolveSession?(user: BenchUser): Promise<void>
  readonly notes: string[]
}

const fmt = (value: number) => value.toLocaleString('en-US')

/**
 * W1–W7, the same for every system, in one process per system. Given `replay` (the file
 * SQLite systems), W1, W2, W4, W6 and W7 also measure their statements alone.
 */
export async function runWorkloads(
  system: BenchSystem,
  settings: BenchSettings,
  replay?: StatementReplay,
): Promise<WorkloadResult[]> {
  const { runs, sizes } = settings
  const results: WorkloadResult[] = []
  const counter = system.counter
  const log = (text: string) => console.error(`[${system.name}] ${text}`)

  log('seeding users')
  const [owner] = await system.seedUsers(1)
  const creators = await system.seedUsers(runs * sizes.organizations)
  const pool = await system.seedUsers(sizes.members)
  const invitees = await system.seedUsers(runs * sizes.invitations)
  const [joiner] = await system.seedUsers(1)
  if (owner === undefined || joiner === undefined) throw new Error('no users seeded')

  // W1: each organization created by a different user.
  const created: BenchOrganization[] = []
  results.push(
    await measure(
      'W1',
      `create ${fmt(sizes.organizations)} organizations`,
      { runs, ops: sizes.organizations, counter, replay },
      async (run) => {
        for (let i = 0; i < sizes.organizations; i++) {
          const n = run * sizes.organizations + i
          created.push(await system.createOrganization(creators[n]!, `Organization ${n}`, `org-${n}`))
        }
      },
    ),
  )

  // W2: a new organization per run, filled one member at a time.
  let big: BenchOrganization | undefined
  results.push(
    await measure(
      'W2',
      `add ${fmt(sizes.members)} members to one organization`,
      {
        runs,
        ops: sizes.members,
        counter,
        replay,
        prepare: async (run) => {
          big = await system.createOrganization(owner, `Big ${run}`, `big-${run}`)
        },
      },
      async () => {
        for (const user of pool) await system.addMember(owner, big!, user, 'member')
      },
    ),
  )
  const full = big!
  await system.settle()

  // W3: pages of 50 with the users joined, first and deep.
  const first = await system.pageAt(owner, full, 0)
  results.push(
    await measure(
      'W3a',
      `first page of 50 of ${fmt(sizes.members + 1)} members`,
      { runs, ops: sizes.pageRepeats, counter },
      async () => {
        for (let i = 0; i < sizes.pageRepeats; i++) await system.listMembers(owner, full, first)
      },
    ),
  )
  const deep = await system.pageAt(owner, full, sizes.deepOffset)
  if ((await system.listMembers(owner, full, deep)) !== 50) throw new Error(`${system.name}: the deep page is not full`)
  results.push(
    await measure(
      'W3b',
      `page of 50, ${fmt(sizes.deepOffset)} deep`,
      { runs, ops: sizes.pageRepeats, counter },
      async () => {
        for (let i = 0; i < sizes.pageRepeats; i++) await system.listMembers(owner, full, deep)
      },
    ),
  )

  // W4: invitation created by the owner, accepted by the invitee.
  const invitingOrg = await system.createOrganization(owner, 'Inviting', 'inviting')
  results.push(
    await measure(
      'W4',
      `invitation create + accept, ${fmt(sizes.invitations)} pairs`,
      { runs, ops: sizes.invitations, counter, replay },
      (run) =>
        inviteAndAccept(
          system,
          owner,
          invitingOrg,
          invitees.slice(run * sizes.invitations, (run + 1) * sizes.invitations),
        ),
    ),
  )

  // W5: a member's permission check through the API, reading the membership.
  const member = pool[Math.floor(pool.length / 2)]!
  results.push(
    await measure('W5', 'permission check through the API', { runs, ops: sizes.checks, counter }, async () => {
      for (let i = 0; i < sizes.checks; i++) {
        if (!(await system.can(member, full))) throw new Error(`${system.name}: the check said no`)
      }
    }),
  )

  // W6: role changes, alternating between runs so that every change changes something.
  results.push(
    await measure(
      'W6',
      `change a role ×${fmt(sizes.roleChanges)}`,
      { runs, ops: sizes.roleChanges, counter, replay },
      async (run) => {
        const role = run % 2 === 0 ? 'admin' : 'member'
        for (let i = 0; i < sizes.roleChanges; i++) await system.changeRole(owner, full, pool[i]!, role)
      },
    ),
  )

  // W7: a user in many organizations lists them all.
  for (const org of created.slice(0, sizes.userOrganizations)) {
    await system.addMember(creators[created.indexOf(org)]!, org, joiner, 'member')
  }
  await system.settle()
  const listed = await system.listOrganizations(joiner)
  const lists = Math.ceil(sizes.pageRepeats / 4)
  results.push(
    await measure(
      'W7',
      `list the organizations of a user in ${fmt(sizes.userOrganizations)}`,
      { runs, ops: lists, counter, replay },
      async () => {
        for (let i = 0; i < lists; i++) await system.listOrganizations(joiner)
      },
      listed === sizes.userOrganizations ? undefined : `returned ${listed} of ${fmt(sizes.userOrganizations)}`,
    ),
  )

  if (system.getOrganization) {
    const get = system.getOrganization.bind(system)
    results.push(
      await measure('G', 'read an organization as a member', { runs, ops: sizes.checks, counter }, async () => {
        for (let i = 0; i < sizes.checks; i++) await get(member, full)
      }),
    )
  }

  if (system.resolveSession) {
    const resolve = system.resolveSession.bind(system)
    results.push(
      await measure('S', 'session lookup alone', { runs, ops: sizes.checks, counter }, async () => {
        for (let i = 0; i < sizes.checks; i++) await resolve(member)
      }),
    )
  }

  // W3 at scale: opt-in, because seeding a million members takes minutes.
  if (settings.large || settings.smoke) {
    log(`seeding an organization of ${fmt(sizes.largeMembers)} members`)
    const large = await system.seedLargeOrganization(owner, sizes.largeMembers)
    const top = await system.pageAt(owner, large, 0)
    results.push(
      await measure(
        'W3c',
        `first page of 50 of ${fmt(sizes.largeMembers + 1)} members`,
        { runs, ops: sizes.largePageRepeats, counter },
        async () => {
          for (let i = 0; i < sizes.largePageRepeats; i++) await system.listMembers(owner, large, top)
        },
      ),
    )
    if (system.getOrganization && system.largeMember) {
      await measureFlatness(system, settings, results, owner, large)
    }
    const far = await system.pageAt(owner, large, sizes.deepOffset)
    results.push(
      await measure(
        'W3d',
        `page of 50, ${fmt(sizes.deepOffset)} deep, of ${fmt(sizes.largeMembers + 1)} members`,
        { runs, ops: sizes.largePageRepeats, counter },
        async () => {
          for (let i = 0; i < sizes.largePageRepeats; i++) await system.listMembers(owner, large, far)
        },
      ),
    )
  }
  return results
}

/**
 * What must stay flat as an organization and the users table grow (orgkit only; the same
 * workloads at the smaller size are W3b, W4, W5 and G): a page halfway into the large
 * organization, a permission check and a read of it by one of its members, and invitations
 * created and accepted with the users table as large.
 */
async function measureFlatness(
  system: BenchSystem,
  settings: BenchSettings,
  results: WorkloadResult[],
  owner: BenchUser,
  large: BenchOrganization,
): Promise<void> {
  const { runs, sizes } = settings
  const counter = system.counter
  const halfway = Math.floor(sizes.largeMembers / 2)
  const middle = await system.pageAt(owner, large, halfway)
  results.push(
    await measure(
      'W3e',
      `page of 50, ${fmt(halfway)} deep (halfway), of ${fmt(sizes.largeMembers + 1)} members`,
      { runs, ops: sizes.largePageRepeats, counter },
      async () => {
        for (let i = 0; i < sizes.largePageRepeats; i++) await system.listMembers(owner, large, middle)
      },
    ),
  )
  const member = system.largeMember!(halfway)
  results.push(
    await measure(
      'W5L',
      `permission check through the API, ${fmt(sizes.largeMembers + 1)} members`,
      { runs, ops: sizes.checks, counter },
      async () => {
        for (let i = 0; i < sizes.checks; i++) {
          if (!(await system.can(member, large))) throw new Error(`${system.name}: the check said no`)
        }
      },
    ),
  )
  const get = system.getOrganization!.bind(system)
  results.push(
    await measure(
      'GL',
      `read an organization as a member, ${fmt(sizes.largeMembers + 1)} members`,
      { runs, ops: sizes.checks, counter },
      async () => {
        for (let i = 0; i < sizes.checks; i++) await get(member, large)
      },
    ),
  )
  const invitees = await system.seedUsers(runs * sizes.invitations)
  const invitingOrg = await system.createOrganization(owner, 'Inviting large', 'inviting-large')
  results.push(
    await measure(
      'W4L',
      `invitation create + accept, ${fmt(sizes.invitations)} pairs, ${fmt(sizes.largeMembers)} more users`,
      { runs, ops: sizes.invitations, counter },
      (run) =>
        inviteAndAccept(
          system,
          owner,
          invitingOrg,
          invitees.slice(run * sizes.invitations, (run + 1) * sizes.invitations),
        ),
    ),
  )
}

/** W4's operation, once per invitee: the owner invites, the invitee accepts. */
async function inviteAndAccept(
  system: BenchSystem,
  owner: BenchUser,
  org: BenchOrganization,
  invitees: readonly BenchUser[],
): Promise<void> {
  for (const invitee of invitees) {
    const invitation = await system.invite(owner, org, invitee.email)
    await system.accept(invitee, org, invitation)
  }
}
