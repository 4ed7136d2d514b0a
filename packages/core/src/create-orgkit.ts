import { authorize } from './access'
import { authenticateApiKey, authenticateApiKeyForRequest } from './api-keys/authenticate'
import { type ApiKeysApi, apiKeysApi } from './api-keys/service'
import { createEventBus } from './audit/event-bus'
import { createHookRunner } from './audit/events'
import { type AuditApi, auditApi } from './audit/service'
import type { OrgkitOptions } from './config'
import type { Context } from './context'
import { parseDuration } from './duration'
import { isOrgkitError } from './errors'
import { type InvitationsApi, invitationsApi } from './invitations/service'
import { type MembersApi, membersApi } from './members/service'
import { getPublicOrganization, type OrganizationsApi, organizationsApi } from './organizations/service'
import { RESERVED_SLUGS } from './organizations/slug'
import type { Orgkit } from './orgkit'
import { AUTHENTICATE_FOR_REQUEST } from './request-authentication'
import { createPermissionEngine, OrgkitConfigError } from './roles/engine'
import { OWNER_ROLE } from './roles/permissions'
import { createRoleResolver } from './roles/resolver'
import { type RolesApi, rolesApi } from './roles/service'
import { compileTeamRoles, DEFAULT_TEAM_ROLE } from './teams/roles'
import { type TeamsApi, teamsApi } from './teams/service'
import type { Actor, ApiKeyActor } from './types'
import { assertName, assertStoredArguments } from './validate'

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
 */
export function createOrgkit(options: OrgkitOptions): Orgkit {
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

  const orgkit: Orgkit & { [AUTHENTICATE_FOR_REQUEST]: (presented: string) => Promise<ApiKeyActor> } = {
    options,
    engine,
    industries,
    as: (actor) => createClient(ctx, actor),
    publicOrganization: async (org) => {
      assertName(org, 'org')
      return getPublicOrganization(ctx, org)
    },
    authenticateApiKey: (presented) => authenticateApiKey(ctx, presented),
    on: (action, listener) => ctx.events.on(action, listener as Parameters<typeof ctx.events.on>[1]),
    before: (action, hook) => ctx.hooks.add(action, hook),
    async authorize(actor, org, permission) {
      assertStoredArguments(actor, [org], ['org'])
      const { organization, role } = await authorize(ctx, ctx.storage, actor, org, permission)
      return { organization, role }
    },
    [AUTHENTICATE_FOR_REQUEST]: (presented) => authenticateApiKeyForRequest(ctx, presented),
  }
  return orgkit
}

/**
 * Everything `actor` can do, one API per domain area, each bound to the actor. An area is
 * built when first read and kept: every HTTP request makes a client and uses one area of
 * it, and building all seven (dozens of closures) cost more than routing the request.
 */
export function createClient(ctx: Context, actor: Actor) {
  let organizations: OrganizationsApi | undefined
  let members: MembersApi | undefined
  let teams: TeamsApi | undefined
  let roles: RolesApi | undefined
  let invitations: InvitationsApi | undefined
  let apiKeys: ApiKeysApi | undefined
  let audit: AuditApi | undefined
  return {
    actor,
    get organizations(): OrganizationsApi {
      organizations ??= checkedCalls(organizationsApi(ctx, actor), actor, ['org'])
      return organizations
    },
    get members(): MembersApi {
      members ??= checkedCalls(membersApi(ctx, actor), actor, ['org', 'userId'])
      return members
    },
    get teams(): TeamsApi {
      teams ??= checkedCalls(teamsApi(ctx, actor), actor, ['org', 'team'], { members: ['org', 'team', 'userId'] })
      return teams
    },
    get roles(): RolesApi {
      roles ??= checkedCalls(rolesApi(ctx, actor), actor, ['org', 'key'])
      return roles
    },
    get invitations(): InvitationsApi {
      invitations ??= checkedCalls(invitationsApi(ctx, actor), actor, ['org', 'id'])
      return invitations
    },
    get apiKeys(): ApiKeysApi {
      apiKeys ??= checkedCalls(apiKeysApi(ctx, actor), actor, ['org', 'id'])
      return apiKeys
    },
    get audit(): AuditApi {
      audit ??= checkedCalls(auditApi(ctx, actor), actor, ['org'])
      return audit
    },
    /**
     * Whether the actor holds `permission` in the organization: through its role there, or,
     * with `teamId` (a team's id or slug), through its role in that team. Throws for an
     * undeclared permission.
     */
    async can(org: string, permission: string, options: { teamId?: string } = {}): Promise<boolean> {
      ctx.engine.assertDeclared(permission)
      assertStoredArguments(actor, [org, options], ['org'])
      try {
        await authorize(ctx, ctx.storage, actor, org, permission, { team: options.teamId })
        return true
      } catch (error) {
        if (isOrgkitError(error) && (error.code === 'forbidden' || error.code === 'not_found')) return false
        throw error
      }
    },
  }
}

/**
 * `api` with every method holding its call to the stored-text rule and the depth limit
 * first (`assertStoredArguments`): what reaches a service, and so the database, from the
 * imported API is what an HTTP request could bring, a NUL in an id refused alike. `names`
 * names the string arguments in order; `nested` does the same for an area's sub-API
 * (`teams.members`). A refusal is a rejected promise, as every method's other refusals are.
 */
function checkedCalls<T extends object>(
  api: T,
  actor: Actor,
  names: readonly string[],
  nested: Record<string, readonly string[]> = {},
): T {
  const checked: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(api)) {
    const nestedNames = nested[key]
    if (typeof value === 'function') {
      checked[key] = (...args: unknown[]) => {
        try {
          assertStoredArguments(actor, args, names)
        } catch (error) {
          return Promise.reject(error)
        }
        return value(...args)
      }
    } else if (nestedNames !== undefined && typeof value === 'object' && value !== null) {
      checked[key] = checkedCalls(value, actor, nestedNames)
    } else {
      checked[key] = value
    }
  }
  return checked as T
}
