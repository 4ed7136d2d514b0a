import { createOrgkit, type Orgkit, type TransactionRepositories, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOnlyCodes, raceRounds, untilWaitingForLock } from '../support/concurrency'
import {
  createTestStorage,
  type StorageUnderTest,
  type TestStorage,
  testDialects,
  testStorages,
} from '../support/databases'

const user = (userId: string): UserActor => ({ type: 'user', userId, email: `${userId}@example.com` })

/**
 * The caller's membership a locking authorization checks is the one committed when the
 * organization's lock is granted, not the one the statement saw when it began to wait.
 * Deterministically: transaction A takes the organization's lock and demotes or removes the
 * caller; the caller's request starts and is seen waiting for A's lock (on the server's lock
 * views); A commits; the request must then be refused as the new membership says.
 */
describe.each(testStorages())('the membership read with the lock, after a wait, on %s', (name) => {
  let env: StorageUnderTest & Pick<TestStorage, 'lockWaiters'>
  let orgkit: Orgkit
  let round = 0

  beforeAll(async () => {
    env = await createTestStorage(name)
    orgkit = createOrgkit({ storage: env.storage })
  })
  afterAll(() => env?.destroy())

  /** Fresh users and an organization of `ann` (owner) with `bob` as admin. */
  async function organizationWithAdmin() {
    round += 1
    const [ann, bob, cat] = await Promise.all(
      ['ann', 'bob', 'cat'].map((who) => env.addUser({ id: `${who}${round}`, email: `${who}${round}@example.com` })),
    )
    const org = await orgkit.as(user(ann!.id)).organizations.create({ name: `Locked ${round}` })
    await orgkit.as(user(ann!.id)).members.add(org.id, { userId: bob!.id, role: 'admin' })
    return { org, ann: ann!.id, bob: bob!.id, cat: cat!.id }
  }

  /** `organizationWithAdmin`, with `cat` a member too, of role `role`. */
  async function organizationWithMember(role = 'member') {
    const fresh = await organizationWithAdmin()
    await orgkit.as(user(fresh.ann)).members.add(fresh.org.id, { userId: fresh.cat, role })
    return fresh
  }

  /**
   * Runs `change` in a transaction that holds `organizationId`'s lock, starts `request`
   * while it is open, waits until the request waits for the lock (or has answered), then
   * commits: what the request answered.
   */
  async function whileLocked<T>(
    organizationId: string,
    change: (tx: TransactionRepositories) => Promise<unknown>,
    request: () => Promise<T>,
  ): Promise<PromiseSettledResult<T>> {
    let held!: () => void
    const holding = new Promise<void>((resolve) => {
      held = resolve
    })
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const a = env.storage.transaction(async (tx) => {
      expect(await tx.organizations.lock(organizationId)).not.toBeNull()
      await change(tx)
      held()
      await released
    })
    await holding
    const b = Promise.allSettled([request()])
    // A request that answers without waiting (a refusal from a read) is judged as it answered.
    await Promise.race([untilWaitingForLock(env), b])
    release()
    await a
    const [outcome] = await b
    return outcome!
  }

  const codeOf = (outcome: PromiseSettledResult<unknown>) =>
    outcome.status === 'rejected' ? (outcome.reason as { code?: string }).code : 'fulfilled'

  it('a caller demoted while the request waits is refused what the old role allowed (forbidden)', async () => {
    const { org, bob, cat } = await organizationWithAdmin()
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, bob, 'member'),
      () => orgkit.as(user(bob)).members.add(org.id, { userId: cat, role: 'member' }),
    )
    expect(codeOf(outcome)).toBe('forbidden')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
  })

  // An add is decided on a read without the lock where the storage can, and written only if
  // what it was decided on still holds once the lock is granted: else it is decided again,
  // under the lock. Each case changes one thing the decision rests on.

  it("a caller's custom role edited while an add waits no longer allows it (forbidden)", async () => {
    const { org, ann, bob, cat } = await organizationWithAdmin()
    await orgkit.as(user(ann)).roles.create(org.id, {
      key: 'recruiter',
      name: 'Recruiter',
      permissions: ['members.read', 'teams.read', 'roles.read', 'members.add'],
    })
    await orgkit.as(user(ann)).members.update(org.id, bob, { role: 'recruiter' })
    const outcome = await whileLocked(
      org.id,
      async (tx) => {
        await tx.roles.update(
          org.id,
          'recruiter',
          { permissions: ['members.read', 'teams.read', 'roles.read'] },
          new Date(),
        )
        await tx.organizations.bumpRolesVersion(org.id, new Date())
      },
      () => orgkit.as(user(bob)).members.add(org.id, { userId: cat, role: 'member' }),
    )
    expect(codeOf(outcome)).toBe('forbidden')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
  })

  it('an add waiting while another fills the last place is refused at the limit (limit_exceeded)', async () => {
    const { org, ann, bob, cat } = await organizationWithAdmin()
    const dan = (await env.addUser({ id: `dan${round}`, email: `dan${round}@example.com` })).id
    const limited = createOrgkit({ storage: env.storage, limits: { membersPerOrganization: 3 } })
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.insert({ organizationId: org.id, userId: dan, role: 'member', joinedAt: new Date() }),
      () => limited.as(user(bob)).members.add(org.id, { userId: cat, role: 'member' }),
    )
    expect(codeOf(outcome)).toBe('limit_exceeded')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
    expect((await orgkit.as(user(ann)).organizations.get(org.id)).memberCount).toBe(3)
  })

  it('a caller removed while the request waits is no longer a member (not found)', async () => {
    const { org, ann, bob } = await organizationWithAdmin()
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.delete(org.id, bob),
      () => orgkit.as(user(bob)).members.update(org.id, ann, { role: 'member' }),
    )
    expect(codeOf(outcome)).toBe('not_found')
    expect((await env.storage.members.find(org.id, ann))?.role).toBe('owner')
  })

  it('an inviter demoted while the accept waits no longer grants the role (forbidden)', async () => {
    const { org, bob, cat } = await organizationWithAdmin()
    const invitation = await orgkit
      .as(user(bob))
      .invitations.create(org.id, { email: `${cat}@example.com`, role: 'admin' })
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, bob, 'member'),
      () => orgkit.as(user(cat)).invitations.accept({ id: invitation.id }),
    )
    expect(codeOf(outcome)).toBe('forbidden')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
  })

  it('an inviter removed while the accept waits grants nothing (forbidden)', async () => {
    const { org, bob, cat } = await organizationWithAdmin()
    const invitation = await orgkit
      .as(user(bob))
      .invitations.create(org.id, { email: `${cat}@example.com`, role: 'member' })
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.delete(org.id, bob),
      () => orgkit.as(user(cat)).invitations.accept({ id: invitation.id }),
    )
    expect(codeOf(outcome)).toBe('forbidden')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
  })

  // A role change, which decides under the lock. (An add, where the storage decides it on
  // a read without the lock, refuses from that read at once, before the promotion commits:
  // it never waits.)
  it('a caller promoted while the request waits is allowed what the new role allows', async () => {
    const { org, bob, cat } = await organizationWithMember()
    await orgkit.as({ type: 'system' }).members.update(org.id, bob, { role: 'member' })
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, bob, 'admin'),
      () => orgkit.as(user(bob)).members.update(org.id, cat, { role: 'admin' }),
    )
    expect(codeOf(outcome)).toBe('fulfilled')
    expect((await env.storage.members.find(org.id, cat))?.role).toBe('admin')
  })

  // The member a role change or a removal is about is read with the lock too, and judged as
  // committed when it is granted: an admin may change a member but not an owner.

  it('a target promoted to owner while a role change waits is refused as an owner (forbidden)', async () => {
    const { org, bob, cat } = await organizationWithMember()
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, cat, 'owner'),
      () => orgkit.as(user(bob)).members.update(org.id, cat, { role: 'admin' }),
    )
    expect(codeOf(outcome)).toBe('forbidden')
    expect((await env.storage.members.find(org.id, cat))?.role).toBe('owner')
  })

  it('a target demoted while a role change waits is changed from the new role', async () => {
    const { org, ann, bob, cat } = await organizationWithMember('owner')
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, cat, 'member'),
      () => orgkit.as(user(bob)).members.update(org.id, cat, { role: 'admin' }),
    )
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { userId: cat, role: 'admin' } })
    expect((await env.storage.members.find(org.id, cat))?.role).toBe('admin')
    const [updated] = (await orgkit.as(user(ann)).audit.list(org.id, { limit: 1 })).data
    expect(updated).toMatchObject({ action: 'member.updated', changes: { role: { from: 'member', to: 'admin' } } })
  })

  it('a target removed while a role change waits is not found', async () => {
    const { org, bob, cat } = await organizationWithMember()
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.delete(org.id, cat),
      () => orgkit.as(user(bob)).members.update(org.id, cat, { role: 'admin' }),
    )
    expect(codeOf(outcome)).toBe('not_found')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
  })

  it('a target promoted to owner while a removal waits is refused as an owner (forbidden)', async () => {
    const { org, bob, cat } = await organizationWithMember()
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, cat, 'owner'),
      () => orgkit.as(user(bob)).members.remove(org.id, cat),
    )
    expect(codeOf(outcome)).toBe('forbidden')
    expect((await env.storage.members.find(org.id, cat))?.role).toBe('owner')
  })

  it('a target demoted while a removal waits is removed as the new role', async () => {
    const { org, ann, bob, cat } = await organizationWithMember('owner')
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, cat, 'member'),
      () => orgkit.as(user(bob)).members.remove(org.id, cat),
    )
    expect(codeOf(outcome)).toBe('fulfilled')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
    const [removed] = (await orgkit.as(user(ann)).audit.list(org.id, { limit: 1 })).data
    expect(removed).toMatchObject({ action: 'member.removed', changes: { role: 'member' } })
  })

  // An ownership transfer reads its new owner with the lock too: read as it was when the
  // request began, a removed one would still be found, and the caller would hand the
  // organization to nobody.

  it('a new owner removed while a transfer waits is not found, and the caller stays owner', async () => {
    const { org, ann, cat } = await organizationWithMember()
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.delete(org.id, cat),
      () => orgkit.as(user(ann)).organizations.transferOwnership(org.id, { userId: cat }),
    )
    expect(codeOf(outcome)).toBe('not_found')
    expect((await env.storage.members.find(org.id, ann))?.role).toBe('owner')
    expect(await env.storage.members.find(org.id, cat)).toBeNull()
    expect(await env.storage.members.countWithRole(org.id, 'owner')).toBe(1)
  })

  it('a new owner demoted while a transfer waits is made owner from the new role', async () => {
    const { org, ann, cat } = await organizationWithMember('owner')
    const outcome = await whileLocked(
      org.id,
      (tx) => tx.members.updateRole(org.id, cat, 'member'),
      () => orgkit.as(user(ann)).organizations.transferOwnership(org.id, { userId: cat }),
    )
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { role: 'admin' } })
    expect((await env.storage.members.find(org.id, cat))?.role).toBe('owner')
    expect((await env.storage.members.find(org.id, ann))?.role).toBe('admin')
  })
})

