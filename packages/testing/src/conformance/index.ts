/**
 * The storage conformance suite: every repository of the storage port held to the
 * guarantee its doc comment states. It talks to the repositories directly, below the
 * core's services, so an implementation that breaks a guarantee fails here even where a
 * service would happen to hide it.
 *
 * Any implementation of `Storage` runs it with one call in a test file:
 *
 * ```ts
 * runStorageConformance('my-storage', async () => ({ storage, addUser, destroy }))
 * ```
 *
 * or one repository at a time while it is being written (`runMembersConformance(…)`, …).
 * It imports nothing but the core and vitest, so it says nothing about how rows are kept.
 * Concurrency checks start their calls together (`Promise.all`): an implementation that
 * only passes them when calls happen to run one after the other fails on a real server.
 */
import { describe } from 'vitest'
import { apiKeysConformance } from './api-keys'
import { auditConformance } from './audit'
import { type ConformanceContext, conformanceContext, type MakeConformanceEnv } from './context'
import { invitationsConformance } from './invitations'
import { membersConformance } from './members'
import { organizationsConformance } from './organizations'
import { rolesConformance } from './roles'
import { teamMembersConformance } from './team-members'
import { teamsConformance } from './teams'
import { transactionsConformance } from './transactions'
import { usersConformance } from './users'

export type { ConformanceContext, ConformanceEnv, ConformanceUser, MakeConformanceEnv } from './context'
export { apiKey, at, customRole, event, everyPage, invitation, organization, T0, team } from './fixtures'

/** The parts of the suite, one per repository of the port (and `transaction`), in the order they run. */
const PARTS: readonly (readonly [title: string, part: (t: ConformanceContext) => void])[] = [
  ['organizations', organizationsConformance],
  ['members', membersConformance],
  ['users', usersConformance],
  ['teams', teamsConformance],
  ['team members', teamMembersConformance],
  ['custom roles', rolesConformance],
  ['invitations', invitationsConformance],
  ['API keys', apiKeysConformance],
  ['audit', auditConformance],
  ['transactions', transactionsConformance],
]

/**
 * Registers the whole suite under `describe('storage conformance on <name>')`, every part on
 * one storage from `make`.
 */
export function runStorageConformance(name: string, make: MakeConformanceEnv): void {
  describe(`storage conformance on ${name}`, () => {
    const t = conformanceContext(make)
    for (const [title, part] of PARTS) describe(title, () => part(t))
  })
}

/** One part of the suite, on a storage of its own from `make`. */
function runPart(title: string, part: (t: ConformanceContext) => void) {
  return (name: string, make: MakeConformanceEnv): void => {
    describe(`storage conformance on ${name}`, () => {
      const t = conformanceContext(make)
      describe(title, () => part(t))
    })
  }
}

/** Organizations: slugs, updates, the roles version, listings, locks, creator slots and the delete cascade. */
export const runOrganizationsConformance = runPart('organizations', organizationsConformance)
/** Members: uniqueness, isolation, listings with the host users, kept counts, role moves. */
export const runMembersConformance = runPart('members', membersConformance)
/** The host users' directory: lookups by id, email (case-insensitive) and username. */
export const runUsersConformance = runPart('users', usersConformance)
/** Teams: slugs per organization, kept counts, updates and deletes. */
export const runTeamsConformance = runPart('teams', teamsConformance)
/** Team members: one membership per (team, user), listings, role changes. */
export const runTeamMembersConformance = runPart('team members', teamMembersConformance)
/** Custom roles: keys per organization, updates, deletes. */
export const runRolesConformance = runPart('custom roles', rolesConformance)
/** Invitations: one pending per email, transitions given to exactly one caller, tokens, expiry, listings. */
export const runInvitationsConformance = runPart('invitations', invitationsConformance)
/** API keys: global prefixes, scoped revocation, listings. */
export const runApiKeysConformance = runPart('API keys', apiKeysConformance)
/** The audit trail: appends and newest-first listings per organization. */
export const runAuditConformance = runPart('audit', auditConformance)
/** `transaction(fn)`: rollback, commit, and limits checked under the organization's lock. */
export const runTransactionsConformance = runPart('transactions', transactionsConformance)

export {
  apiKeysConformance,
  auditConformance,
  invitationsConformance,
  membersConformance,
  organizationsConformance,
  rolesConformance,
  teamMembersConformance,
  teamsConformance,
  transactionsConformance,
  usersConformance,
}
