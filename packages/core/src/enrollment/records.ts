/**
 * Enrollment records as the core and the storage port see them: an organization's claimed
 * email domains and the requests of users who asked to join.
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
