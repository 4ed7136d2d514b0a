import type { Page, PageInput } from '../shared/pagination'
import type {
  ApiKeyRecord,
  AuditEventRecord,
  CustomRolePatch,
  CustomRoleRecord,
  InvitationRecord,
  InvitationStatus,
  InvitationWithInviter,
  MemberRecord,
  MemberWithUser,
  OrganizationPatch,
  OrganizationRecord,
  TeamMemberRecord,
  TeamMemberWithUser,
  TeamPatch,
  TeamRecord,
  UserSummary,
} from '../shared/types'
import type {
  DomainRecord,
  DomainRepository,
  InvitationLinkRecord,
  InvitationLinkRepository,
  JoinRequestListFilter,
  JoinRequestRecord,
  JoinRequestRepository,
} from './enrollment'

/**
 * The storage port: what the core needs from a database, as typed repositories per
 * aggregate. Each method states what it guarantees under concurrency; the core builds
 * its rules (tenant isolation, no escalation, at least one owner, an invitation accepted
 * once) on those guarantees and never on luck.
 *
 * Conventions:
 * - "Not found" is `null` (or `false`), never a throw. A throw means the database failed.
 * - Every method on an organization-owned table takes the `organizationId` and filters
 *   on it: a row of another organization is never read or changed.
 * - Methods may be called inside `Storage.transaction` (through the `tx` repositories)
 *   or outside it (each call is then its own statement or transaction). Methods that only
 *   make sense inside a transaction (`lock` and the locking reads) exist only on the
 *   transaction's repositories, so calling one outside is a type error.
 * - Counts shown on reads (`memberCount`, `teamCount`, a team's `memberCount`) are kept by
 *   the methods that add and remove rows, in the same transaction: reads never count.
 */
export interface Storage<Transaction = unknown> extends Repositories {
  /**
   * Runs `fn` in one database transaction and commits when it resolves, rolls back when
   * it throws (re-throwing the error). The adapter may run `fn` again when the database
   * reports a deadlock or serialization failure, so `fn` must have no effects outside
   * the transaction (the core emits events only after commit).
   */
  transaction<T>(fn: (tx: TransactionRepositories<Transaction>) => Promise<T>): Promise<T>
}

export interface Repositories {
  organizations: OrganizationRepository
  members: MemberRepository
  invitations: InvitationRepository
  apiKeys: ApiKeyRepository
  audit: AuditRepository
  teams: TeamRepository
  teamMembers: TeamMemberRepository
  roles: CustomRoleRepository
  users: UserDirectory
  /** Enrollment: an organization's email domains, and join requests. */
  domains: DomainRepository
  joinRequests: JoinRequestRepository
  invitationLinks: InvitationLinkRepository
}

/** The repositories inside a transaction: the same, plus what only a transaction can do. */
export interface TransactionRepositories<Transaction = unknown> extends Repositories {
  organizations: TransactionOrganizationRepository
  invitations: TransactionInvitationRepository
  /**
   * The storage's own handle on this transaction, opaque to the core: it is handed to the
   * host's `before` hooks so that their writes join the transaction (a Kysely `Transaction`
   * for `kyselyStorage`; `undefined` for a storage that has none to give).
   */
  transaction: Transaction
}

/** An organization as listed for one user: with that user's role. */
export interface OrganizationWithRole extends OrganizationRecord {
  role: string
}

/** What `OrganizationRepository.insert` did. */
export type OrganizationInsert = 'inserted' | 'slug_taken' | 'limit_reached'

/** See `OrganizationRepository.insert`: how many team organizations its creator may have made. */
export interface CreatorSlot {
  limit: number | null
}

