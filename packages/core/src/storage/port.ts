import type { Page, PageInput } from '../pagination'
import type {
  ApiKeyRecord,
  AuditEventRecord,
  InvitationRecord,
  InvitationStatus,
  MemberRecord,
  MemberWithUser,
  OrganizationPatch,
  OrganizationRecord,
  UserSummary,
} from '../types'

/**
 * The storage port: what the core needs from a database, as typed repositories per
 * aggregate. Each method states what it guarantees under concurrency; the core builds
 * the rules of SPEC §2 on those guarantees and never on luck.
 *
 * Conventions:
 * - "Not found" is `null` (or `false`), never a throw. A throw means the database failed.
 * - Every method on an organization-owned table takes the `organizationId` and filters
 *   on it: a row of another organization is never read or changed.
 * - Methods may be called inside `Storage.transaction` (through the `tx` repositories)
 *   or outside it (each call is then its own statement or transaction).
 */
export interface Storage extends Repositories {
  /**
   * Runs `fn` in one database transaction and commits when it resolves, rolls back when
   * it throws (re-throwing the error). The adapter may run `fn` again when the database
   * reports a deadlock or serialization failure, so `fn` must have no effects outside
   * the transaction (the core emits events only after commit).
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>
}

export interface Repositories {
  organizations: OrganizationRepository
  members: MemberRepository
  invitations: InvitationRepository
  apiKeys: ApiKeyRepository
  audit: AuditRepository
  users: UserDirectory
}

/** An organization with the counts derived on reads. */
export interface OrganizationWithCounts extends OrganizationRecord {
  memberCount: number
  teamCount: number
}

/** An organization as listed for one user: with that user's role. */
export interface OrganizationWithRole extends OrganizationWithCounts {
  role: string
}

export interface OrganizationRepository {
  /**
   * Inserts the organization and claims its slug in the global slug table. Returns
   * `false`, writing nothing, when the slug is taken: of concurrent inserts with one slug
   * exactly one returns `true`.
   */
  insert(organization: OrganizationRecord): Promise<boolean>
  findById(id: string): Promise<OrganizationRecord | null>
  /** Resolves through the global slug table. */
  findBySlug(slug: string): Promise<OrganizationRecord | null>
  /**
   * Reads the organization and locks its row until the transaction ends
   * (`SELECT … FOR UPDATE`; SQLite transactions are already serialized). Every change that
   * could leave the organization without an owner, or that checks a per-organization
   * limit, takes this lock first, so such changes run one at a time per organization at
   * any isolation level. Call only inside `transaction`.
   */
  lock(id: string): Promise<OrganizationRecord | null>
  /**
   * Applies `patch` and sets `updatedAt`. A slug change claims the new slug and releases
   * the old one atomically; when the new slug is taken nothing is written and the result
   * is `'slug_taken'`. `null` when the organization does not exist.
   */
  update(id: string, patch: OrganizationPatch, now: Date): Promise<OrganizationRecord | 'slug_taken' | null>
  /** Increments `rolesVersion`, invalidating compiled custom roles. */
  bumpRolesVersion(id: string, now: Date): Promise<void>
  /**
   * Deletes the organization and everything it owns (members, invitations, API keys,
   * audit events, and their global lookup rows). `false` when it did not exist.
   */
  delete(id: string): Promise<boolean>
  /** `memberCount` and `teamCount`, counted in the database (never by loading rows). */
  counts(id: string): Promise<{ memberCount: number; teamCount: number }>
  /** The organizations `userId` is a member of, with the role, in the order the user joined them. */
  listForUser(userId: string, page: PageInput): Promise<Page<OrganizationWithRole>>
  /** Every organization, oldest first (platform staff only). */
  listAll(page: PageInput): Promise<Page<OrganizationWithCounts>>
  /** How many organizations of type `team` `userId` created (for `limits.organizationsPerUser`). */
  countCreatedBy(userId: string): Promise<number>
}

export interface MemberListFilter {
  /** Only members with this role key. */
  role?: string | undefined
  /** Case-insensitive prefix of the user's name, email or username. */
  q?: string | undefined
}

export interface MemberRepository {
  /**
   * Adds the membership. `false`, writing nothing, when the user is already a member:
   * of concurrent inserts of one (organization, user) exactly one returns `true`.
   */
  insert(member: MemberRecord): Promise<boolean>
  find(organizationId: string, userId: string): Promise<MemberRecord | null>
  findWithUser(organizationId: string, userId: string): Promise<MemberWithUser | null>
  /**
   * Members joined with the host's user data in the same query (no per-row lookups),
   * ordered by `joinedAt`, then `userId`. A user missing from the host's table is shown
   * with `null` fields.
   */
  list(organizationId: string, filter: MemberListFilter, page: PageInput): Promise<Page<MemberWithUser>>
  /** Sets the role. `false` when the user is not a member. */
  updateRole(organizationId: string, userId: string, role: string): Promise<boolean>
  /** Removes the membership. `false` when the user was not a member. */
  delete(organizationId: string, userId: string): Promise<boolean>
  count(organizationId: string): Promise<number>
  countWithRole(organizationId: string, role: string): Promise<number>
}

export interface InvitationListFilter {
  /**
   * `expired` matches invitations stored as expired and pending ones past `expiresAt`;
   * `pending` matches only unexpired pending ones.
   */
  status?: InvitationStatus | undefined
}

export interface InvitationRepository {
  /**
   * Inserts a pending invitation. A pending invitation for the same email in the same
   * organization that is already past its expiry is first marked `expired`. Returns
   * `'duplicate'`, writing nothing, when an unexpired pending one exists: of concurrent
   * inserts for one (organization, email) exactly one returns `'inserted'`.
   */
  insert(invitation: InvitationRecord, now: Date): Promise<'inserted' | 'duplicate'>
  find(organizationId: string, id: string): Promise<InvitationRecord | null>
  /** Resolves a public invitation id through the global lookup table. */
  findById(id: string): Promise<InvitationRecord | null>
  /** Resolves a token hash through the global lookup table. */
  findByTokenHash(tokenHash: string): Promise<InvitationRecord | null>
  /** Newest first. */
  list(
    organizationId: string,
    filter: InvitationListFilter,
    now: Date,
    page: PageInput,
  ): Promise<Page<InvitationRecord>>
  /** Unexpired pending invitations addressed to `email` in any organization, newest first. */
  listPendingForEmail(email: string, now: Date, page: PageInput): Promise<Page<InvitationRecord>>
  /**
   * Moves a pending, unexpired invitation to `to`, recording `respondedBy`, with one
   * conditional update (`WHERE status = 'pending' AND expires_at > now`). Returns the
   * updated invitation, or `null` when it was not pending and unexpired: of concurrent
   * transitions of one invitation (accept, decline, revoke) exactly one gets the row.
   */
  transition(
    organizationId: string,
    id: string,
    change: { to: 'accepted' | 'declined' | 'revoked'; respondedBy: string | null; now: Date },
  ): Promise<InvitationRecord | null>
  /** Marks a pending invitation past its expiry as `expired` (idempotent). */
  markExpired(organizationId: string, id: string, now: Date): Promise<void>
  /**
   * Replaces the token hash and the expiry of a pending invitation (resend), also in the
   * global lookup table. `null` when it is not pending.
   */
  rotateToken(
    organizationId: string,
    id: string,
    change: { tokenHash: string; expiresAt: Date; now: Date },
  ): Promise<InvitationRecord | null>
  /** Unexpired pending invitations of the organization. */
  countPending(organizationId: string, now: Date): Promise<number>
}

export interface ApiKeyRepository {
  /** Inserts the key and claims its prefix globally. `false`, writing nothing, when the prefix is taken. */
  insert(key: ApiKeyRecord): Promise<boolean>
  find(organizationId: string, id: string): Promise<ApiKeyRecord | null>
  /** Resolves a key prefix through the global lookup table. */
  findByPrefix(prefix: string): Promise<ApiKeyRecord | null>
  /** Newest first. */
  list(organizationId: string, page: PageInput): Promise<Page<ApiKeyRecord>>
  /** Sets `revokedAt` unless already set. Returns the key, or `null` when it does not exist. */
  revoke(organizationId: string, id: string, now: Date): Promise<ApiKeyRecord | null>
  /** Revokes every unrevoked key `userId` created in the organization; returns how many. */
  revokeCreatedBy(organizationId: string, userId: string, now: Date): Promise<number>
  /** Sets `lastUsedAt`. */
  touch(organizationId: string, id: string, now: Date): Promise<void>
}

export interface AuditListFilter {
  action?: string | undefined
}

export interface AuditRepository {
  append(event: AuditEventRecord): Promise<void>
  /** Newest first (by `createdAt`, then `id`). */
  list(organizationId: string, filter: AuditListFilter, page: PageInput): Promise<Page<AuditEventRecord>>
}

/** The host's users, read-only. Emails compare case-insensitively. */
export interface UserDirectory {
  findById(id: string): Promise<UserSummary | null>
  findByEmail(email: string): Promise<UserSummary | null>
  findByUsername(username: string): Promise<UserSummary | null>
}
