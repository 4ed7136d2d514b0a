import { type ApiKeysApi, apiKeysApi } from '../api-keys/service'
import { type AuditApi, auditApi } from '../audit/service'
import { authorize } from '../authorization/access'
import { type InvitationsApi, invitationsApi } from '../invitations/service'
import { type MembersApi, membersApi } from '../members/service'
import { type OrganizationsApi, organizationsApi } from '../organizations/service'
import { type RolesApi, rolesApi } from '../roles/service'
import type { Context } from '../runtime/context'
import { isOrgkitError } from '../shared/errors'
import type { Actor } from '../shared/types'
import { type TeamsApi, teamsApi } from '../teams/service'

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
      organizations ??= organizationsApi(ctx, actor)
      return organizations
    },
    get members(): MembersApi {
      members ??= membersApi(ctx, actor)
      return members
    },
    get teams(): TeamsApi {
      teams ??= teamsApi(ctx, actor)
      return teams
    },
    get roles(): RolesApi {
      roles ??= rolesApi(ctx, actor)
      return roles
    },
    get invitations(): InvitationsApi {
      invitations ??= invitationsApi(ctx, actor)
      return invitations
    },
    get apiKeys(): ApiKeysApi {
      apiKeys ??= apiKeysApi(ctx, actor)
      return apiKeys
    },
    get audit(): AuditApi {
      audit ??= auditApi(ctx, actor)
      return audit
    },
    /**
     * Whether the actor holds `permission` in the organization: through its role there, or,
     * with `teamId` (a team's id or slug), through its role in that team. Throws for an
     * undeclared permission.
     */
    async can(org: string, permission: string, options: { teamId?: string } = {}): Promise<boolean> {
      ctx.engine.assertDeclared(permission)
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
