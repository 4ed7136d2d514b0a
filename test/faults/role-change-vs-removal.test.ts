/**
 * A role change racing a removal of the same member, at each database's default isolation
 * level: one owner demotes Mia while another removes her, round after round. Whatever the
 * order the database picks, the end state must be one that some order of the two requests
 * explains — Mia gone with no team memberships and no live API key, or Mia present with
 * one of the two roles and her team memberships — the counters must agree with the rows,
 * and each request must succeed or be refused with a 404 or a 409, never fail otherwise.
 */
import { type Actor, createOrgkit, isOrgkitError, type Orgkit } from '@orgkit/core'
import { statusForCode } from '@orgkit/core/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { raceRounds } from '../support/concurrency'
import { createTestStorage, type TestStorage, testDialects } from '../support/databases'

const ROUNDS = 50
const user = (userId: string): Actor => ({ type: 'user', userId })
const system: Actor = { type: 'system' }

/** Ignores "already there": set-up brings the round to its start whatever the last round left. */
const unlessConflict = (error: unknown) => {
  if (!isOrgkitError(error) || error.code !== 'conflict') throw error
}

const servers = testDialects().filter((dialect) => dialect !== 'sqlite')

// Without a server dialect the file still declares its suite, skipped, so that a SQLite-only
// run does not fail on a file without tests.
if (servers.length === 0) {
  describe.skip('a role change racing a removal (needs postgres or mysql in ORGKIT_TEST_DIALECTS)', () => {
    it('runs on PostgreSQL and MariaDB only', () => {})
  })
}

describe.each(servers)('a role change racing a removal on %s', (dialect) => {
  let env: TestStorage
  let orgkit: Orgkit
  let orgId: string
  const teams: string[] = []

  beforeAll(async () => {
    env = await createTestStorage(dialect)
    for (const id of ['ann', 'ben', 'mia']) await env.addUser({ id, email: `${id}@example.com` })
    orgkit = createOrgkit({ storage: env.storage })
    const org = await orgkit.as(user('ann')).organizations.create({ name: 'Race', slug: 'race' })
    orgId = org.id
    await orgkit.as(user('ann')).members.add(orgId, { userId: 'ben', role: 'owner' })
    for (const name of ['Red', 'Blue']) teams.push((await orgkit.as(user('ann')).teams.create(orgId, { name })).id)
  })
  afterAll(() => env?.destroy())

  /** Rows that must agree with the organization's and the teams' kept counts. */
  async function expectCountersAgree(round: number): Promise<void> {
    const members = await env.db
      .selectFrom('orgkit_members')
      .select('user_id')
      .where('organization_id', '=', orgId)
      .execute()
    const organization = await env.storage.organizations.findById(orgId)
    expect(organization?.memberCount, `round ${round}: memberCount`).toBe(members.length)
    for (const teamId of teams) {
      const rows = await env.db
        .selectFrom('orgkit_team_members')
        .select('user_id')
        .where('organization_id', '=', orgId)
        .where('team_id', '=', teamId)
        .execute()
      const team = await env.storage.teams.find(orgId, teamId)
      expect(team?.memberCount, `round ${round}: team memberCount`).toBe(rows.length)
      // Only members are team members.
      for (const row of rows) expect(members.map((m) => m.user_id)).toContain(row.user_id)
    }
  }

  it(`one owner demotes a member while another removes her, ${ROUNDS} rounds`, async () => {
    const summary = await raceRounds({
      rounds: ROUNDS,
      // Mia starts every round as an admin in both teams, holding a live API key.
      async setup() {
        await orgkit.as(system).members.add(orgId, { userId: 'mia', role: 'admin' }).catch(unlessConflict)
        await orgkit.as(system).members.update(orgId, 'mia', { role: 'admin' })
        for (const teamId of teams) {
          await orgkit
            .as(system)
            .teams.members.add(orgId, teamId, { userId: 'mia', role: 'member' })
            .catch(unlessConflict)
        }
        const key = await orgkit.as(user('mia')).apiKeys.create(orgId, { name: 'Mia', role: 'member' })
        return { keyId: key.id }
      },
      contenders: () => [
        (): Promise<unknown> => orgkit.as(user('ann')).members.update(orgId, 'mia', { role: 'member' }),
        (): Promise<unknown> => orgkit.as(user('ben')).members.remove(orgId, 'mia'),
      ],
      async check({ round, state, outcomes }) {
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            const status = outcome.code === null ? 500 : statusForCode(outcome.code as never)
            expect([404, 409], `round ${round}: ${String(outcome.reason)}`).toContain(status)
          }
        }
        const [update, remove] = outcomes
        const mia = await env.storage.members.find(orgId, 'mia')
        const teamRows = await env.db
          .selectFrom('orgkit_team_members')
          .select('team_id')
          .where('organization_id', '=', orgId)
          .where('user_id', '=', 'mia')
          .execute()
        const key = await env.db
          .selectFrom('orgkit_api_keys')
          .select('revoked_at')
          .where('organization_id', '=', orgId)
          .where('id', '=', state.keyId)
          .executeTakeFirstOrThrow()
        if (mia === null) {
          // Removed: the removal won or came second; nothing of her membership is left.
          expect(remove?.status, `round ${round}`).toBe('fulfilled')
          expect(teamRows, `round ${round}: team memberships of a removed member`).toEqual([])
          expect(key.revoked_at, `round ${round}: a removed member's key`).not.toBeNull()
        } else {
          // Present: the removal was refused, and she holds one of the two roles, whole.
          expect(remove?.status, `round ${round}`).toBe('rejected')
          expect(['admin', 'member'], `round ${round}`).toContain(mia.role)
          if (update?.status === 'fulfilled') expect(mia.role).toBe('member')
          expect(teamRows, `round ${round}`).toHaveLength(teams.length)
          expect(key.revoked_at, `round ${round}`).toBeNull()
        }
        // A demotion that answered success came before the removal; one that came after it
        // must have found nobody to demote.
        if (update?.status === 'rejected') expect(update.code, `round ${round}`).toBe('not_found')
        await expectCountersAgree(round)
      },
    })
    // Each round the removal succeeds, first or second; the demotion only ever loses as a 404.
    expect(summary.fulfilled).toBeGreaterThanOrEqual(ROUNDS)
    expect(Object.keys(summary.codes).filter((code) => code !== 'not_found')).toEqual([])
  })
})
