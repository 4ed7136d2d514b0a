import { OrgkitConfigError, OrgkitError } from '../shared/errors'
import { DEFAULT_ROLES, type RoleDefinition } from './defaults'
import { GRANT_PATTERN, ORGKIT_PERMISSIONS, OWNER_ROLE, PERMISSION_PATTERN } from './permissions'

export type { RoleDefinition }
export { OrgkitConfigError }

/** Why a check came out the way it did. */
export type PermissionDecision =
  | { allowed: true; permission: string; role: string; grant: string; grantedBy: string }
  | { allowed: false; permission: string; role: string; reason: string }

/**
 * A role compiled to a bit set over the declared permissions: a check is one map lookup
 * and one bit test, a subset test (for "no escalation") a loop over a few machine words.
 */
export interface CompiledRole {
  readonly key: string
  readonly name: string
  readonly description: string | null
  /** From configuration (true) or created per organization (false). */
  readonly system: boolean
  /** The grants as written, before `extends` and wildcards are resolved. */
  readonly grants: readonly string[]
  /** Every permission the role holds, in declaration order. */
  readonly permissions: readonly string[]
  /** Throws for an undeclared permission: checking one is a programming error. */
  has(permission: string): boolean
  /** Whether this role holds every permission `other` holds. */
  includes(other: CompiledRole): boolean
  /** The permissions `other` holds and this role does not. */
  missing(other: CompiledRole): string[]
  explain(permission: string): PermissionDecision
}

export interface PermissionEngine {
  /** orgkit's permissions followed by the host's. */
  readonly permissions: readonly string[]
  /** The system roles, `owner` first. */
  readonly roles: readonly CompiledRole[]
  isDeclared(permission: string): boolean
  /** Why `grant` cannot be granted (malformed, or matching no declared permission), or `null` when it can. */
  grantProblem(grant: string): string | null
  /** Throws a `TypeError` for an undeclared permission: checking one is a programming error. */
  assertDeclared(permission: string): void
  /** A system role, or `undefined`. */
  role(key: string): CompiledRole | undefined
  /**
   * Compiles grants given at run time (an API key's permission list, a custom role).
   * Throws `validation_failed` for a grant that is malformed or matches no declared permission.
   */
  compile(grants: readonly string[], meta: { key: string; name?: string; description?: string | null }): CompiledRole
}

export interface PermissionEngineOptions {
  /** The host's permissions; orgkit's own are always declared. */
  permissions?: readonly string[]
  /** System roles merged over the defaults. */
  roles?: Record<string, RoleDefinition>
}

const ROLE_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,47}$/

