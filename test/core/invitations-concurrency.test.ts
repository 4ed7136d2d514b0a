import { createOrgkit, type Orgkit, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOnlyCodes, raceRounds } from '../support/concurrency'
import { createTestStorage, type StorageUnderTest, testStorages } from '../support/databases'

const ROUNDS = 50
const PARALLEL = 20
const user = (userId: string): UserActor => ({ type: 'user', userId, email: `${userId}@example.com` })

/**
 * "An invitation is accepted at most once" under concurrency, at each database's default isolation level: an
 * invitation is consumed by one conditional update, so of many simultaneous accepts exactly
 * one creates the membership, and an accept racing a revoke or a decline ends as exactly one
 * of the two.
 */
describe.each(testStorages())('invitation races on %s', (name) => {
  let env: StorageUnderTest
  let orgkit: Orgkit
  let organizationId: string

  beforeAll(async () => {
    env = await createTestStorage(name)
    await env.addUser({ id: 'ann', email: 'ann@example.com' })
    orgkit = createOrgkit({ storage: env.storage })
    organizationId = (await orgkit.as(user('ann')).organizations.create({ name: 'Racers' })).id
  })
  afterAll(() => env?.destroy())

  it(`${PARALLEL} concurrent accepts of one invitation, ${ROUNDS} rounds: exactly one membership`, async () => {
    await raceRounds({
      rounds: ROUNDS,
      async setup(round) {
        const invitee = `acc${round}`
        await env.addUser({ id: invitee, email: `${invitee}@example.com` })
        const { token, id } = await orgkit
          .as(user('ann'))
          .invitations.create(organizationId, { email: `${invitee}@example.com` })
        return { invitee, token, id }
      },
      contenders: ({ invitee, token, id }) =>
        Array.from(
          { length: PARALLEL },
          // Half by token, half by id: both paths consume the same way.
          (_, i) => () => orgkit.as(user(invitee)).invitations.accept(i % 2 === 0 ? { token } : { id }),
        ),
      async check(round) {
        const { invitee, id } = round.state
        expect(round.fulfilled, `round ${round.round}`).toHaveLength(1)
        // A loser either saw the invitation accepted before its transaction or waited on the
        // organization's lock for the winner: both are "already used", never "already a member".
        expectOnlyCodes(round, ['invitation_used'])
        expect(await env.storage.members.find(organizationId, invitee)).not.toBeNull()
        expect((await env.storage.invitations.find(organizationId, id))?.status).toBe('accepted')
      },
    })
    expect((await env.storage.organizations.findById(organizationId))?.memberCount).toBe(ROUNDS + 1)
  })

  // A revoke takes no organization lock, nor does a decline: each meets an accept on the
  // invitation's row, which the accept reads locked, so the status it checked is the one its
  // write finds. Either may win; what must hold is that exactly one did and the rows agree.
  const rivals = [
    {
      name: 'revoke',
      prefix: 'rev',
      run: (_invitee: string, id: string) => orgkit.as(user('ann')).invitations.revoke(organizationId, id),
      status: 'revoked',
      acceptLoses: 'invitation_revoked',
    },
    {
      name: 'decline',
      prefix: 'dec',
      run: (invitee: string, id: string) => orgkit.as(user(invitee)).invitations.decline({ id }),
      status: 'declined',
      acceptLoses: 'invitation_used',
    },
  ] as const
  it.each(rivals)(
    `accept racing $name, ${ROUNDS} rounds: exactly one of the two, and the state agrees`,
    async (rival) => {
      await raceRounds({
        rounds: ROUNDS,
        async setup(round) {
          const invitee = `${rival.prefix}${round}`
          await env.addUser({ id: invitee, email: `${invitee}@example.com` })
          const { token, id } = await orgkit
            .as(user('ann'))
            .invitations.create(organizationId, { email: `${invitee}@example.com` })
          return { invitee, token, id }
        },
        contenders: ({ invitee, token, id }) => [
          (): Promise<unknown> => orgkit.as(user(invitee)).invitations.accept({ token }),
          (): Promise<unknown> => rival.run(invitee, id),
        ],
        async check({ round, state, outcomes }) {
          const [accept, other] = outcomes
          const stored = await env.storage.invitations.find(organizationId, state.id)
          const member = await env.storage.members.find(organizationId, state.invitee)
          if (accept?.status === 'fulfilled') {
            // The rival lost: it found the invitation accepted.
            expect(other?.code, `round ${round}`).toBe('invitation_used')
            expect(stored?.status).toBe('accepted')
            expect(member).not.toBeNull()
          } else {
            expect(accept?.code, `round ${round}`).toBe(rival.acceptLoses)
            expect(other?.status).toBe('fulfilled')
            expect(stored?.status).toBe(rival.status)
            expect(member).toBeNull()
          }
        },
      })
    },
  )
})