export interface OrganizationRepository {
  /**
   * Inserts the organization and claims its slug in the global slug table. `'slug_taken'`,
   * writing nothing, when the slug is taken: of concurrent inserts with one slug exactly one
   * returns `'inserted'`. With `owner`, the organization is written with that user as its
   * first member (joined at `createdAt`), already counted: `memberCount` is stored as 1.
   * `events` are written to the audit trail with it (see `AuditEvents`).
   *
   * With `creatorSlot`, a team organization also takes one of its creator's (`createdBy`)
   * slots, the one `delete` gives back: it counts one more team organization created by
   * that user, unless that would pass `creatorSlot.limit` (`null`: no limit; 0 or less:
   * none). `'limit_reached'`, writing nothing, when it would. The slug is decided first: a
   * taken slug is `'slug_taken'` whatever the count, and claims no slot. The count is one
   * row per user, changed by one conditional write, so of concurrent inserts by one creator
   * at the limit exactly the ones that fit return `'inserted'`.
   */
  insert(
    organization: OrganizationRecord,
    owner?: { userId: string; role: string },
    events?: AuditEvents,
    creatorSlot?: CreatorSlot,
  ): Promise<OrganizationInsert>
  findById(id: string): Promise<OrganizationRecord | null>
  /** Resolves through the global slug table. */
  findBySlug(slug: string): Promise<OrganizationRecord | null>
  /** The id the global slug table holds for `slug` (no read of the organization itself). */
  findIdBySlug(slug: string): Promise<string | null>
  /**
   * The organization (by id, or by slug through the slug table) and `userId`'s membership
   * of it (`null` when not a member), the membership read in the same statement as the
   * organization row: a permission check then costs no extra statement for the membership,
   * and the `rolesVersion` it compiles roles by is read together with the role key. With
   * `readUserId`, it may also read the host's user of that id in the same statement
   * (`user`; `null` when the host's table lacks them), as `lockWithMember` does; a storage
   * that leaves `user` out has the caller read it itself.
   */
  findWithMember(
    ref: { id: string } | { slug: string },
    userId: string,
    readUserId?: string,
  ): Promise<{ organization: OrganizationRecord; member: MemberRecord | null; user?: UserSummary | null } | null>
  /**
   * Optional: the organization, its invitation `invitationId` (`null`, the whole answer, when
   * it has none such) and the host's user who sent it (`inviter`, `null` when the host's table
   * lacks them), in one read: what an invitation's preview shows, one round trip after its
   * token's lookup. Without it, the core reads the three apart.
   */
  findWithInvitation?(
    id: string,
    invitationId: string,
  ): Promise<{ organization: OrganizationRecord; invitation: InvitationRecord; inviter: UserSummary | null } | null>
  /**
   * Optional: `findWithMember({ id }, userId)` and, when `userId` is a member, their team
   * memberships in the organization (`teamMembers.listForUser(id, userId)`; empty for a
   * non-member), in one read: the permission map by id then costs one round trip, not two.
   * `null` when the organization does not exist. Without it, the core reads the two apart.
   */
  findWithMemberships?(
    id: string,
    userId: string,
  ): Promise<{ organization: OrganizationRecord; member: MemberRecord | null; teams: TeamMemberRecord[] } | null>
  /**
   * Optional: `findWithMember(ref, userId)` with, in the same read, the organization's team
   * that `team` names (by id, or by slug as stored: lower case; `null` when it has none such)
   * and `userId`'s membership of that team (`null` when none). A read about one team then
   * costs one round trip by id, not three (the organization, the team, the team
   * membership). Without it, the core reads the team and the team membership after.
   *
   * With `read`, also what the read is about, when `userId` is a member of the organization
   * and the team exists (else `null`): the team's members page (`read.page`: `page`, as
   * `teamMembers.list` gives it) or one of its members with their user (`read.userId`:
   * `target`, as `teamMembers.findWithUser` gives it; `null` when not in the team). It is read
   * before the caller's role is checked, and the caller drops it when the check refuses.
   */
  findWithMemberAndTeam?(
    ref: { id: string } | { slug: string },
    userId: string,
    team: { id: string } | { slug: string },
    read?: TeamRead,
  ): Promise<{
    organization: OrganizationRecord
    member: MemberRecord | null
    team: TeamRecord | null
    teamMember: TeamMemberRecord | null
    page?: Page<TeamMemberWithUser> | null
    target?: TeamMemberWithUser | null
  } | null>
  /**
   * Optional: `findWithMember({ id }, userId)` and, when `userId` is a member, the page
   * `read` names (`readOrganizationPage`), in one read: one statement where the engine
   * allows it, so that a page read by id costs one round trip, not two. The page is `null`
   * when `userId` is no member; a member's page is read before their role is checked, and
   * the caller drops it when the check refuses. `null` when the organization does not
   * exist. Without it, the core reads the two apart. (Members have their own,
   * `members.listWithMember`.)
   */
  findWithMemberAndPage?<K extends OrganizationPageKind>(
    id: string,
    userId: string,
    read: OrganizationPageRead<K>,
  ): Promise<{
    organization: OrganizationRecord
    member: MemberRecord | null
    page: Page<OrganizationPages[K]['row']> | null
  } | null>
  /**
   * Applies `patch` and sets `updatedAt`. A slug change claims the new slug and releases
   * the old one atomically; when the new slug is taken nothing is written and the result
   * is `'slug_taken'`. `null` when the organization does not exist.
   */
  update(id: string, patch: OrganizationPatch, now: Date): Promise<OrganizationRecord | 'slug_taken' | null>
  /** Increments `rolesVersion`, invalidating compiled custom roles. */
  bumpRolesVersion(id: string, now: Date): Promise<void>
  /**
   * Deletes the organization and everything it owns (members, teams, roles, invitations,
   * API keys, audit events, and their global lookup rows), the rows of the host's tables
   * the storage was told the organization owns, and gives a team organization's creator
   * back the slot it took (see `insert`), all in one transaction: a failure in any part
   * (the host's included) leaves everything as it was. `false` when it did not exist.
   */
  delete(id: string): Promise<boolean>
  /** The organizations `userId` is a member of, with the role, in the order the user joined them. */
  listForUser(userId: string, page: PageInput): Promise<Page<OrganizationWithRole>>
  /** Every organization, oldest first (platform staff only). */
  listAll(page: PageInput): Promise<Page<OrganizationRecord>>
}