export function createPermissionEngine(options: PermissionEngineOptions = {}): PermissionEngine {
  const declared: string[] = [...ORGKIT_PERMISSIONS]
  for (const permission of options.permissions ?? []) {
    if (!PERMISSION_PATTERN.test(permission)) {
      throw new OrgkitConfigError(`permission "${permission}" must have the form resource.action`)
    }
    if (!declared.includes(permission)) declared.push(permission)
  }
  const index = new Map(declared.map((permission, i) => [permission, i]))
  const words = Math.ceil(declared.length / 32)

  /** The declared permissions a grant stands for; empty when it matches none. */
  const expand = (grant: string): number[] => {
    if (grant === '*') return declared.map((_, i) => i)
    if (grant.endsWith('.*')) {
      const resource = grant.slice(0, -1)
      return declared.flatMap((permission, i) => (permission.startsWith(resource) ? [i] : []))
    }
    const i = index.get(grant)
    return i === undefined ? [] : [i]
  }

  const checkGrant = (grant: string): string | null => {
    if (!GRANT_PATTERN.test(grant)) return `"${grant}" is not a permission, resource.* or *`
    if (expand(grant).length === 0) return `"${grant}" matches no declared permission`
    return null
  }

  const bitOf = (permission: string): number => {
    const i = index.get(permission)
    if (i === undefined) {
      throw new TypeError(
        `@orgkit/core: "${permission}" is not a declared permission; add it to createOrgkit({ permissions })`,
      )
    }
    return i
  }

  /** `source[i]`: the grant (and the role it is written in) that gave permission i. */
  type Source = { grant: string; grantedBy: string } | { deniedBy: string; except: string }

  const build = (
    meta: { key: string; name: string; description: string | null; system: boolean; grants: readonly string[] },
    sources: (Source | undefined)[],
  ): CompiledRole => {
    const bits = new Uint32Array(words)
    const held: string[] = []
    sources.forEach((source, i) => {
      if (source && 'grant' in source) {
        bits[i >>> 5]! |= 1 << (i & 31)
        held.push(declared[i]!)
      }
    })
    const role: CompiledRole & { bits: Uint32Array } = {
      ...meta,
      bits,
      permissions: held,
      has(permission) {
        const i = bitOf(permission)
        return (bits[i >>> 5]! & (1 << (i & 31))) !== 0
      },
      includes(other) {
        const theirs = (other as CompiledRole & { bits: Uint32Array }).bits
        for (let w = 0; w < words; w++) if ((theirs[w]! & ~bits[w]!) !== 0) return false
        return true
      },
      missing(other) {
        return other.permissions.filter((permission) => !role.has(permission))
      },
      explain(permission) {
        const source = sources[bitOf(permission)]
        if (source && 'grant' in source) return { allowed: true, permission, role: meta.key, ...source }
        const reason = source
          ? `taken away by "${source.except}" in the except list of role "${source.deniedBy}"`
          : `no grant of role "${meta.key}" matches it`
        return { allowed: false, permission, role: meta.key, reason }
      },
    }
    return role
  }

  // ── System roles ──
  const definitions: Record<string, RoleDefinition> = { ...DEFAULT_ROLES }
  for (const [key, definition] of Object.entries(options.roles ?? {})) {
    if (key === OWNER_ROLE)
      throw new OrgkitConfigError('the owner role always holds every permission; remove it from roles')
    if (!ROLE_KEY_PATTERN.test(key)) throw new OrgkitConfigError(`role key "${key}" must match ${ROLE_KEY_PATTERN}`)
    definitions[key] = definition
  }
  const sourcesOf = new Map<string, (Source | undefined)[]>()
  const resolving = new Set<string>()
  const resolve = (key: string): (Source | undefined)[] => {
    const done = sourcesOf.get(key)
    if (done) return done
    const definition = definitions[key]
    if (!definition) throw new OrgkitConfigError(`role "${key}" is extended but not defined`)
    if (resolving.has(key)) throw new OrgkitConfigError(`roles extend each other in a cycle through "${key}"`)
    resolving.add(key)
    const sources: (Source | undefined)[] = new Array(declared.length)
    for (const grant of definition.grants ?? []) {
      const problem = checkGrant(grant)
      if (problem) throw new OrgkitConfigError(`role "${key}": ${problem}`)
      for (const i of expand(grant)) sources[i] ??= { grant, grantedBy: key }
    }
    const parents = typeof definition.extends === 'string' ? [definition.extends] : (definition.extends ?? [])
    for (const parent of parents) {
      resolve(parent).forEach((source, i) => {
        if (source && 'grant' in source) sources[i] ??= source
      })
    }
    for (const except of definition.except ?? []) {
      const problem = checkGrant(except)
      if (problem) throw new OrgkitConfigError(`role "${key}" except: ${problem}`)
      for (const i of expand(except)) sources[i] = { deniedBy: key, except }
    }
    resolving.delete(key)
    sourcesOf.set(key, sources)
    return sources
  }

  const systemRoles = new Map<string, CompiledRole>()
  for (const key of [OWNER_ROLE, ...Object.keys(definitions).filter((k) => k !== OWNER_ROLE)]) {
    const definition = definitions[key]!
    systemRoles.set(
      key,
      build(
        {
          key,
          name: definition.name ?? key.charAt(0).toUpperCase() + key.slice(1),
          description: definition.description ?? null,
          system: true,
          grants: definition.grants ?? [],
        },
        resolve(key),
      ),
    )
  }

  return {
    permissions: declared,
    roles: [...systemRoles.values()],
    isDeclared: (permission) => index.has(permission),
    grantProblem: checkGrant,
    assertDeclared: (permission) => void bitOf(permission),
    role: (key) => systemRoles.get(key),
    compile(grants, meta) {
      const details = grants.flatMap((grant, i) => {
        const problem = checkGrant(grant)
        return problem ? [{ path: `permissions.${i}`, message: problem }] : []
      })
      if (details.length > 0) throw new OrgkitError('validation_failed', 'Some permissions are not valid.', { details })
      const sources: (Source | undefined)[] = new Array(declared.length)
      for (const grant of grants) for (const i of expand(grant)) sources[i] ??= { grant, grantedBy: meta.key }
      return build(
        { key: meta.key, name: meta.name ?? meta.key, description: meta.description ?? null, system: false, grants },
        sources,
      )
    },
  }
}
