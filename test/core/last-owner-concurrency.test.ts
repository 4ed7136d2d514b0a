import { createOrgkit, isOrgkitError, type UserActor } from '@orgkit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOnlyCodes, raceRounds } from '../support/concurrency'
import { createTestStorage, type StorageUnderTest, testStorages } from '../support/databases'

const user = (userId: string): UserActor => ({ type: 'user', userId })
const ROUNDS = 50

/**
 * "At least one owner" under concurrency: two owners demote or remove each other at the same
 * moment, at the database's default isolation level. Exactly one may win each round; a
 * lost round must answer `last_owner`, never leave the organization ownerless.
 */
describe.each(testStorages())('at least one owner under concurrency on %s', (name) => {
  let env: StorageUnderTest

  beforeAll(async () => {
    env = await createTestStorage(name)
    await env.addUser({ id: 'ann', email: 'ann@example.com', username: 'ann', name: 'Ann' })
    await env.addUser({ id: 'ben', email: 'ben@example.com', username: 'ben', name: 'Ben' })
  })
  afterAll(() => env?.destroy())

  for (const mode of ['demote', 'remove'] as const) {
    it(`two owners ${mode} each other in parallel, ${ROUNDS} rounds`, async () => {
      const orgkit = createOrgkit({ storage: env.storage })
      const org = await orgkit.as(user('ann')).organizations.create({ name: `Race ${mode}` })
      const act = (actor: string, target: string) => (): Promise<unknown> =>
        mode === 'demote'
          ? orgkit.as(user(actor)).members.update(org.id, target, { role: 'member' })
          : orgkit.as(user(actor)).members.remove(org.id, target)
      const summary = await raceRounds({
        rounds: ROUNDS,
        // Both start each round as owners, whoever lost (or was removed) the last one.
        async setup() {
          for (const userId of ['ann', 'ben']) {
            await orgkit
              .as({ type: 'system' })
              .members.add(org.id, { userId, role: 'owner' })
              .catch((e) => {
                if (!isOrgkitError(e) || e.code !== 'conflict') throw e
              })
            await orgkit.as({ type: 'system' }).members.update(org.id, userId, { role: 'owner' })
          }
        },
        contenders: () => [act('ann', 'ben'), act('ben', 'ann')],
        async check(round) {
          const owners = await env.storage.members.countWithRole(org.id, 'owner')
          expect(owners, `round ${round.round}`).toBeGreaterThanOrEqual(1)
          // The loser sees the winner's change: it is no longer an owner (forbidden), no
          // longer a member (not found), or its target is the last owner.
          expectOnlyCodes(round, ['last_owner', 'forbidden', 'not_found'])
          expect(round.fulfilled, `round ${round.round}`).toHaveLength(1)
        },
      })
      expect(summary.fulfilled).toBe(ROUNDS)
    })
  }
})
