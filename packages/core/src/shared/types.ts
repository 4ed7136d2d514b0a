/**
 * Domain records as the core and the storage port see them. Timestamps are `Date`s;
 * the HTTP layer turns them into ISO-8601 strings.
 */

export type JsonObject = { [key: string]: unknown }

// ── Actors ────────────────────────────────────────────────────────────────────────

/** A signed-in user of the host application, resolved by the host per request. */
export interface UserActor {
  type: 'user'
  userId: string
  email?: string | undefined
  /** `undefined` means the host does not track verification for this user. */
  emailVerified?: boolean | undefined
  /** `superadmin` may list, read, update and delete any organization. Granted only by the host. */
  platformRole?: 'superadmin' | undefined
  /** The organization `me` stands for, when the host tracks a current organization. */
  organizationId?: string | undefined
}

/** A caller authenticated with an org-scoped API key; produced by orgkit, never by the host. */
export interface ApiKeyActor {
  type: 'apiKey'
  keyId: string
  organizationId: string
  /** The user who created the key; the key never holds more than this user could grant. */
  createdBy: string
  role: string | null
  permissions: readonly string[]
}

/** Trusted domain code. Bypasses permission checks; never reachable from HTTP. */
export interface SystemActor {
  type: 'system'
}

export type Actor = UserActor | ApiKeyActor | SystemActor

// ── Users (the host's) ───────────────────────────────────────────────────────────

/** What orgkit shows about a host user. */
export interface UserSummary {
  id: string
  email: string | null
  username: string | null
  name: string | null
  imageUrl: string | null
}

// ── Organizations ────────────────────────────────────────────────────────────────

export type OrganizationType = 'team' | 'personal'
export type OrganizationVisibility = 'private' | 'public'

export interface OrganizationRecord {
  id: string
  slug: string
  name: string
  type: OrganizationType
  description: string | null
  logoUrl: string | null
  websiteUrl: string | null
  industry: string | null
  visibility: OrganizationVisibility
  contactEmail: string | null
  contactPhone: string | null
  timezone: string | null
  metadata: JsonObject
  privateMetadata: JsonObject
  /** The user who created it; counts against `limits.organizationsPerUser`. */
  createdBy: string | null
  /** Bumped by every change to the organization's custom roles; keys the compiled-role cache. */
  rolesVersion: number
  /** Kept by the storage in the transaction that adds or removes a member: never counted on reads. */
  memberCount: number
  /** Kept like `memberCount`. */
  teamCount: number
  createdAt: Date
  updatedAt: Date
}

/** The profile fields a caller may change. */
export type OrganizationPatch = Partial<
  Pick<
    OrganizationRecord,
    | 'slug'
    | 'name'
    | 'description'
    | 'logoUrl'
    | 'websiteUrl'
    | 'industry'
    | 'visibility'
    | 'contactEmail'
    | 'contactPhone'
    | 'timezone'
    | 'metadata'
    | 'privateMetadata'
  >
>

// ── Members ──────────────────────────────────────────────────────────────────────

export interface MemberRecord {
  organizationId: string
  userId: string
  role: string
  joinedAt: Date
}

export interface MemberWithUser extends MemberRecord {
  user: UserSummary
}

// ── Teams ────────────────────────────────────────────────────────────────────────

export interface TeamRecord {
  id: string
  organizationId: string
  /** Unique within its organization. */
  slug: string
  name: string
  description: string | null
  /** Kept by the storage in the transaction that adds or removes a team member. */
  memberCount: number
  createdAt: Date
  updatedAt: Date
}

/** The team fields a caller may change. */
export type TeamPatch = Partial<Pick<TeamRecord, 'slug' | 'name' | 'description'>>

/** A team membership: only members of the organization can hold one. */
export interface TeamMemberRecord {
  organizationId: string
  teamId: string
  userId: string
  /** A team role key (`lead`, `member`, … from the configuration). */
  role: string
  joinedAt: Date
}

export interface TeamMemberWithUser extends TeamMemberRecord {
  user: UserSummary
}

// ── Custom roles ─────────────────────────────────────────────────────────────────

/** A role created in one organization at run time. With a system role's key it shadows that role there. */
export interface CustomRoleRecord {
  id: string
  organizationId: string
  /** Unique within its organization. */
  key: string
  name: string
  description: string | null
  /** Permissions and wildcards, as written. */
  permissions: string[]
  createdAt: Date
  updatedAt: Date
}

export type CustomRolePatch = Partial<Pick<CustomRoleRecord, 'name' | 'description' | 'permissions'>>

// ── Invitations ──────────────────────────────────────────────────────────────────

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired'

export interface InvitationRecord {
  id: string
  organizationId: string
  /** Trimmed and lower-cased. */
  email: string
  role: string
  teamIds: string[]
  /**
   * The stored status. `expired` is stored only once something observed the expiry;
   * readers derive it from `expiresAt` as well.
   */
  status: InvitationStatus
  /** SHA-256 of the secret token, hex. The token itself is never stored. */
  tokenHash: string
  expiresAt: Date
  invitedBy: string
  createdAt: Date
  updatedAt: Date
  /** The user who accepted or declined it. */
  respondedBy: string | null
}

/** An invitation as listed: with the host's user who sent it (`invitedBy`). */
export interface InvitationWithInviter extends InvitationRecord {
  /** A user missing from the host's table is shown with `null` fields. */
  inviter: UserSummary
}

// ── API keys ─────────────────────────────────────────────────────────────────────

export interface ApiKeyRecord {
  id: string
  organizationId: string
  name: string
  /** The public part of `ok_<prefix>_<secret>`, unique across all organizations. */
  prefix: string
  /** SHA-256 of the secret part, hex. */
  secretHash: string
  /** The role whose permissions the key carries, or null when `permissions` is explicit. */
  role: string | null
  /** Explicit grants, used when `role` is null. */
  permissions: string[]
  createdBy: string
  createdAt: Date
  expiresAt: Date | null
  lastUsedAt: Date | null
  revokedAt: Date | null
}

// ── Audit ────────────────────────────────────────────────────────────────────────

export interface AuditEventRecord {
  id: string
  organizationId: string
  /** `organization.created`, `member.removed`, … */
  action: string
  actor: { type: Actor['type']; id: string | null }
  target: { type: string; id: string }
  /** Changed fields: `{ role: { from: 'admin', to: 'member' } }`, or the created values. */
  changes: JsonObject
  createdAt: Date
}
