/**
 * The tables orgkit owns, as the adapter's queries see them. Queries name tables by these
 * logical names; `tableNamesPlugin` rewrites them to the physical names (the configured
 * prefix, and the host's own users table) when a query is compiled, so the queries stay
 * fully typed whatever prefix the host picks.
 *
 * Column conventions:
 * - Timestamps are `timestamptz` on PostgreSQL, `datetime(3)` on MySQL (UTC) and
 *   ISO-8601 text on SQLite; the driver hands back a `Date` or a string.
 * - JSON values (metadata, team ids, permissions, audit changes) are stored as text on
 *   every dialect and parsed by the adapter: orgkit never queries inside them, and text
 *   reads back the same way through pg, mysql2 and better-sqlite3.
 */

/** A timestamp as a driver returns it. */
export type DbTimestamp = Date | string

export interface OrganizationsTable {
  id: string
  slug: string
  name: string
  type: string
  description: string | null
  logo_url: string | null
  website_url: string | null
  industry: string | null
  visibility: string
  contact_email: string | null
  contact_phone: string | null
  timezone: string | null
  metadata: string
  private_metadata: string
  created_by: string | null
  roles_version: number
  /** Kept by member inserts and deletes in the same transaction (migration 0002). */
  member_count: number
  /** Kept by team inserts and deletes in the same transaction (migration 0002). */
  team_count: number
  created_at: DbTimestamp
  updated_at: DbTimestamp
}

/**
 * How many team organizations each user created: the row `limits.organizationsPerUser` is
 * enforced on, with one conditional update (migration 0002).
 */
export interface OrganizationCreatorsTable {
  user_id: string
  organization_count: number
}

/** The global slug → organization lookup: the only place a slug is unique. */
export interface OrganizationSlugsTable {
  slug: string
  organization_id: string
}

export interface MembersTable {
  organization_id: string
  user_id: string
  role: string
  joined_at: DbTimestamp
}

export interface TeamsTable {
  organization_id: string
  id: string
  slug: string
  name: string
  description: string | null
  member_count: number
  created_at: DbTimestamp
  updated_at: DbTimestamp
}

export interface TeamMembersTable {
  organization_id: string
  team_id: string
  user_id: string
  role: string
  joined_at: DbTimestamp
}

/** Custom roles, per organization (migration 0002). */
export interface RolesTable {
  organization_id: string
  id: string
  key: string
  name: string
  description: string | null
  permissions: string
  created_at: DbTimestamp
  updated_at: DbTimestamp
}

export interface InvitationsTable {
  organization_id: string
  id: string
  email: string
  /**
   * The email while the invitation is pending, NULL otherwise. UNIQUE with the
   * organization id, so "one pending invitation per email" is a constraint the database
   * enforces atomically; NULLs never collide.
   */
  pending_email: string | null
  role: string
  team_ids: string
  status: string
  token_hash: string
  expires_at: DbTimestamp
  invited_by: string
  responded_by: string | null
  created_at: DbTimestamp
  updated_at: DbTimestamp
}

/**
 * Global lookup: public invitation id → organization (migration 0003). One global key per
 * lookup table, so that each can be placed by its own key (see docs/scaling.md).
 */
export interface InvitationIdsTable {
  id: string
  organization_id: string
}

/** Global lookup: token hash → invitation (migration 0003). Resend replaces the row. */
export interface InvitationTokensTable {
  token_hash: string
  organization_id: string
  invitation_id: string
}

/**
 * "My organizations": one row per membership, keyed by the user, written with the
 * membership in the same transaction (migration 0003). The role is not copied: it is read
 * from `members` with the organization, so a role change writes one row.
 */
export interface UserMembershipsTable {
  user_id: string
  organization_id: string
  joined_at: DbTimestamp
}

/**
 * "My invitations": one row per pending invitation, keyed by its email, written with the
 * invitation and deleted by every transition out of `pending`, in the same transaction
 * (migration 0003). `expires_at` follows resends.
 */
export interface EmailInvitationsTable {
  email: string
  organization_id: string
  invitation_id: string
  created_at: DbTimestamp
  expires_at: DbTimestamp
}