/**
 * Locking the caller's membership with the organization (PostgreSQL: `FOR UPDATE OF o, m`,
 * in that order) keeps every writer's order, the organization's row first: concurrent
 * role changes and removals by several admins of one organization never deadlock.
 * A deadlock would be retried unseen (the storage runs a transaction again after one), so
 * the test hears every statement's error from the driver and counts them.
 */
describe.each(testDialects().filter((dialect) => dialect !== 'sqlite'))(
  'no deadlock among lockers on %s',
  (dialect) => {
    const errors: unknown[] = []
    let env: TestStorage
    let orgkit: Orgkit

    beforeAll(async () => {
      env = await createTestStorage(dialect, {
        log: (event) => {
          if (event.level === 'error') errors.push(event.error)
        },
      })
      orgkit = createOrgkit({ storage: env.storage })
      for (const who of ['ann', 'a1', 'a2', 'a3', 'a4', 'm1', 'm2', 'm3']) {
        await env.addUser({ id: who, email: `${who}@example.com` })
      }
    })
    afterAll(() => env?.destroy())

    it('admins demoting, promoting and removing each other at once, 30 rounds', async () => {
      const org = await orgkit.as(user('ann')).organizations.create({ name: 'Crowded' })
      const system = orgkit.as({ type: 'system' })
      const admins = ['a1', 'a2', 'a3', 'a4']
      const members = ['m1', 'm2', 'm3']
      await raceRounds<void, unknown>({
        rounds: 30,
        async setup() {
          // Everyone back in, with the round's starting role.
          for (const [userId, role] of [...admins.map((a) => [a, 'admin']), ...members.map((m) => [m, 'member'])]) {
            if ((await env.storage.members.find(org.id, userId!)) === null) {
              await system.members.add(org.id, { userId: userId!, role: role! })
            } else await system.members.update(org.id, userId!, { role: role! })
          }
        },
        contenders: (_, round) => {
          const [a, b, c, d] = admins.map((_, i) => admins[(i + round) % admins.length]!)
          return [
            () => orgkit.as(user(a!)).members.update(org.id, b!, { role: 'member' }),
            () => orgkit.as(user(b!)).members.update(org.id, a!, { role: 'member' }),
            () => orgkit.as(user(c!)).members.remove(org.id, d!),
            () => orgkit.as(user(d!)).members.remove(org.id, 'm1'),
            () => orgkit.as(user(c!)).members.update(org.id, 'm2', { role: 'admin' }),
            () => orgkit.as(user('ann')).members.remove(org.id, 'm3'),
            () => orgkit.as(user('m2')).members.remove(org.id, c!),
          ]
        },
        check(round) {
          // A loser saw the winners' changes: demoted (forbidden), removed (not found), or its
          // target already gone (not found).
          expectOnlyCodes(round, ['forbidden', 'not_found'])
        },
      })
      const deadlocks = errors.filter((error) => {
        const { code, errno } = error as { code?: unknown; errno?: unknown }
        return code === '40P01' || code === 'ER_LOCK_DEADLOCK' || errno === 1213 || errno === 1205
      })
      expect(deadlocks).toEqual([])
    })
  },
)
