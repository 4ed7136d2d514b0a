import { type ApiKeysApi, apiKeysApi } from '../api-keys/service'
import { type AuditApi, auditApi } from '../audit/service'
import { authorize } from '../authorization/access'
import { type InvitationsApi, invitationsApi } from '../invitations/service'
import { type MembersApi, membersApi } from '../members/service'
import { type OrganizationsApi, organizationsApi } from '../organizations/service'
import { type RolesApi, rolesApi } from '../roles/service'
import type { Context } from '../runtime/context'
import { isOrgkitError } from '../shared/errors'
import type { Actor, OrganizationRecord } from '../shared/types'
import { assertStoredArguments } from '../shared/validate'
import { type TeamsApi, teamsApi } from '../teams/service'

export interface ClientOptions {
  /**
   * The API key's organization as `authenticateApiKeyForRequest` read it: the client's first
   * authorization that names it (without locking it) uses it instead of reading it again.
   * Ignored for other actors and for another organization.
   */
  organization?: OrganizationRecord | undefined
}

/** The context of one client: the instance's, plus what the caller already read. */
export function clientContext(ctx: Context, options: ClientOptions): Context {
  return options.organization === undefined ? ctx : { ...ctx, preread: { organization: options.organization } }
}

/**
 * Everything `actor` can do, one API per domain area, each bound to the actor. An area is
 * built when first read and kept: every HTTP request makes a client and uses one area of
 * it, and building all seven (dozens of closures) cost more than routing the request.
 */
export function createClient(instance: Context, actor: Actor, options: ClientOptions = {}) {
  const ctx = clientContext(instance, options)
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
        await authorize(
          ctx,
          ctx.storage,
          actor,
          org,
          { kind: 'permission', permission, team: options.teamId !== undefined },
          { team: options.teamId },
        )
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