/**
 * The pages of one organization that `organizations.findWithMemberAndPage` can read with
 * the caller's membership: each is that repository's `list`, `input` its arguments after the
 * organization's id, `row` what a page holds.
 */
export interface OrganizationPages {
  teams: { input: [page: PageInput]; row: TeamRecord }
  invitations: { input: [filter: InvitationListFilter, now: Date, page: PageInput]; row: InvitationWithInviter }
  apiKeys: { input: [page: PageInput]; row: ApiKeyRecord }
  audit: { input: [filter: AuditListFilter, page: PageInput]; row: AuditEventRecord }
  domains: { input: [page: PageInput]; row: DomainRecord }
  joinRequests: { input: [filter: JoinRequestListFilter, page: PageInput]; row: JoinRequestRecord }
  invitationLinks: { input: [page: PageInput]; row: InvitationLinkRecord }
}

export type OrganizationPageKind = keyof OrganizationPages

/** A page of one organization to read: `repositories[list].list(organizationId, ...input)`. */
export interface OrganizationPageRead<K extends OrganizationPageKind = OrganizationPageKind> {
  list: K
  input: Readonly<OrganizationPages[K]['input']>
}

/** What `organizations.findWithMemberAndTeam` may read of the team besides it: a members page, or one member. */
export type TeamRead = { page: PageInput } | { userId: string }

/** See `TransactionOrganizationRepository.lockWithTarget`. */
export interface LockedTarget {
  organization: OrganizationRecord
  member: MemberRecord | null
  target: MemberWithUser | null
}

/** An invitation as a caller names it: by its token (as hashed) or by its public id. */
export type InvitationRef = { tokenHash: string } | { id: string }

/** See `TransactionOrganizationRepository.lockForAcceptance`. */
export interface LockedInvitation {
  organization: OrganizationRecord
  invitation: InvitationRecord
  inviter: MemberRecord | null
  user: UserSummary | null
}

