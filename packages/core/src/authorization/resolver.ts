import type { CustomRoleRecord, OrganizationRecord } from '../shared/types'
import type { Repositories } from '../storage/port'
import type { CompiledRole, PermissionEngine } from './engine'

/** One organization's roles: the system roles, with its custom roles over them. */
export interface RoleSet {
  /** The role a member with this key holds here: a custom role shadows the system role of its key. */
  get(key: string): CompiledRole | undefined
  /** Every role of the organization: system roles (shadowed ones replaced in place), then custom roles by key. */
  readonly all: readonly CompiledRole[]
  /** The organization's custom roles as stored, by key. */
  readonly custom: ReadonlyMap<string, CustomRoleRecord>
}

export interface RoleResolver {
  /** The system roles alone: every organization that never had a custom role. */
  readonly system: RoleSet
  /**
   * The organization's compiled role set, cached by `(organization.id, organization.rolesVersion)`.
   * The version comes with the organization row the caller already read, so a hit costs no
   * statement, and an edit (which bumps the version in its transaction) is seen by the very
   * next check in every process that shares the database.
   *
   * Call it only with a version read from the database, never one the current transaction
   * bumped itself: a set compiled from uncommitted rows must not outlive a rollback.
   */
  forOrganization(repos: Repositories, organization: OrganizationRecord): Promise<RoleSet>
  /** Compiles a role set from custom role records (for a set that must not be cached). */
  compile(custom: readonly CustomRoleRecord[]): RoleSet
}

/** How many organizations' compiled role sets stay cached (least recently used go first). */
export const DEFAULT_ROLE_CACHE_SIZE = 1000

export function createRoleResolver(engine: PermissionEngine, capacity = DEFAULT_ROLE_CACHE_SIZE): RoleResolver {
  const compile = (custom: readonly CustomRoleRecord[]): RoleSet => {
    const byKey = new Map<string, CompiledRole>(engine.roles.map((role) => [role.key, role]))
    const customRoles = new Map<string, CustomRoleRecord>()
    const added: CompiledRole[] = []
    for (const record of custom) {
      customRoles.set(record.key, record)
      const role = compileCustomRole(engine, record)
      if (!byKey.has(record.key)) added.push(role)
      byKey.set(record.key, role)
    }
    const all = [...engine.roles.map((role) => byKey.get(role.key)!), ...added]
    return { get: (key) => byKey.get(key), all, custom: customRoles }
  }

  const system = compile([])
  const cache = new Map<string, { version: number; set: RoleSet }>()

  return {
    system,
    compile,
    async forOrganization(repos, organization) {
      // Version 0: the organization never had a custom role, so nothing to read.
      if (organization.rolesVersion === 0) return system
      const hit = cache.get(organization.id)
      if (hit !== undefined && hit.version === organization.rolesVersion) {
        // Re-inserted to mark it most recently used (a Map iterates in insertion order).
        cache.delete(organization.id)
        cache.set(organization.id, hit)
        return hit.set
      }
      const set = compile(await repos.roles.list(organization.id))
      cache.delete(organization.id)
      cache.set(organization.id, { version: organization.rolesVersion, set })
      if (cache.size > capacity) cache.delete(cache.keys().next().value as string)
      return set
    },
  }
}

/**
 * A stored custom role compiled. Its grants were checked when it was written; one that no
 * longer matches a declared permission (the host removed it) is dropped rather than
 * failing every request of the organization.
 */
function compileCustomRole(engine: PermissionEngine, record: CustomRoleRecord): CompiledRole {
  const grants = record.permissions.filter((grant) => engine.grantProblem(grant) === null)
  return engine.compile(grants, { key: record.key, name: record.name, description: record.description })
}
