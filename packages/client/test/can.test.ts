import { createPermissionEngine } from '@orgkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { can } from '../src'

const RESOURCES = ['projects', 'billing', 'members', 'teams', 'reports']
const ACTIONS = ['read', 'update', 'create', 'delete']

/** A host's declared permissions: a few of resource × action. */
const declaredArb = fc.uniqueArray(
  fc.tuple(fc.constantFrom(...RESOURCES), fc.constantFrom(...ACTIONS)).map(([r, a]) => `${r}.${a}`),
  { minLength: 1, maxLength: 12 },
)

/** A grant the engine accepts for `declared`: a permission, `resource.*` of a declared resource, or `*`. */
const grantsArb = (declared: string[]) =>
  fc.array(
    fc.oneof(
      fc.constantFrom(...declared),
      fc.constantFrom(...declared.map((permission) => `${permission.split('.')[0]}.*`)),
      fc.constant('*'),
    ),
    { maxLength: 4 },
  )

describe('can(map, permission, { teamId })', () => {
  it('decides as the server engine on the same grants, as written or expanded', () => {
    fc.assert(
      fc.property(
        declaredArb.chain((declared) =>
          fc.record({
            declared: fc.constant(declared),
            roleGrants: grantsArb(declared),
            teams: fc.array(fc.record({ teamId: fc.constantFrom('team_a', 'team_b'), grants: grantsArb(declared) }), {
              maxLength: 2,
            }),
            permission: fc.constantFrom(...declared),
            teamId: fc.option(fc.constantFrom('team_a', 'team_b', 'team_c'), { nil: undefined }),
          }),
        ),
        ({ declared, roleGrants, teams, permission, teamId }) => {
          const engine = createPermissionEngine({ permissions: declared })
          const role = engine.compile(roleGrants, { key: 'custom' })
          const teamRoles = teams.map((team) => ({
            teamId: team.teamId,
            role: engine.compile(team.grants, { key: 'lead' }),
          }))
          // The server: the organization role, or with a team, the caller's role in that team.
          const expected =
            role.has(permission) ||
            (teamId !== undefined && teamRoles.some((team) => team.teamId === teamId && team.role.has(permission)))

          const written = {
            permissions: roleGrants,
            teams: teams.map((team) => ({ teamId: team.teamId, permissions: team.grants })),
          }
          // What `GET /organizations/{org}/permissions` answers: the grants expanded.
          const expanded = {
            permissions: role.permissions,
            teams: teamRoles.map((team) => ({ teamId: team.teamId, permissions: team.role.permissions })),
          }
          const options = teamId === undefined ? {} : { teamId }
          expect(can(written, permission, options)).toBe(expected)
          expect(can(expanded, permission, options)).toBe(expected)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('reads wildcards as the server does', () => {
    const map = { permissions: ['projects.*'], teams: [{ teamId: 'team_1', permissions: ['*'] }] }
    expect(can(map, 'projects.update')).toBe(true)
    // `projects.*` is the projects resource only, not a resource whose name starts with it.
    expect(can(map, 'projectsarchive.read')).toBe(false)
    expect(can(map, 'billing.manage')).toBe(false)
    expect(can(map, 'billing.manage', { teamId: 'team_1' })).toBe(true)
    expect(can(map, 'billing.manage', { teamId: 'team_2' })).toBe(false)
    expect(can({ permissions: ['*'] }, 'anything.at_all')).toBe(true)
    expect(can({ permissions: [] }, 'projects.read', { teamId: 'team_1' })).toBe(false)
  })
})