export interface TransactionOrganizationRepository extends OrganizationRepository {
  /**
   * Reads the organization and locks its row until the transaction ends
   * (`SELECT … FOR UPDATE`; SQLite transactions are already serialized). Every change that
   * could leave the organization without an owner, or that checks a per-organization
   * limit, takes this lock first, so such changes run one at a time per organization at
   * any isolation level.
   */
  lock(id: string): Promise<OrganizationRecord | null>
  /**
   * `lock`, reading `userId`'s membership (`null` when not a member) in the same statement,
   * after the lock is granted: what `findWithMember` is to `findById`. A mutation checks
   * its actor's permission with no statement beyond the lock. With `readUserId`, it may also
   * read the host's user of that id in the same statement (`user`; `null` when the host's
   * table lacks them), as adding a member needs; a storage that leaves `user` out (as one
   * whose engine would lock the user's row with it should) has the caller read it itself.
   */
  lockWithMember(
    id: string,
    userId: string,
    readUserId?: string,
  ): Promise<{ organization: OrganizationRecord; member: MemberRecord | null; user?: UserSummary | null } | null>
  /**
   * `lockWithMember`, also reading the membership a change is about (a role change, a
   * removal, an ownership transfer): `targetUserId`'s, with their host user (`target`;
   * `null` when not a member; a user the host's table lacks reads as nulls, as in
   * `members.findWithUser`). Both memberships are the ones committed when the lock is
   * granted: a target promoted, demoted or removed by a transaction the lock waited for is
   * read as that transaction left it. `null` when the organization does not exist. A
   * storage reads them in the statement that takes the lock where its engine reads them as
   * committed there (PostgreSQL locks them with the organization, after it), and otherwise
   * after it.
   */
  lockWithTarget(id: string, userId: string, targetUserId: string): Promise<LockedTarget | null>
  /**
   * Optional: `lockWithMember` of the organization `slug` names, where the engine can join
   * the slug's lookup row into the locking statement (PostgreSQL on one server) rather than
   * read it first. The organization's own slug is checked again once the lock is granted: a
   * slug given up while the lock was waited for finds nothing (`null`), as a slug no
   * organization has. Without it, the core reads the slug's lookup first (`findIdBySlug`).
   */
  lockWithMemberBySlug?(
    slug: string,
    userId: string,
    readUserId?: string,
  ): Promise<{ organization: OrganizationRecord; member: MemberRecord | null; user?: UserSummary | null } | null>
  /** Optional: `lockWithTarget` of the organization `slug` names, as `lockWithMemberBySlug` finds it. */
  lockWithTargetBySlug?(slug: string, userId: string, targetUserId: string): Promise<LockedTarget | null>
  /**
   * `lock`, reading in the same statement, after the lock is granted, what accepting an
   * invitation needs: the organization's invitation `invitationId`, its inviter's
   * membership (`null` when they are no longer a member) and the host's user `userId`, who
   * accepts (`null` when the host's table lacks them). `null` when the organization or the
   * invitation is missing. A storage whose engine would lock the host's user row along
   * with the rest (MariaDB's, lacking `FOR UPDATE OF`) reads the user in a statement of
   * its own.
   */
  lockForAcceptance(id: string, invitationId: string, userId: string): Promise<LockedInvitation | null>
  /**
   * Optional: `invitations.locate(ref)` and `lockForAcceptance` of what it finds, in one
   * statement where the engine can join the lookup into the lock (PostgreSQL on one server;
   * distributed, the lookup is on a shard of its own and is read first, in this
   * transaction). A token must still be the invitation's when the lock is granted: one
   * rotated meanwhile (a resend) finds nothing. `null` when the lookup, the organization or
   * the invitation is missing. Without it, the core calls `invitations.locate` and then
   * `lockForAcceptance`, both in the transaction.
   */
  lockInvitationForAcceptance?(ref: InvitationRef, userId: string): Promise<LockedInvitation | null>
}

export interface MemberListFilter {
  /** Only members with this role key. */
  role?: string | undefined
  /** Case-insensitive prefix of the user's name, email or username. */
  q?: string | undefined
}

/** See `MemberRepository.findInvitee`. */
export interface InviteeLookup {
  invitee: UserSummary | null
  /** Whether `invitee` is a member of the organization already. */
  isMember: boolean
  inviter: UserSummary | null
}

/** See `MemberRepository.insertIfUnchanged`: what adding a member was decided on. */
export interface AddDecidedOn {
  /** The caller, a member of the organization… */
  callerId: string
  /** …with this role. */
  callerRole: string
  /** The organization's `rolesVersion` its roles were compiled at. */
  rolesVersion: number
  /** `limits.membersPerOrganization`: the organization's `memberCount` must be under it. `null`: no limit. */
  memberLimit: number | null
}

/** What `MemberRepository.insertIfUnchanged` did. */
export type DecidedInsert = 'inserted' | 'duplicate' | 'changed'