export interface ApiKeysTable {
  organization_id: string
  id: string
  name: string
  prefix: string
  secret_hash: string
  role: string | null
  permissions: string
  created_by: string
  created_at: DbTimestamp
  expires_at: DbTimestamp | null
  last_used_at: DbTimestamp | null
  revoked_at: DbTimestamp | null
}

/** The global API key prefix → key lookup. */
export interface ApiKeyPrefixesTable {
  prefix: string
  organization_id: string
  key_id: string
}

export interface AuditEventsTable {
  organization_id: string
  id: string
  action: string
  actor_type: string
  actor_id: string | null
  target_type: string
  target_id: string
  changes: string
  created_at: DbTimestamp
}

/**
 * The host's user table, read-only. Its physical name and columns come from the options;
 * queries reference its columns through `UsersTableMapping` (see `users-table.ts`).
 */
export type HostUsersTable = Record<string, unknown>

export interface OrgkitDatabase {
  organizations: OrganizationsTable
  organization_slugs: OrganizationSlugsTable
  members: MembersTable
  invitations: InvitationsTable
  invitation_ids: InvitationIdsTable
  invitation_tokens: InvitationTokensTable
  user_memberships: UserMembershipsTable
  email_invitations: EmailInvitationsTable
  api_keys: ApiKeysTable
  api_key_prefixes: ApiKeyPrefixesTable
  audit_events: AuditEventsTable
  teams: TeamsTable
  team_members: TeamMembersTable
  roles: RolesTable
  organization_creators: OrganizationCreatorsTable
  host_users: HostUsersTable
}

/** The tables orgkit creates, by logical name (`host_users` is the host's, never created). */
export const ORGKIT_TABLES = [
  'organizations',
  'organization_slugs',
  'members',
  'invitations',
  'invitation_ids',
  'invitation_tokens',
  'api_keys',
  'api_key_prefixes',
  'audit_events',
  'teams',
  'team_members',
  'roles',
  'organization_creators',
  'user_memberships',
  'email_invitations',
] as const satisfies readonly (keyof OrgkitDatabase)[]

export type OrgkitTableName = (typeof ORGKIT_TABLES)[number]

/**
 * Tables a shipped migration creates and a later one drops: still prefixed by the
 * table-names plugin, so that the old migrations run unchanged on a new database.
 * `invitation_lookups`: 0001 → 0003.
 */
export const RETIRED_TABLES = ['invitation_lookups'] as const

/**
 * The tables an organization owns, keyed by `organization_id` first: on Citus they are
 * distributed by `organization_id` and colocated with `organizations` (distributed by `id`).
 * Every statement on one of them names the organization (`organization_id = ?`, or `in (…)`
 * for a page that spans organizations), so it runs on that organization's shard alone
 * (docs/scaling.md; `test/http/single-shard.test.ts` holds the adapter to it).
 */
export const ORGANIZATION_OWNED_TABLES = [
  'team_members',
  'teams',
  'members',
  'roles',
  'invitations',
  'api_keys',
  'audit_events',
] as const satisfies readonly OrgkitTableName[]

/**
 * Global lookups: one global key each (slug, public invitation id, token hash, key prefix)
 * → the organization and the row's id. Resolved in two steps — the lookup, then the row by
 * `organization_id` and id — never joined to an owned table.
 */
export const GLOBAL_LOOKUP_TABLES = [
  'organization_slugs',
  'invitation_ids',
  'invitation_tokens',
  'api_key_prefixes',
] as const satisfies readonly OrgkitTableName[]

/** Per-user indexes ("my organizations", "my invitations"), keyed by the user's id or email. */
export const USER_INDEX_TABLES = ['user_memberships', 'email_invitations'] as const satisfies readonly OrgkitTableName[]

/**
 * Every table that holds rows of one organization: the tables it owns, and the global
 * lookup and per-user index rows that point into them. Deleting an organization deletes
 * from each of these, in this order, in one transaction (`organizations.delete`), so a
 * table added here cannot be forgotten by the cascade; the conformance suite checks that
 * every table with an `organization_id` column is listed.
 */
export const ORGANIZATION_ROW_TABLES = [
  ...GLOBAL_LOOKUP_TABLES,
  ...USER_INDEX_TABLES,
  ...ORGANIZATION_OWNED_TABLES,
] as const satisfies readonly OrgkitTableName[]
