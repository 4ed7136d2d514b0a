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

/** The global slug → organization lookup (SPEC §3): the only place a slug is unique. */
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

/** The global lookup for invitations: by public id, by token hash and by email. */
export interface InvitationLookupsTable {
  id: string
  token_hash: string
  email: string
  organization_id: string
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
  invitation_lookups: InvitationLookupsTable
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
  'invitation_lookups',
  'api_keys',
  'api_key_prefixes',
  'audit_events',
  'teams',
  'team_members',
  'roles',
  'organization_creators',
] as const satisfies readonly (keyof OrgkitDatabase)[]

export type OrgkitTableName = (typeof ORGKIT_TABLES)[number]

/**
 * Every table that holds rows of one organization, keyed by `organization_id`: the tables
 * it owns and the global lookup rows that point into them. Deleting an organization deletes
 * from each of these, in this order, in one transaction (`organizations.delete`), so a table
 * added here cannot be forgotten by the cascade; the conformance suite checks that every
 * table with an `organization_id` column is listed.
 */
export const ORGANIZATION_OWNED_TABLES = [
  'organization_slugs',
  'team_members',
  'teams',
  'members',
  'roles',
  'invitation_lookups',
  'invitations',
  'api_key_prefixes',
  'api_keys',
  'audit_events',
] as const satisfies readonly OrgkitTableName[]