export interface MemberRepository {
  /**
   * Adds the membership and counts it in the organization's `memberCount`. `false`,
   * writing nothing, when the user is already a member: of concurrent inserts of one
   * (organization, user) exactly one returns `true`. `events` are written to the audit trail
   * with it (see `AuditEvents`).
   */
  insert(member: MemberRecord, events?: AuditEvents): Promise<boolean>
  /**
   * Optional: `insert`, only if what the add was decided on (read without a lock) is still
   * so, checked as committed when the organization's lock is granted: the organization's
   * `rolesVersion` (its roles as compiled), `decidedOn.callerId`'s membership with role
   * `callerRole`, and, with `memberLimit`, a `memberCount` under it. `'changed'`, writing
   * nothing, when any is not; `'duplicate'`, writing nothing, when the user is a member
   * already. Atomic on its own, as every method called outside a transaction: a storage
   * that can check and write in one statement (PostgreSQL) spares the transaction and its
   * lock's round trip. Without it, the core adds under the lock.
   */
  insertIfUnchanged?(member: MemberRecord, decidedOn: AddDecidedOn, events?: AuditEvents): Promise<DecidedInsert>
  find(organizationId: string, userId: string): Promise<MemberRecord | null>
  findWithUser(organizationId: string, userId: string): Promise<MemberWithUser | null>
  /**
   * Optional: `organizations.findWithMember({ id: organizationId }, callerId)` and, when
   * `callerId` is a member, `findWithUser(organizationId, userId)` (`target`), in one read,
   * as `listWithMember` reads a page. `target` is `null` when `callerId` is no member or
   * `userId` is none. `null` when the organization does not exist.
   */
  findWithCaller?(
    organizationId: string,
    callerId: string,
    userId: string,
  ): Promise<{ organization: OrganizationRecord; member: MemberRecord | null; target: MemberWithUser | null } | null>
  /**
   * What creating an invitation reads, in one statement: the host's user with `email`
   * (compared as `users.findByEmail` does) and whether they are a member of the
   * organization, and the inviter's user by id. `null` for a user the host's table lacks.
   */
  findInvitee(organizationId: string, email: string, inviterId: string): Promise<InviteeLookup>
  /**
   * Members joined with the host's user data in the same query (no per-row lookups),
   * ordered by `joinedAt`, then `userId`. A user missing from the host's table is shown
   * with `null` fields.
   */
  list(organizationId: string, filter: MemberListFilter, page: PageInput): Promise<Page<MemberWithUser>>
  /**
   * Optional: `organizations.findWithMember({ id: organizationId }, userId)` and, when
   * `userId` is a member, `list(organizationId, filter, page)`, in one read (one statement
   * where the engine allows it: a page read by id then costs one round trip, not two). The
   * page is `null` when `userId` is no member; a member's page is read before their role is
   * checked, and the caller drops it when the check refuses. `null` when the organization
   * does not exist. Without it, the core reads the two apart.
   */
  listWithMember?(
    organizationId: string,
    userId: string,
    filter: MemberListFilter,
    page: PageInput,
  ): Promise<{
    organization: OrganizationRecord
    member: MemberRecord | null
    page: Page<MemberWithUser> | null
  } | null>
  /**
   * Sets the role. `false`, writing nothing, when the user is not a member. `events` are
   * written to the audit trail with it (see `AuditEvents`).
   */
  updateRole(organizationId: string, userId: string, role: string, events?: AuditEvents): Promise<boolean>
  /**
   * Removes the membership, the user's team memberships in the organization (and their
   * teams' counts), and uncounts it. `false`, writing nothing, when the user was not a
   * member. `events` are written to the audit trail with it (see `AuditEvents`).
   */
  delete(organizationId: string, userId: string, events?: AuditEvents): Promise<boolean>
  countWithRole(organizationId: string, role: string): Promise<number>
  /** Gives every member holding role `from` role `to`; returns how many changed. */
  reassignRole(organizationId: string, from: string, to: string): Promise<number>
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
   * inserts for one (organization, email) exactly one returns `'inserted'`. `events` are
   * written to the audit trail with it (see `AuditEvents`; none on `'duplicate'`).
   */
  insert(invitation: InvitationRecord, now: Date, events?: AuditEvents): Promise<'inserted' | 'duplicate'>
  find(organizationId: string, id: string): Promise<InvitationRecord | null>
  /** Resolves a public invitation id through the global lookup table. */
  findById(id: string): Promise<InvitationRecord | null>
  /** Resolves a token hash through the global lookup table. */
  findByTokenHash(tokenHash: string): Promise<InvitationRecord | null>
  /**
   * Where the invitation a token hash or a public id names lives, from its global lookup
   * table alone (one statement): its organization and id, or `null`.
   */
  locate(ref: InvitationRef): Promise<{ organizationId: string; id: string } | null>
  /**
   * Newest first, each joined with its inviter from the host's users in the same query (no
   * per-row lookups).
   */
  list(
    organizationId: string,
    filter: InvitationListFilter,
    now: Date,
    page: PageInput,
  ): Promise<Page<InvitationWithInviter>>
  /**
   * Unexpired pending invitations addressed to `email` in any organization, newest first,
   * each with its inviter, as `list` gives them.
   */
  listPendingForEmail(email: string, now: Date, page: PageInput): Promise<Page<InvitationWithInviter>>
  /**
   * Moves a pending, unexpired invitation to `to`, recording `respondedBy`, with one
   * conditional update (`WHERE status = 'pending' AND expires_at > now`). Returns the
   * `true` when it moved, `false` when it was not pending and unexpired: of concurrent
   * transitions of one invitation (accept, decline, revoke) exactly one gets `true`.
   */
  transition(
    organizationId: string,
    id: string,
    change: { to: 'accepted' | 'declined' | 'revoked'; respondedBy: string | null; now: Date },
  ): Promise<boolean>
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
  /**
   * Revokes every pending invitation of the organization that grants `role`, expired or not
   * (deleting a custom role: such an invitation must never grant a role created later under
   * the same key), each as `transition` would: it leaves its addressee's pending index, and
   * its id and token still resolve, to answer "revoked". Returns how many.
   */
  revokePendingWithRole(organizationId: string, role: string, now: Date): Promise<number>
}

