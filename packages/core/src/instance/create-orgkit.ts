import { authenticateApiKey, authenticateApiKeyForRequest } from '../api-keys/authenticate'
import { authorize } from '../authorization/access'
import { createPermissionEngine } from '../authorization/engine'
import { type BuiltInPermission, OWNER_ROLE } from '../authorization/permissions'
import { createRoleResolver } from '../authorization/resolver'
import { compileTeamRoles, DEFAULT_TEAM_ROLE } from '../authorization/team-roles'
import { getPublicOrganization } from '../organizations/service'
import { RESERVED_SLUGS } from '../organizations/slug'
import type { OrgkitOptions } from '../runtime/config'
import type { Context } from '../runtime/context'
import { createEventBus } from '../runtime/event-bus'
import { createHookRunner } from '../runtime/events'
import { runInOrganization } from '../runtime/organization-context'
import { parseDuration } from '../shared/duration'
import { OrgkitConfigError } from '../shared/errors'
import { assertName, assertStoredArguments } from '../shared/validate'
import { clientContext, createClient } from './client'
import type { NoFields, Orgkit } from './orgkit'

/** The industry choices when the host configures none. */
export const DEFAULT_INDUSTRIES = [
  'agriculture',
  'construction',
  'consulting',
  'education',
  'energy',
  'finance',
  'government',
  'healthcare',
  'hospitality',
  'insurance',
  'legal',
  'logistics',
  'manufacturing',
  'media',
  'nonprofit',
  'real-estate',
  'retail',
  'technology',
  'telecommunications',
  'other',
] as const

const DEFAULT_INVITATION_TTL = '7d'

/**
 * Creates an orgkit instance. Options are checked here, once: a mistake throws an
 * `OrgkitConfigError` naming the option, before any request is served.
 *
 * Written in place, the options also type the instance: the permissions `P` (no `as const`
 * needed), the role keys `R` and the `organizationFields` `F` are inferred, so that a grant,
 * an `extends`, a `can`, a `requirePermission` or an API key naming a permission that is not
 * declared fails to compile, and the organization views carry the host's fields.
 */
export function createOrgkit<
  const P extends string = never,
  const R extends string = never,
  F extends object = NoFields,
  Transaction = unknown,
>(options: OrgkitOptions<P, R, F, Transaction>): Orgkit<P | BuiltInPermission, F, Transaction> {
  return createInstance(options as OrgkitOptions) as unknown as Orgkit<P | BuiltInPermission, F, Transaction>
}

/**
 * The instance, on options as the checks and services see them (any strings). The typed
 * instance `createOrgkit` returns is this one: the permissions it accepts are checked here
 * at run time too, and `organizationFields`' fields are on every view it returns.
 */
function createInstance(options: OrgkitOptions): Orgkit {
  if (!options || typeof options.storage?.transaction !== 'function') {
    throw new OrgkitConfigError('createOrgkit needs a storage, e.g. kyselyStorage(db, …) from @orgkit/kysely')
  }
  const engine = createPermissionEngine({
    ...(options.permissions ? { permissions: options.permissions } : {}),
    ...(options.roles ? { roles: options.roles } : {}),
  })
  const defaultRole = options.defaultRole ?? 'member'
  if (!engine.role(defaultRole)) throw new OrgkitConfigError(`defaultRole "${defaultRole}" is not a configured role`)
  if (defaultRole === OWNER_ROLE) throw new OrgkitConfigError('defaultRole cannot be owner')
  for (const [name, value] of Object.entries(options.limits ?? {})) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new OrgkitConfigError(`limits.${name} must be a whole number ≥ 0`)
    }
  }
  for (const name of ['acceptUrl', 'send'] as const) {
    const value = options.invitations?.[name]
    if (value !== undefined && typeof value !== 'function') {
      throw new OrgkitConfigError(`invitations.${name} must be a function`)
    }
  }
  const precision = options.apiKeys?.lastUsedPrecisionMs
  if (precision !== undefined && (!Number.isInteger(precision) || precision < 0)) {
    throw new OrgkitConfigError('apiKeys.lastUsedPrecisionMs must be a whole number of milliseconds ≥ 0')
  }
  const industries = options.industries ?? DEFAULT_INDUSTRIES
  const onListenerError =
    options.onListenerError ??
    ((error: unknown, event: { action: string }) =>
      console.error(`orgkit: a listener for ${event.action} failed`, error))

  const roleCacheSize = options.roleCacheSize
  if (roleCacheSize !== undefined && (!Number.isInteger(roleCacheSize) || roleCacheSize < 1)) {
    throw new OrgkitConfigError('roleCacheSize must be a whole number ≥ 1')
  }
  if (options.organizationFields !== undefined && typeof options.organizationFields !== 'function') {
    throw new OrgkitConfigError('organizationFields must be a function')
  }
  const teamRoles = compileTeamRoles(engine, options.teamRoles)
  const defaultTeamRole = options.defaultTeamRole ?? DEFAULT_TEAM_ROLE
  if (!teamRoles.has(defaultTeamRole)) {
    throw new OrgkitConfigError(`defaultTeamRole "${defaultTeamRole}" is not a configured team role`)
  }
  let hooks: ReturnType<typeof createHookRunner>
  try {
    hooks = createHookRunner(options.before)
  } catch (error) {
    throw new OrgkitConfigError(`before: ${(error as Error).message.replace('@orgkit/core: ', '')}`)
  }

  const ctx: Context = {
    options,
    storage: options.storage,
    engine,
    events: createEventBus(onListenerError),
    hooks,
    roles: createRoleResolver(engine, roleCacheSize),
    teamRoles,
    defaultTeamRole,
    now: options.clock ?? (() => new Date()),
    defaultRole,
    industries,
    reservedSlugs: new Set([...RESERVED_SLUGS, ...(options.reservedSlugs ?? [])]),
    invitationTtlMs: parseDuration(options.invitations?.expiresIn ?? DEFAULT_INVITATION_TTL, 'invitations.expiresIn'),
    reportError: onListenerError,
  }

  return {
    options,
    engine,
    industries,
    as: (actor, clientOptions) => createClient(ctx, actor, clientOptions),
    publicOrganization: async (org) => {
      assertName(org, 'org')
      return getPublicOrganization(ctx, org)
    },
    authenticateApiKey: (presented) => authenticateApiKey(ctx, presented),
    authenticateApiKeyForRequest: (presented) => authenticateApiKeyForRequest(ctx, presented),
    on: (action, listener) => ctx.events.on(action, listener as Parameters<typeof ctx.events.on>[1]),
    before: (action, hook) => ctx.hooks.add(action, hook),
    runInOrganization,
    async authorize(actor, org, permission, clientOptions = {}) {
      assertStoredArguments(actor, [org], ['org'])
      const { organization, role } = await authorize(clientContext(ctx, clientOptions), ctx.storage, actor, org, {
        kind: 'permission',
        permission,
        team: false,
      })
      return { organization, role }
    },
  }
}
