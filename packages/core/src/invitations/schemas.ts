import * as z from 'zod'
import { roleKeySchema } from '../members/schemas'
import { pageQueryShape } from '../shared/pagination'

/** Trimmed and lower-cased before it is checked, stored or compared. */
export const invitationEmailSchema = z.string().trim().toLowerCase().max(320).pipe(z.email('Must be an email address'))

export const createInvitationSchema = z.strictObject({
  email: invitationEmailSchema,
  /** @default the configured `defaultRole` */
  role: roleKeySchema.optional(),
  teamIds: z.array(z.string().min(1).max(255)).max(100).optional(),
})
export type CreateInvitationInput = z.input<typeof createInvitationSchema>

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const

export const listInvitationsSchema = z.strictObject({
  ...pageQueryShape,
  status: z.enum(INVITATION_STATUSES).optional(),
})
export type ListInvitationsInput = z.input<typeof listInvitationsSchema>

export const listMyInvitationsSchema = z.strictObject(pageQueryShape)
export type ListMyInvitationsInput = z.input<typeof listMyInvitationsSchema>

const token = z.string().min(1).max(200)
const invitationId = z.string().min(1).max(255)

/** Accept or decline names the invitation by its secret token, or by its public id (the addressee only). */
export const respondToInvitationSchema = z.union([z.strictObject({ token }), z.strictObject({ id: invitationId })])
export type RespondToInvitationInput = z.input<typeof respondToInvitationSchema>

export const previewInvitationSchema = z.strictObject({ token })
export type PreviewInvitationInput = z.input<typeof previewInvitationSchema>
