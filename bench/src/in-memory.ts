/**
 * The permission check without a database: once the membership is known, how fast is the
 * answer, and what does keeping memberships in memory cost? orgkit's compiled role against
 * a plain `Map` of permission sets over the same data, a cached CASL Ability per user and
 * organization, and casbin's RBAC with domains.
 */

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createMongoAbility, type MongoAbility } from '@casl/ability'
import { type CompiledRole, createPermissionEngine } from '@orgkit/core'
import { newEnforcer, newModelFromString } from 'casbin'
import { type BenchSettings, type Spread, spread } from './measure'

export interface InMemoryResult {
  system: string
  nsPerCheck: Spread
  bytesPerMembership: number
}

const HOST_PERMISSIONS = ['projects', 'billing', 'reports', 'deployments'].flatMap((r) =>
  ['read', 'create', 'update', 'delete'].map((a) => `${r}.${a}`),
)
const engine = createPermissionEngine({
  permissions: HOST_PERMISSIONS,
  roles: {
    admin: { grants: ['projects.*', 'deployments.*', 'reports.read'] },
    member: { grants: ['projects.read', 'reports.read'] },
  },
})
const ROLES = ['owner', 'admin', 'member'] as const
const compiled = new Map<string, CompiledRole>(ROLES.map((key) => [key, engine.role(key)!]))

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const heapAfterGc = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

interface Membership {
  user: string
  org: string
  role: (typeof ROLES)[number]
}

function memberships(orgs: number, perOrg: number): Membership[] {
  const all: Membership[] = []
  for (let o = 0; o < orgs; o++) {
    for (let u = 0; u < perOrg; u++) {
      all.push({ user: `usr_${o * 7 + u}`, org: `org_${o}`, role: ROLES[u % 3]! })
    }
  }
  return all
}

const keyOf = (user: string, org: string) => `${org}\u0000${user}`

/** One check to answer. `key` is the membership's cache key, built once like the ids a host already holds. */
interface Probe {
  key: string
  user: string
  org: string
  resource: string
  action: string
  permission: string
}

interface Checker {
  name: string
  build(all: readonly Membership[]): Promise<unknown>
  check(state: unknown, probe: Probe): boolean
}

const checkers: Checker[] = [
  {
    name: 'orgkit compiled role (`role.has`)',
    async build(all) {
      return new Map(all.map((m) => [keyOf(m.user, m.org), compiled.get(m.role)!]))
    },
    check: (state, p) => (state as Map<string, CompiledRole>).get(p.key)?.has(p.permission) ?? false,
  },
  {
    name: 'plain `Map` of permission sets',
    async build(all) {
      const sets = new Map(ROLES.map((key) => [key, new Set(compiled.get(key)!.permissions)]))
      return new Map(all.map((m) => [keyOf(m.user, m.org), sets.get(m.role)!]))
    },
    check: (state, p) => (state as Map<string, Set<string>>).get(p.key)?.has(p.permission) ?? false,
  },
  {
    name: 'CASL, a cached Ability per user and organization',
    async build(all) {
      const rules = new Map(
        ROLES.map((key) => [
          key,
          compiled.get(key)!.permissions.map((p) => {
            const [subject, action] = p.split('.') as [string, string]
            return { action, subject }
          }),
        ]),
      )
      return new Map(all.map((m) => [keyOf(m.user, m.org), createMongoAbility(rules.get(m.role)!)]))
    },
    check: (state, p) => (state as Map<string, MongoAbility>).get(p.key)?.can(p.action, p.resource) ?? false,
  },
  {
    name: 'casbin `enforce`, RBAC with domains',
    async build(all) {
      const model = newModelFromString(`
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub, r.dom) && r.obj == p.obj && r.act == p.act
`)
      const enforcer = await newEnforcer(model)
      // The roles' grants are the same in every organization (system roles), so the
      // policies name no domain; the domain is in the user-to-role assignments.
      const policies = ROLES.flatMap((role) =>
        compiled.get(role)!.permissions.map((p) => {
          const [resource, action] = p.split('.') as [string, string]
          return [role, resource, action]
        }),
      )
      await enforcer.addPolicies(policies)
      await enforcer.addGroupingPolicies(all.map((m) => [m.user, m.role, m.org]))
      return enforcer
    },
    check: (state, p) =>
      (state as Awaited<ReturnType<typeof newEnforcer>>).enforceSync(p.user, p.org, p.resource, p.action),
  },
]

export async function runInMemory(settings: BenchSettings): Promise<InMemoryResult[]> {
  const timingSet = memberships(settings.smoke ? 10 : 100, 100)
  const memorySet = memberships(settings.smoke ? 10 : 500, 100)
  const permissions = engine.permissions
  const probes = Array.from({ length: settings.smoke ? 256 : 4096 }, (_, i): Probe & { expected: boolean } => {
    const m = timingSet[(i * 7919) % timingSet.length]!
    const permission = permissions[(i * 31) % permissions.length]!
    const [resource, action] = permission.split('.') as [string, string]
    const expected = compiled.get(m.role)!.has(permission)
    return { key: keyOf(m.user, m.org), user: m.user, org: m.org, resource, action, permission, expected }
  })
  // Each run checks for this long (in whole batches of probes), whatever a check costs.
  const runMs = settings.smoke ? 50 : 400
  // Memory first, each structure built alone and kept alive while the heap is measured.
  const bytes = new Map<string, number>()
  for (const checker of checkers) {
    const kept: unknown[] = []
    const before = heapAfterGc()
    kept.push(await checker.build(memorySet))
    const after = heapAfterGc()
    bytes.set(checker.name, Math.max(0, after - before) / memorySet.length)
    // An async function keeps its locals, and the value it last awaited, in a heap context:
    // drop the structure and await something else, or the next measurement starts with it
    // still alive.
    kept.length = 0
    await null
  }

  const results: InMemoryResult[] = []
  for (const checker of checkers) {
    const state = await checker.build(timingSet)
    // Every checker must agree with orgkit's engine on every probe.
    for (const p of probes) {
      if (checker.check(state, p) !== p.expected) {
        throw new Error(`${checker.name} disagrees on ${p.user} ${p.org} ${p.permission}`)
      }
    }
    const perRun: number[] = []
    let yes = 0
    for (let run = 0; run < settings.runs + 1; run++) {
      const start = performance.now()
      let checks = 0
      do {
        for (const p of probes) if (checker.check(state, p)) yes++
        checks += probes.length
      } while (performance.now() - start < runMs)
      // The first pass warms the JIT up and is not counted.
      if (run > 0) perRun.push(((performance.now() - start) * 1e6) / checks)
    }
    if (yes < 0) console.error(yes)
    results.push({ system: checker.name, nsPerCheck: spread(perRun), bytesPerMembership: bytes.get(checker.name)! })
    console.error(
      `  ${checker.name}: ${spread(perRun).median.toFixed(1)} ns/check, ${(results.at(-1)!.bytesPerMembership).toFixed(0)} B/membership`,
    )
  }
  return results
}
