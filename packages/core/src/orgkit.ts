import type { CreateApiKeyInput, ListApiKeysInput } from './api-keys/schemas'
import type { ApiKeyView, IssuedApiKey } from './api-keys/service'
import type { ListAuditEventsInput } from './audit/service'
import type { OrgkitOptions } from './config'
import type {
  CreateInvitationInput,
  ListInvitationsInput,
  ListMyInvitationsInput,
  PreviewInvitationInput,
  RespondToInvitationInput,
} from './invitations/schemas'
import type { InvitationPreview, InvitationView, IssuedInvitation } from './invitations/service'
import type { AddMemberInput, ListMembersInput, UpdateMemberInput } from './members/schemas'
import type {
  CreateOrganizationInput,
  ListOrganizationsInput,
  TransferOwnershipInput,
  UpdateOrganizationInput,
} from './organizations/schemas'
import type { Page } from './pagination'
import type { CompiledRole, PermissionEngine } from './roles/engine'
import type { OrganizationWithCounts } from './storage/port'
import type { Actor, ApiKeyActor, AuditEventRecord, MemberWithUser, OrganizationRecord } from './types'

/** An organization as a caller sees it: with the counts and the caller's role (`null` for a non-member). */
export interface OrganizationView extends OrganizationWithCounts {
  role: string | null
}

/** What the caller may do in an organization (`GET /organizations/{org}/permissions`). */
export interface PermissionSummary {
  role: string | null
  permissions: string[]
  teams: { teamId: string; role: string; permissions: string[] }[]
}

/** `{org}`: an organization's slug, its id, or `me` (the actor's current organization). */
export type OrganizationRef = string

export interface OrganizationsApi {
  list(input?: ListOrganizationsInput): Promise<Page<OrganizationView>>
  create(input: CreateOrganizationInput): Promise<OrganizationView>
  get(org: OrganizationRef): Promise<OrganizationView>
  update(org: OrganizationRef, input: UpdateOrganizationInput): Promise<OrganizationView>
  delete(org: OrganizationRef): Promise<void>
  leave(org: OrganizationRef): Promise<void>
  transferOwnership(org: OrganizationRef, input: TransferOwnershipInput): Promise<OrganizationView>
  permissions(org: OrganizationRef): Promise<PermissionSummary>
}

export interface MembersApi {
  list(org: OrganizationRef, input?: ListMembersInput): Promise<Page<MemberWithUser>>
  add(org: OrganizationRef, input: AddMemberInput): Promise<MemberWithUser>
  get(org: OrganizationRef, userId: string): Promise<MemberWithUser>
  update(org: OrganizationRef, userId: string, input: UpdateMemberInput): Promise<MemberWithUser>
  remove(org: OrganizationRef, userId: string): Promise<void>
}

export interface InvitationsApi {
  /** The organization's invitations, newest first; `status` filters (needs `invitations.read`). */
  list(org: OrganizationRef, input?: ListInvitationsInput): Promise<Page<InvitationView>>
  /** Invites an email with a role; the only time besides `resend` that the token is returned. */
  create(org: OrganizationRef, input: CreateInvitationInput): Promise<IssuedInvitation>
  /** Rotates the token (the old one stops working) and extends the expiry. */
  resend(org: OrganizationRef, id: string): Promise<IssuedInvitation>
  revoke(org: OrganizationRef, id: string): Promise<void>
  /** Pending invitations addressed to the signed-in user's email, in any organization. */
  mine(input?: ListMyInvitationsInput): Promise<Page<InvitationView>>
  preview(input: PreviewInvitationInput): Promise<InvitationPreview>
  /** Consumes the invitation and creates the membership, in one transaction. */
  accept(input: RespondToInvitationInput): Promise<MemberWithUser>
  decline(input: RespondToInvitationInput): Promise<void>
}

export interface ApiKeysApi {
  list(org: OrganizationRef, input?: ListApiKeysInput): Promise<Page<ApiKeyView>>
  /** Creates a key; `secret` (`ok_<prefix>_<secret>`) is returned here and never again. */
  create(org: OrganizationRef, input: CreateApiKeyInput): Promise<IssuedApiKey>
  revoke(org: OrganizationRef, id: string): Promise<void>
}

export interface AuditApi {
  list(org: OrganizationRef, input?: ListAuditEventsInput): Promise<Page<AuditEventRecord>>
}

/** Everything an actor can do, bound to that actor: `orgkit.as(actor).members.list('acme')`. */
export interface OrgkitClient {
  readonly actor: Actor
  organizations: OrganizationsApi
  members: MembersApi
  invitations: InvitationsApi
  apiKeys: ApiKeysApi
  audit: AuditApi
  /** Whether the actor holds `permission` in the organization. Throws for an undeclared permission. */
  can(org: OrganizationRef, permission: string): Promise<boolean>
}

export type OrgkitListener = (event: AuditEventRecord) => void | Promise<void>

export interface Orgkit {
  readonly options: Readonly<OrgkitOptions>
  /** The compiled system roles and declared permissions. */
  readonly engine: PermissionEngine
  /** The configured industry choices. */
  readonly industries: readonly string[]
  as(actor: Actor): OrgkitClient
  /**
   * A public organization's public fields, for a caller who is not signed in. Anything
   * else (private, nonexistent, `me`) is `unauthenticated`: signing in may reveal more,
   * and the answer does not tell a private organization from a missing one.
   */
  publicOrganization(org: OrganizationRef): Promise<OrganizationView>
  /**
   * Turns a presented `ok_<prefix>_<secret>` key into its actor. Throws `unauthenticated`
   * for an unknown, revoked or expired key, and for anything that is not a key.
   */
  authenticateApiKey(presented: string): Promise<ApiKeyActor>
  /** Listens for committed events (`member.removed`), or every event with `'*'`. Returns an unsubscribe function. */
  on(action: string, listener: OrgkitListener): () => void
  /**
   * Checks `permission` for `actor` in an organization exactly as orgkit's own routes do, for
   * the host's routes (`requirePermission`). Resolves to the organization and the role the
   * permission came from; throws `OrgkitError`: `unauthenticated`, `not_found` (nonexistent,
   * another organization than an API key's own, or private and the caller not a member) or
   * `forbidden`. Throws a `TypeError` for an undeclared permission.
   */
  authorize(actor: Actor, org: OrganizationRef, permission: string): Promise<AccessGrant>
}

export interface AccessGrant {
  organization: OrganizationRecord
  /** The actor's effective role: a member's role, or an API key's permissions. `null` for the system actor. */
  role: CompiledRole | null
}