export interface TransactionInvitationRepository extends InvitationRepository {
  /**
   * Accepting an invitation, in one step: the invitation `id` of `member.organizationId`
   * leaves `pending` for `accepted` as `transition` would (`respondedBy` the member's user,
   * at `member.joinedAt`, which is also the instant its expiry is checked against), and
   * `member` is added as `members.insert` would (counted, indexed, with `events`).
   * - `'accepted'`: both written.
   * - `'settled'`: the invitation was not pending and unexpired; nothing written. Of
   *   concurrent accepts and transitions of one invitation exactly one moves it.
   * - `'duplicate'`: the user is a member already; the membership and the events are not
   *   written, but the invitation may have been: the caller rolls the transaction back (the
   *   core throws).
   * A storage may write it all in one statement (orgkit's PostgreSQL storage does, where the
   * rows share a shard).
   */
  accept(id: string, member: MemberRecord, events?: AuditEvents): Promise<'accepted' | 'settled' | 'duplicate'>
  /**
   * Optional: `members.findInvitee(invitation.organizationId, invitation.email, inviterId)`
   * and `insert(invitation, now, events)` in one step, called under the organization's
   * lock, with the membership read as committed then:
   * - `'member'`: a host user with the invitation's email (compared as `findInvitee`
   *   compares) is a member of the organization; nothing written.
   * - `'inserted'` and `'duplicate'`: as `insert` answers.
   * `inviter` is the host's user `inviterId`, as `findInvitee` reads it (`null` for one the
   * host's table lacks). A storage may write it all in one statement (orgkit's PostgreSQL
   * storage does on one server). Without it, the core reads the addressee, then inserts.
   */
  insertUnlessMember?(
    invitation: InvitationRecord,
    now: Date,
    events: AuditEvents,
    inviterId: string,
  ): Promise<{ outcome: 'inserted' | 'duplicate' | 'member'; inviter: UserSummary | null }>
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
  /**
   * Revokes every unrevoked key of the organization that holds the role `role` (keys with an
   * explicit permission list hold no role); returns how many. Deleting a custom role does
   * this, so that a role created later under the same key gives those keys nothing.
   */
  revokeWithRole(organizationId: string, role: string, now: Date): Promise<number>
  /** Sets `lastUsedAt`. */
  touch(organizationId: string, id: string, now: Date): Promise<void>
}

