import * as z from 'zod'
import { issuedInvitationWire, serializeIssuedInvitation } from '../invitations/wire'
import type { JoinRequestRecord } from '../storage/enrollment'
import type { BulkInvitationResult } from './bulk'
import type { DomainView } from './domains'
import type { DiscoverableOrganization } from './join'
import type { InvitationLinkPreview, InvitationLinkView, IssuedInvitationLink } from './links'
import { DOMAIN_STATUSES, ENROLLMENT_MODES, JOIN_REQUEST_STATUSES } from './schemas'

/**
 * Enrollment objects of the HTTP API: zod schemas for the OpenAPI document next to the
 * functions that produce them, picking fields one by one (see http/wire.ts).
 */

const iso = (date: Date) => date.toISOString()
const isoOrNull = (date: Date | null) => (date === null ? null : date.toISOString())
const timestamp = z.iso.datetime()

export const domainWire = z.object({
  organizationId: z.string(),
  domain: z.string(),
  status: z.enum(DOMAIN_STATUSES),
  enrollment: z.enum(ENROLLMENT_MODES),
  role: z.string(),
  verification: z.object({ type: z.literal('dns_txt'), name: z.string(), value: z.string() }),
  verifiedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
})
export type DomainWire = z.output<typeof domainWire>

export function serializeDomain(domain: DomainView): DomainWire {
  return {
    organizationId: domain.organizationId,
    domain: domain.domain,
    status: domain.status,
    enrollment: domain.enrollment,
    role: domain.role,
    verification: {
      type: domain.verification.type,
      name: domain.verification.name,
      value: domain.verification.value,
    },
    verifiedAt: isoOrNull(domain.verifiedAt),
    createdAt: iso(domain.createdAt),
    updatedAt: iso(domain.updatedAt),
  }
}

export const discoverableOrganizationWire = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  logoUrl: z.string().nullable(),
  enrollment: z.enum(['suggest', 'auto']),
})

export function serializeDiscoverableOrganization(
  organization: DiscoverableOrganization,
): z.output<typeof discoverableOrganizationWire> {
  return {
    id: organization.id,
    slug: organization.slug,
    name: organization.name,
    logoUrl: organization.logoUrl,
    enrollment: organization.enrollment,
  }
}

export const joinRequestWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  userId: z.string(),
  email: z.string(),
  domain: z.string(),
  status: z.enum(JOIN_REQUEST_STATUSES),
  /** The role granted, once approved. */
  role: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
})
export type JoinRequestWire = z.output<typeof joinRequestWire>

export function serializeJoinRequest(request: JoinRequestRecord): JoinRequestWire {
  return {
    id: request.id,
    organizationId: request.organizationId,
    userId: request.userId,
    email: request.email,
    domain: request.domain,
    status: request.status,
    role: request.role,
    decidedBy: request.decidedBy,
    decidedAt: isoOrNull(request.decidedAt),
    createdAt: iso(request.createdAt),
    updatedAt: iso(request.updatedAt),
  }
}

export const invitationLinkWire = z.object({
  id: z.string(),
  organizationId: z.string(),
  role: z.string(),
  expiresAt: timestamp.nullable(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  domain: z.string().nullable(),
  createdBy: z.string(),
  createdAt: timestamp,
  revokedAt: timestamp.nullable(),
})
export type InvitationLinkWire = z.output<typeof invitationLinkWire>

export function serializeInvitationLink(link: InvitationLinkView): InvitationLinkWire {
  return {
    id: link.id,
    organizationId: link.organizationId,
    role: link.role,
    expiresAt: isoOrNull(link.expiresAt),
    maxUses: link.maxUses,
    uses: link.uses,
    domain: link.domain,
    createdBy: link.createdBy,
    createdAt: iso(link.createdAt),
    revokedAt: isoOrNull(link.revokedAt),
  }
}

/** Create only: the token and the URL, once. */
export const issuedInvitationLinkWire = invitationLinkWire.extend({ token: z.string(), url: z.string() })

export function serializeIssuedInvitationLink(link: IssuedInvitationLink): z.output<typeof issuedInvitationLinkWire> {
  return { ...serializeInvitationLink(link), token: link.token, url: link.url }
}

/** `POST /invitations/preview` with an invitation link's token. */
export const invitationLinkPreviewWire = z.object({
  organization: z.object({ id: z.string(), slug: z.string(), name: z.string(), logoUrl: z.string().nullable() }),
  role: z.string(),
  status: z.enum(['pending', 'revoked', 'expired']),
  expired: z.boolean(),
  expiresAt: timestamp.nullable(),
  invitedBy: z.object({ userId: z.string(), username: z.string().nullable(), name: z.string().nullable() }),
  link: z.object({ id: z.string(), domain: z.string().nullable(), usesLeft: z.number().int().nullable() }),
})

export function serializeInvitationLinkPreview(
  preview: InvitationLinkPreview,
): z.output<typeof invitationLinkPreviewWire> {
  return {
    organization: { ...preview.organization },
    role: preview.role,
    status: preview.status,
    expired: preview.expired,
    expiresAt: isoOrNull(preview.expiresAt),
    invitedBy: { ...preview.invitedBy },
    link: { ...preview.link },
  }
}

/** `POST …/invitations/bulk`: one entry per item, in order, with the invitation or the error. */
export const bulkInvitationsWire = z.object({
  data: z.array(
    z.object({
      email: z.string().nullable(),
      invitation: issuedInvitationWire.optional(),
      error: z
        .object({
          code: z.string(),
          message: z.string(),
          details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
        })
        .optional(),
    }),
  ),
})

export function serializeBulkInvitations(
  results: readonly BulkInvitationResult[],
): z.output<typeof bulkInvitationsWire> {
  return {
    data: results.map((result) => ({
      email: result.email,
      ...(result.invitation === undefined ? {} : { invitation: serializeIssuedInvitation(result.invitation) }),
      ...(result.error === undefined
        ? {}
        : {
            error: {
              code: result.error.code,
              message: result.error.message,
              ...(result.error.details === undefined ? {} : { details: result.error.details.map((d) => ({ ...d })) }),
            },
          }),
    })),
  }
}
