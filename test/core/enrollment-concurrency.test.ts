import { createOrgkit, type Orgkit, pageInput, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOnlyCodes, raceRounds } from '../support/concurrency'
import { createTestStorage, type StorageUnderTest, testStorages } from '../support/databases'

const ROUNDS = 20
const PARALLEL = 20
const MAX_USES = 5
const user = (userId: string): UserActor => ({ type: 'user', userId, email: `${userId}@example.com` })

/**
 * Enrollment under concurrency, at each database's default isolation level: a domain is held
 * verified by one organization at a time, whatever the timing.
 */
describe.each(testStorages())('enrollment races on %s', (name) => {
  let env: StorageUnderTest
  let orgkit: Orgkit
  const records = new Map<string, string[]>()
  const organizations: string[] = []

  beforeAll(async () => {
    env = await createTestStorage(name)
    orgkit = createOrgkit({
      storage: env.storage,
      enrollment: { resolveTxt: async (record) => (records.get(record) ?? []).map((value) => [value]) },
    })
    for (const owner of ['ann', 'dan']) {
      await env.addUser({ id: owner, email: `${owner}@example.com` })
      organizations.push((await orgkit.as(user(owner)).organizations.create({ name: `Org of ${owner}` })).id)
    }
  })
  afterAll(() => env?.destroy())

  it(`two organizations verifying one domain at once, ${ROUNDS} rounds: one holds it, the other gets 409`, async () => {
    const owners = ['ann', 'dan']
    const summary = await raceRounds({
      rounds: ROUNDS,
      async setup(round) {
        const domain = `race-${round}.example.com`
        for (const [index, owner] of owners.entries()) {
          const added = await orgkit.as(user(owner)).domains.add(organizations[index] as string, { domain })
          records.set(added.verification.name, [
            ...(records.get(added.verification.name) ?? []),
            added.verification.value,
          ])
        }
        return domain
      },
      contenders: (domain) =>
        owners.map(
          (owner, index) => () => orgkit.as(user(owner)).domains.verify(organizations[index] as string, domain),
        ),
      async check(round) {
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(1)
        expectOnlyCodes(round, ['conflict'])
        const winner = round.fulfilled[0]?.organizationId
        expect(await env.storage.domains.findVerifiedHolder(round.state)).toBe(winner)
        const loser = organizations.find((id) => id !== winner) as string
        expect((await env.storage.domains.find(loser, round.state))?.status).toBe('pending')
      },
    })
    expect(summary.fulfilled).toBe(ROUNDS)
  })

  /** A user whose host-verified email is on `domain`. */
  const verified = (userId: string, domain: string): UserActor => ({
    type: 'user',
    userId,
    email: `${userId}@${domain}`,
    emailVerified: true,
  })

  /** An organization of `owner` holding `domain` verified, with `enrollment`. */
  async function openOrganization(client: Orgkit, owner: string, domain: string, enrollment: 'suggest' | 'auto') {
    const organization = await client.as(user(owner)).organizations.create({ name: domain })
    const added = await client.as(user(owner)).domains.add(organization.id, { domain })
    records.set(added.verification.name, [added.verification.value])
    await client.as(user(owner)).domains.verify(organization.id, domain)
    await client.as(user(owner)).domains.update(organization.id, domain, { enrollment })
    return organization.id
  }

  describe('deciding one join request', () => {
    let organizationId: string
    const domain = 'asks.example.com'

    beforeAll(async () => {
      organizationId = await openOrganization(orgkit, 'ann', domain, 'suggest')
      await env.addUser({ id: 'bea', email: 'bea@example.com' })
      await orgkit.as(user('ann')).members.add(organizationId, { userId: 'bea', role: 'admin' })
    })

    /** A fresh requester's pending request. */
    async function pendingRequest(prefix: string, round: number) {
      const requester = `${prefix}${round}`
      await env.addUser({ id: requester, email: `${requester}@${domain}` })
      const outcome = await orgkit.as(verified(requester, domain)).joinRequests.join(organizationId)
      return { requester, id: outcome.requested?.id as string }
    }

    const decisions = {
      approve: (id: string, by = 'ann') => orgkit.as(user(by)).joinRequests.approve(organizationId, id),
      deny: (id: string) => orgkit.as(user('ann')).joinRequests.deny(organizationId, id),
      withdraw: (id: string, requester: string) => orgkit.as(verified(requester, domain)).joinRequests.withdraw(id),
    }

    for (const [name, other] of [
      ['deny', (id: string) => decisions.deny(id)],
      ['withdraw', (id: string, requester: string) => decisions.withdraw(id, requester)],
      ['a second approver', (id: string) => decisions.approve(id, 'bea')],
    ] as const) {
      it(`approve racing ${name}, ${ROUNDS} rounds: exactly one decides, and the membership agrees`, async () => {
        const summary = await raceRounds({
          rounds: ROUNDS,
          setup: (round) => pendingRequest(name.slice(0, 3), round),
          contenders: ({ id, requester }) => [
            (): Promise<unknown> => decisions.approve(id),
            (): Promise<unknown> => other(id, requester),
          ],
          async check(round) {
            expect(round.fulfilled, `round ${round.round}`).toHaveLength(1)
            expectOnlyCodes(round, ['conflict'])
            const stored = await env.storage.joinRequests.find(organizationId, round.state.id)
            const member = await env.storage.members.find(organizationId, round.state.requester)
            const approved = round.outcomes[0]?.status === 'fulfilled' || name === 'a second approver'
            expect(stored?.status, `round ${round.round}`).toBe(
              approved ? 'approved' : name === 'deny' ? 'denied' : 'withdrawn',
            )
            expect(member !== null, `round ${round.round}`).toBe(approved)
          },
        })
        expect(summary.fulfilled).toBe(ROUNDS)
        // The kept count matches the rows, whoever won each round.
        const members = await env.storage.members.list(organizationId, {}, pageInput({ limit: 100 }))
        expect((await env.storage.organizations.findById(organizationId))?.memberCount).toBe(members.data.length)
      })
    }
  })

  it(`auto-joins racing the member limit, ${ROUNDS / 2} rounds: never more members than the limit`, async () => {
    const LIMIT = 3
    const JOINERS = 8
    const limited = createOrgkit({
      storage: env.storage,
      enrollment: { resolveTxt: async (record) => (records.get(record) ?? []).map((value) => [value]) },
      limits: { membersPerOrganization: LIMIT },
    })
    await raceRounds({
      rounds: ROUNDS / 2,
      async setup(round) {
        const domain = `cap-${round}.example.com`
        const organizationId = await openOrganization(limited, 'ann', domain, 'auto')
        const joiners = Array.from({ length: JOINERS }, (_, i) => `cap${round}x${i}`)
        for (const id of joiners) await env.addUser({ id, email: `${id}@${domain}` })
        return { organizationId, domain, joiners }
      },
      contenders: ({ organizationId, domain, joiners }) =>
        joiners.map((id) => () => limited.as(verified(id, domain)).joinRequests.join(organizationId)),
      async check(round) {
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(LIMIT - 1)
        expectOnlyCodes(round, ['limit_exceeded'])
        const { organizationId } = round.state
        expect((await env.storage.organizations.findById(organizationId))?.memberCount).toBe(LIMIT)
        const listed = await env.storage.members.list(organizationId, {}, pageInput({ limit: 100 }))
        expect(listed.data).toHaveLength(LIMIT)
      },
    })
  })

  it(`${PARALLEL} concurrent accepts of a link with ${MAX_USES} uses, ${ROUNDS / 2} rounds: exactly ${MAX_USES} join`, async () => {
    const organizationId = organizations[0] as string
    await raceRounds({
      rounds: ROUNDS / 2,
      async setup(round) {
        const link = await orgkit
          .as(user('ann'))
          .invitationLinks.create(organizationId, { role: 'member', maxUses: MAX_USES })
        const joiners = Array.from({ length: PARALLEL }, (_, i) => `lnk${round}x${i}`)
        for (const id of joiners) await env.addUser({ id, email: `${id}@example.com` })
        return { link, joiners }
      },
      contenders: ({ link, joiners }) =>
        joiners.map((id) => () => orgkit.as(user(id)).invitations.accept({ token: link.token })),
      async check(round) {
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(MAX_USES)
        expectOnlyCodes(round, ['link_exhausted'])
        expect((await env.storage.invitationLinks.find(organizationId, round.state.link.id))?.uses).toBe(MAX_USES)
        const joined = await Promise.all(round.state.joiners.map((id) => env.storage.members.find(organizationId, id)))
        expect(joined.filter((member) => member !== null)).toHaveLength(MAX_USES)
      },
    })
    const members = await env.storage.members.list(organizationId, {}, pageInput({ limit: 100 }))
    expect((await env.storage.organizations.findById(organizationId))?.memberCount).toBe(members.data.length)
  })

  it(`bulk invitations racing for the last pending slots, ${ROUNDS / 2} rounds: the limit holds for each batch whole`, async () => {
    const LIMIT = 5
    const limited = createOrgkit({ storage: env.storage, limits: { pendingInvitationsPerOrganization: LIMIT } })
    await raceRounds({
      rounds: ROUNDS / 2,
      async setup(round) {
        const organization = await limited.as(user('ann')).organizations.create({ name: `Bulk ${round}` })
        return organization.id
      },
      contenders: (organizationId, round) =>
        [0, 1].map(
          (batch) => () =>
            limited.as(user('ann')).invitations.bulkCreate(organizationId, {
              invitations: [0, 1, 2].map((i) => ({ email: `b${round}-${batch}-${i}@example.com` })),
            }),
        ),
      async check(round) {
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(1)
        expectOnlyCodes(round, ['limit_exceeded'])
        expect(await env.storage.invitations.countPending(round.state, new Date())).toBe(3)
      },
    })
  })
})