export interface TeamRepository {
  /**
   * Inserts the team (its `memberCount` is 0) and counts it in the organization's
   * `teamCount`. `false`, writing nothing, when the slug is taken in the organization: of
   * concurrent inserts with one slug exactly one returns `true`.
   */
  insert(team: TeamRecord): Promise<boolean>
  find(organizationId: string, id: string): Promise<TeamRecord | null>
  findBySlug(organizationId: string, slug: string): Promise<TeamRecord | null>
  /** The teams with these ids that exist in the organization (another organization's ids match nothing). */
  findMany(organizationId: string, ids: readonly string[]): Promise<TeamRecord[]>
  /** Oldest first. */
  list(organizationId: string, page: PageInput): Promise<Page<TeamRecord>>
  /**
   * Applies `patch` and sets `updatedAt`. `'slug_taken'`, writing nothing, when the new
   * slug belongs to another team of the organization; `null` when the team does not exist.
   */
  update(organizationId: string, id: string, patch: TeamPatch, now: Date): Promise<TeamRecord | 'slug_taken' | null>
  /** Deletes the team and its memberships, and uncounts it. `false` when it did not exist. */
  delete(organizationId: string, id: string): Promise<boolean>
}

export interface TeamMemberRepository {
  /**
   * Adds the team membership and counts it in the team's `memberCount`. `false`, writing
   * nothing, when the user is already in the team: of concurrent inserts exactly one wins.
   */
  insert(member: TeamMemberRecord): Promise<boolean>
  find(organizationId: string, teamId: string, userId: string): Promise<TeamMemberRecord | null>
  findWithUser(organizationId: string, teamId: string, userId: string): Promise<TeamMemberWithUser | null>
  /** Joined with the host's users in the same query, ordered by `joinedAt`, then `userId`. */
  list(organizationId: string, teamId: string, page: PageInput): Promise<Page<TeamMemberWithUser>>
  /** Every team membership of one user in the organization (for the permission map). */
  listForUser(organizationId: string, userId: string): Promise<TeamMemberRecord[]>
  /** Sets the team role. `false` when the user is not in the team. */
  updateRole(organizationId: string, teamId: string, userId: string, role: string): Promise<boolean>
  /** Removes the team membership and uncounts it. `false` when the user was not in the team. */
  delete(organizationId: string, teamId: string, userId: string): Promise<boolean>
}

export interface CustomRoleRepository {
  /** Inserts the role. `false`, writing nothing, when the key is taken in the organization. */
  insert(role: CustomRoleRecord): Promise<boolean>
  findByKey(organizationId: string, key: string): Promise<CustomRoleRecord | null>
  /** Every custom role of the organization, by key (they are few, limited by `customRolesPerOrganization`). */
  list(organizationId: string): Promise<CustomRoleRecord[]>
  /** Applies `patch` and sets `updatedAt`. `null` when the role does not exist. */
  update(organizationId: string, key: string, patch: CustomRolePatch, now: Date): Promise<CustomRoleRecord | null>
  /** `false` when the role did not exist. */
  delete(organizationId: string, key: string): Promise<boolean>
}

export interface AuditListFilter {
  action?: string | undefined
}

/**
 * Audit events a write method takes along: the events of the change it makes, written to the
 * audit trail in the same transaction when the method writes, and not at all when it writes
 * nothing (it returns `false`, or `'duplicate'`). A storage may write them in the statement that makes the
 * change (orgkit's PostgreSQL storage does: one round trip fewer) or in one of their own
 * (`AuditRepository.append`). Omitted or empty: no events.
 */
export type AuditEvents = readonly AuditEventRecord[]

export interface AuditRepository {
  /** Writes the events of one mutation, in one statement (they belong to one organization). */
  append(events: readonly AuditEventRecord[]): Promise<void>
  /** Newest first (by `createdAt`, then `id`). */
  list(organizationId: string, filter: AuditListFilter, page: PageInput): Promise<Page<AuditEventRecord>>
}

/** The host's users, read-only. Emails compare case-insensitively. */
export interface UserDirectory {
  findById(id: string): Promise<UserSummary | null>
  findByEmail(email: string): Promise<UserSummary | null>
  findByUsername(username: string): Promise<UserSummary | null>
}
