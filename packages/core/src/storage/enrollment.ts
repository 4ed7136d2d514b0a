import type { Page, PageInput } from '../shared/pagination'

/**
 * Enrollment on the storage port: an organization's claimed email domains, the requests of
 * users who asked to join, and invitation links, as records and as the repositories that
 * keep them.
 */

/** `pending` until its DNS TXT record has been found; `verified` after. */
export type DomainStatus = 'pending' | 'verified'

/**
 * What a verified domain lets its users do: nothing (`none`), ask to join (`suggest`), or
 * join at once with the domain's role (`auto`).
 */
export type EnrollmentMode = 'none' | 'suggest' | 'auto'

export interface DomainRecord {
  organizationId: string
  /** Normalized: lower case, ASCII (IDNA), no trailing dot. Unique within the organization. */
  domain: string
  status: DomainStatus
  enrollment: EnrollmentMode
  /** The role a user gets by joining through the domain (or by an approved request). */
  role: string
  /** The TXT record value that proves control: random, per organization and domain. */
  verificationValue: string
  verifiedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

export type DomainPatch = Partial<Pick<DomainRecord, 'enrollment' | 'role'>>

export type JoinRequestStatus = 'pending' | 'approved' | 'denied' | 'withdrawn'

export interface JoinRequestRecord {
  /** `jrq_…` */
  id: string
  organizationId: string
  userId: string
  /** The requester's verified email when they asked, lower-cased. */
  email: string
  /** The verified domain the request came through. */
  domain: string
  status: JoinRequestStatus
  /** The role granted on approval; `null` until approved. */
  role: string | null
  /** The user who approved or denied (or the requester, who withdrew). */
  decidedBy: string | null
  decidedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** A shareable invitation: anyone holding its token may join (within its limits). */
export interface InvitationLinkRecord {
  /** `lnk_…`, public. */
  id: string
  organizationId: string
  /** The role a user joining through the link gets. */
  role: string
  /** SHA-256 of the secret token, hex. The token itself is never stored. */
  tokenHash: string
  /** `null`: never expires. */
  expiresAt: Date | null
  /** `null`: unlimited. */
  maxUses: number | null
  /** Kept by `consume`, never counted on reads. */
  uses: number
  /** Only users whose verified email is on this (verified) domain may use it. */
  domain: string | null
  /** The user on whose behalf it was created; it never grants more than they can. */
  createdBy: string
  createdAt: Date
  revokedAt: Date | null
}

/**
 * An organization's domains, in its own table, and the global table that says which
 * organization holds a domain verified: one global key (the domain) → the organization,
 * resolved in two steps like every lookup.
 */
export interface DomainRepository {
  /** Inserts a pending domain. `false`, writing nothing, when the organization has it already. */
  insert(domain: DomainRecord): Promise<boolean>
  find(organizationId: string, domain: string): Promise<DomainRecord | null>
  /** Oldest first (by `createdAt`, then the domain). */
  list(organizationId: string, page: PageInput): Promise<Page<DomainRecord>>
  /**
   * Marks the domain verified and claims it in the global table. `'taken'`, writing nothing,
   * when another organization holds it verified: of concurrent claims by different
   * organizations exactly one succeeds. Verifying an already verified domain returns it as is.
   * `null` when the organization has no such domain.
   */
  markVerified(organizationId: string, domain: string, now: Date): Promise<DomainRecord | 'taken' | null>
  /** Applies `patch` and sets `updatedAt`. `null` when the organization has no such domain. */
  update(organizationId: string, domain: string, patch: DomainPatch, now: Date): Promise<DomainRecord | null>
  /**
   * Closes the organization's domains whose role is `role` (deleted): enrollment `none`, role
   * `fallbackRole`, `updatedAt` set. The number closed. A domain left naming the key would
   * grant a role created later under it, which no manager chose for the domain.
   */
  closeWithRole(organizationId: string, role: string, fallbackRole: string, now: Date): Promise<number>
  /** Removes the domain and releases its global claim when this organization held it. `false` when missing. */
  delete(organizationId: string, domain: string): Promise<boolean>
  /** The organization holding `domain` verified, from the global table alone (one statement). */
  findVerifiedHolder(domain: string): Promise<string | null>
}

export interface JoinRequestListFilter {
  status?: JoinRequestStatus | undefined
}

/**
 * Join requests live in their organization's table; a global table maps a request's id to
 * its organization (the requester withdraws by id alone), and a per-user table lists a
 * user's own requests, both written in the transaction that writes the request.
 */
export interface JoinRequestRepository {
  /**
   * Inserts a pending request. `false`, writing nothing, when the user has a pending request
   * in the organization already: of concurrent inserts for one (organization, user) exactly
   * one returns `true`.
   */
  insert(request: JoinRequestRecord): Promise<boolean>
  find(organizationId: string, id: string): Promise<JoinRequestRecord | null>
  /** Where a request lives, from the global id table alone: its organization, or `null`. */
  locate(id: string): Promise<string | null>
  /** Newest first; `status` filters. */
  list(organizationId: string, filter: JoinRequestListFilter, page: PageInput): Promise<Page<JoinRequestRecord>>
  /** `userId`'s own requests in every organization, newest first. */
  listForUser(userId: string, page: PageInput): Promise<Page<JoinRequestRecord>>
  /**
   * Moves a pending request to `to` with one conditional update (`WHERE status = 'pending'`).
   * `true` when it moved: of concurrent decisions on one request (approve, deny, withdraw)
   * exactly one gets `true`.
   */
  decide(
    organizationId: string,
    id: string,
    change: { to: 'approved' | 'denied' | 'withdrawn'; role: string | null; decidedBy: string; now: Date },
  ): Promise<boolean>
}

/**
 * Invitation links live in their organization's table; a global table maps each token hash
 * to its link (one global key), written in the same transaction.
 */
export interface InvitationLinkRepository {
  /** Inserts the link and claims its token hash in the global table. */
  insert(link: InvitationLinkRecord): Promise<void>
  find(organizationId: string, id: string): Promise<InvitationLinkRecord | null>
  /** Where the link a token hash names lives, from the global table alone (one statement), or `null`. */
  locate(tokenHash: string): Promise<{ organizationId: string; id: string } | null>
  /** Newest first. */
  list(organizationId: string, page: PageInput): Promise<Page<InvitationLinkRecord>>
  /** Sets `revokedAt` unless already set. The link, or `null` when it does not exist. */
  revoke(organizationId: string, id: string, now: Date): Promise<InvitationLinkRecord | null>
  /** Revokes the organization's unrevoked links granting `role` (deleted). The number revoked. */
  revokeWithRole(organizationId: string, role: string, now: Date): Promise<number>
  /**
   * Counts one use with one conditional update (`uses < max_uses`, not revoked, not past its
   * expiry). `true` when counted: of concurrent uses at the limit exactly the ones that fit
   * succeed, so `maxUses` is never exceeded.
   */
  consume(organizationId: string, id: string, now: Date): Promise<boolean>
}
