import { type ApiKeysApi, apiKeysApi } from '../api-keys/service'
import { type AuditApi, auditApi } from '../audit/service'
import { authorize } from '../authorization/access'
import { bulkInvitationsApi } from '../enrollment/bulk'
import { type DomainsApi, domainsApi } from '../enrollment/domains'
import { type JoinRequestsApi, joinRequestsApi } from '../enrollment/join-requests'
import { type InvitationLinksApi, invitationLinksApi, linkAwareInvitationsApi } from '../enrollment/links'
import { type InvitationsApi, invitationsApi } from '../invitations/service'
import { type MembersApi, membersApi } from '../members/service'
import { type OrganizationsApi, organizationsApi } from '../organizations/service'
import { type RolesApi, rolesApi } from '../roles/service'
import type { Context } from '../runtime/context'
import { isOrgkitError } from '../shared/errors'
import type { Actor } from '../shared/types'
import { type TeamsApi, teamsApi } from '../teams/service'

/** Invitations as the client offers them: with invitation links' tokens, and `bulkCreate`. */
export type EnrolledInvitationsApi = Omit<InvitationsApi, 'accept' | 'preview'> &
  ReturnType<typeof linkAwareInvitationsApi> &
  ReturnType<typeof bulkInvitationsApi>

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
  let invitations: EnrolledInvitationsApi | undefined
  let apiKeys: ApiKeysApi | undefined
  let audit: AuditApi | undefined
  let domains: DomainsApi | undefined
  let joinRequests: JoinRequestsApi | undefined
  let invitationLinks: InvitationLinksApi | undefined
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
    /** Invitations; enrollment adds `bulkCreate`, and invitation links' tokens to `accept` and `preview`. */
    get invitations(): EnrolledInvitationsApi {
      invitations ??= {
        ...invitationsApi(ctx, actor),
        ...linkAwareInvitationsApi(ctx, actor),
        ...bulkInvitationsApi(ctx, actor),
      }
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
    /** An organization's email domains: claim, verify, open for joining. */
    get domains(): DomainsApi {
      domains ??= domainsApi(ctx, actor)
      return domains
    },
    /** Joining through a verified email domain, and join requests. */
    get joinRequests(): JoinRequestsApi {
      joinRequests ??= joinRequestsApi(ctx, actor)
      return joinRequests
    },
    /** Shareable invitation links; accepted through `invitations.accept({ token })`. */
    get invitationLinks(): InvitationLinksApi {
      invitationLinks ??= invitationLinksApi(ctx, actor)
      return invitationLinks
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
