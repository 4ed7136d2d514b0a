import * as z from 'zod'
import { roleKeySchema } from '../members/schemas'
import { pageQueryShape } from '../shared/pagination'

export const ENROLLMENT_MODES = ['none', 'suggest', 'auto'] as const
export const DOMAIN_STATUSES = ['pending', 'verified'] as const
export const JOIN_REQUEST_STATUSES = ['pending', 'approved', 'denied', 'withdrawn'] as const

const page = pageQueryShape

/** A domain as typed; normalized and checked by the service (`claimableDomain`). */
export const domainNameSchema = z.string().trim().min(1).max(253)

export const addDomainSchema = z.strictObject({ domain: domainNameSchema })
export type AddDomainInput = z.input<typeof addDomainSchema>

export const updateDomainSchema = z
  .strictObject({
    enrollment: z.enum(ENROLLMENT_MODES).optional(),
    /** The role users get through the domain; never `owner`. */
    role: roleKeySchema.optional(),
  })
  .refine((patch) => patch.enrollment !== undefined || patch.role !== undefined, {
    message: 'Give enrollment, role or both',
  })
export type UpdateDomainInput = z.input<typeof updateDomainSchema>

export const listDomainsSchema = z.strictObject(page)
export type ListDomainsInput = z.input<typeof listDomainsSchema>

export const listDiscoverableSchema = z.strictObject(page)
export type ListDiscoverableInput = z.input<typeof listDiscoverableSchema>

export const listJoinRequestsSchema = z.strictObject({ ...page, status: z.enum(JOIN_REQUEST_STATUSES).optional() })
export type ListJoinRequestsInput = z.input<typeof listJoinRequestsSchema>

export const listMyJoinRequestsSchema = z.strictObject(page)
export type ListMyJoinRequestsInput = z.input<typeof listMyJoinRequestsSchema>

export const createInvitationLinkSchema = z.strictObject({
  role: roleKeySchema,
  /** @default never */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** @default unlimited */
  maxUses: z.number().int().min(1).max(1_000_000).optional(),
  /** Only users whose verified email is on this domain (one the organization holds verified). */
  domain: domainNameSchema.optional(),
})
export type CreateInvitationLinkInput = z.input<typeof createInvitationLinkSchema>

export const listInvitationLinksSchema = z.strictObject(page)
export type ListInvitationLinksInput = z.input<typeof listInvitationLinksSchema>

/**
 * 1 to 100 invitations, each `{ email, role?, teamIds? }` as for one invitation. Items are
 * checked one by one (a malformed item is answered on its own), so here they are only objects.
 */
export const bulkCreateInvitationsSchema = z.strictObject({
  invitations: z
    .array(z.record(z.string(), z.unknown()))
    .min(1, 'At least one invitation')
    .max(100, 'At most 100 invitations'),
})
export type BulkCreateInvitationsInput = z.input<typeof bulkCreateInvitationsSchema>

export const approveJoinRequestSchema = z.strictObject({
  /** @default the role of the domain the request came through */
  role: roleKeySchema.optional(),
})
export type ApproveJoinRequestInput = z.input<typeof approveJoinRequestSchema>
